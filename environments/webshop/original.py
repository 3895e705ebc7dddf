"""Loader for the data files of the original WebShop release (Yao et al., 2022, arXiv 2207.01206).

A user who has WebShop's files points ``data_dir`` at the folder holding them:

- ``items_shuffle*.json`` (required): a JSON list of products, each an object with ``asin`` and
  ``name`` (required), and ``category``, ``product_category`` (``›``-separated path), ``query``,
  ``full_description``, ``small_description`` (bullet list or string), ``pricing`` (``"$14.99"``,
  ``"$10.99 - $12.99"``, a number or a list), ``customization_options`` (dimension -> list of
  ``{"value": ...}`` objects or strings), ``attributes`` (list), ``average_rating`` and
  ``Reviews`` (list of ``{"score", "body"}``) as optional fields.
- ``items_ins_v2*.json`` (optional): object asin -> ``{"attributes": [...], "instruction": ...,
  "instruction_attributes": [...], "instruction_options": [...]}``; supplies attributes missing
  from the product file, and goals when there is no human instruction file.
- ``items_human_ins*.json`` (optional): object asin -> list of ``{"instruction",
  "instruction_attributes", "instruction_options"}`` (WebShop's 12,087 human goals).

Goals follow WebShop: entries without instruction attributes are skipped; the price bound is drawn
from the tiers above the product's price (see :mod:`.goals`) and appended as ", and price lower
than X dollars". A product's price is the lowest price in its ``pricing``; products without a
parseable price are skipped (with a warning), as are goals whose product is missing.
"""

from __future__ import annotations

import json
import random
import re
import warnings
from pathlib import Path
from typing import Any

from agentrl.environments.webshop.catalog import Product
from agentrl.environments.webshop.goals import Goal, price_upper_for
from agentrl.errors import UserError

__all__ = ["data_files", "load_original"]

_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def _pick(data_dir: Path, pattern: str, required: bool) -> Path | None:
    found = sorted(data_dir.glob(pattern), key=lambda p: (len(p.name), p.name))
    if found:
        return found[0]
    if required:
        raise UserError(f"webshop data_dir {data_dir} has no {pattern} file; point data_dir at "
                        "the folder holding WebShop's product file (e.g. items_shuffle_1000.json)")
    return None


def data_files(data_dir: str | Path) -> dict[str, Path | None]:
    """The product, attribute and human-instruction files found in ``data_dir``."""
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise UserError(f"webshop data_dir {root} is not a directory; pass the folder that holds "
                        "WebShop's items_shuffle*.json")
    return {
        "products": _pick(root, "items_shuffle*.json", required=True),
        "attributes": _pick(root, "items_ins_v2*.json", required=False),
        "human": _pick(root, "items_human_ins*.json", required=False),
    }


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); fix or "
                        "re-download the file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None


def _text(value: Any, where: str, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise UserError(f"{where}: field {name!r} must be a string, got {type(value).__name__}")


def _strings(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if not isinstance(value, list):
        raise UserError(f"{where}: field {name!r} must be a list of strings, got "
                        f"{type(value).__name__}")
    return tuple(_text(v, where, name) for v in value if _text(v, where, name))


def _price(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        prices = [p for p in (_price(v) for v in value) if p is not None]
        return min(prices) if prices else None
    if isinstance(value, str):
        nums = [float(m.replace(",", "")) for m in _NUMBER.findall(value)]
        return min(nums) if nums else None
    return None


def _options(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UserError(f"{where}: field 'customization_options' must be an object "
                        "(dimension -> list of values) or null")
    out: dict[str, tuple[str, ...]] = {}
    for dim, values in value.items():
        if not isinstance(values, list):
            raise UserError(f"{where}: customization_options[{dim!r}] must be a list")
        names = []
        for v in values:
            raw = v.get("value") if isinstance(v, dict) else v
            text = _text(raw, where, f"customization_options[{dim!r}]")
            if text and text not in names:
                names.append(text)
        if names:
            out[str(dim).strip().lower()] = tuple(names)
    return out


def _reviews(value: Any) -> tuple[tuple[int, str], ...]:
    if not isinstance(value, list):
        return ()
    out = []
    for r in value:
        if not isinstance(r, dict):
            continue
        score = next((r[k] for k in ("score", "rating", "stars") if k in r), None)
        body = next((r[k] for k in ("body", "text", "review") if k in r), "")
        try:
            stars = int(float(score)) if score is not None else 0
        except (TypeError, ValueError):
            stars = 0
        if isinstance(body, str) and body.strip():
            out.append((stars, body.strip()))
    return tuple(out)


def _rating(value: Any) -> float | None:
    try:
        return round(float(value), 1) if value is not None else None
    except (TypeError, ValueError):
        return None


def _product(raw: Any, index: int, path: Path, extra_atts: dict[str, Any]) -> Product | None:
    where = f"{path}: product #{index}"
    if not isinstance(raw, dict):
        raise UserError(f"{where} must be a JSON object, got {type(raw).__name__}")
    for key in ("asin", "name"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise UserError(f"{where} has no string field {key!r}; every product needs 'asin' "
                            "and 'name'")
    asin = raw["asin"].strip()
    price = _price(raw.get("pricing", raw.get("price")))
    if price is None:
        return None
    attributes = _strings(raw.get("attributes"), where, "attributes")
    if not attributes and isinstance(extra_atts.get(asin), dict):
        attributes = _strings(extra_atts[asin].get("attributes"), where, "attributes")
    return Product(
        asin=asin,
        title=raw["name"].strip(),
        category=_text(raw.get("category"), where, "category"),
        product_category=_text(raw.get("product_category"), where, "product_category"),
        query=_text(raw.get("query"), where, "query"),
        description=_text(raw.get("full_description"), where, "full_description"),
        features=_strings(raw.get("small_description"), where, "small_description"),
        attributes=attributes,
        options=_options(raw.get("customization_options"), where),
        price=round(price, 2),
        rating=_rating(raw.get("average_rating")),
        reviews=_reviews(raw.get("Reviews", raw.get("reviews"))),
    )


def _goal_options(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, dict):
        return tuple((str(k).lower(), _text(v, where, "instruction_options"))
                     for k, v in value.items() if _text(v, where, "instruction_options"))
    return tuple(("", v) for v in _strings(value, where, "instruction_options"))


def _goals_from(entries: list[tuple[str, dict[str, Any]]], products: dict[str, Product],
                path: Path, seed: int) -> list[Goal]:
    goals = []
    missing = 0
    for n, (asin, entry) in enumerate(entries):
        where = f"{path}: instruction #{n} of {asin}"
        product = products.get(asin)
        if product is None:
            missing += 1
            continue
        attributes = _strings(entry.get("instruction_attributes"), where, "instruction_attributes")
        text = _text(entry.get("instruction"), where, "instruction")
        if not attributes or not text:
            continue
        rng = random.Random(f"webshop-original-{seed}-{len(goals)}")
        upper = price_upper_for(product.price, rng)
        instruction = text.strip(".").strip()
        if upper is not None:
            instruction += f", and price lower than {upper:.2f} dollars"
        goals.append(Goal(
            goal_id=f"webshop-{len(goals)}",
            asin=asin,
            instruction=instruction,
            attributes=attributes,
            options=_goal_options(entry.get("instruction_options"), where),
            price_upper=upper if upper is not None else 1_000_000.0,
            query=product.query,
            category=product.category,
            product_category=product.product_category,
            name=product.title,
            keywords=" ".join([*attributes, product.query or product.title]),
        ))
    if missing:
        warnings.warn(f"{path}: skipped {missing} instructions whose product is not in the "
                      "product file", stacklevel=3)
    return goals


def load_original(data_dir: str | Path, seed: int = 0) -> tuple[list[Product], list[Goal]]:
    """Read WebShop's files from ``data_dir``: the products and the goals, in file order."""
    files = data_files(data_dir)
    product_path = files["products"]
    assert product_path is not None
    raw_products = _read_json(product_path)
    if not isinstance(raw_products, list):
        raise UserError(f"{product_path}: must hold a JSON list of products, got "
                        f"{type(raw_products).__name__}")
    extra_atts: dict[str, Any] = {}
    if files["attributes"] is not None:
        extra_atts = _read_json(files["attributes"])
        if not isinstance(extra_atts, dict):
            raise UserError(f"{files['attributes']}: must hold a JSON object asin -> "
                            "{attributes, ...}")
    products: dict[str, Product] = {}
    skipped = 0
    for i, raw in enumerate(raw_products):
        product = _product(raw, i, product_path, extra_atts)
        if product is None:
            skipped += 1
        elif product.asin not in products:
            products[product.asin] = product
    if skipped:
        warnings.warn(f"{product_path}: skipped {skipped} products without a parseable "
                      "'pricing'", stacklevel=2)
    if not products:
        raise UserError(f"{product_path}: no usable product (each needs asin, name, pricing)")

    entries: list[tuple[str, dict[str, Any]]] = []
    goal_path = files["human"] or files["attributes"]
    if files["human"] is not None:
        human = _read_json(files["human"])
        if not isinstance(human, dict):
            raise UserError(f"{files['human']}: must hold a JSON object asin -> list of "
                            "instructions")
        for asin, items in human.items():
            if not isinstance(items, list):
                raise UserError(f"{files['human']}: the value of {asin!r} must be a list of "
                                "instruction objects")
            entries.extend((asin, it) for it in items if isinstance(it, dict))
    elif extra_atts:
        entries = [(asin, v) for asin, v in extra_atts.items() if isinstance(v, dict)]
    if goal_path is None:
        raise UserError(f"webshop data_dir {data_dir} has no instruction file; add "
                        "items_human_ins*.json or items_ins_v2*.json")
    goals = _goals_from(entries, products, goal_path, seed)
    if len(goals) < 3:
        raise UserError(f"{goal_path}: only {len(goals)} usable instructions (with "
                        "instruction_attributes and a known asin); need at least 3 for "
                        "train/valid/test")
    return list(products.values()), goals
