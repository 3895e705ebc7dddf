"""Shopping goals (instructions) of the WebShop-style environment and their train/valid/test split.

A goal follows WebShop (Yao et al., 2022, arXiv 2207.01206, section 3): it is built from a target
product and asks for the product's type, a subset of its attributes (``U_att``), one value of some
of its option dimensions (``U_opt``) and a price bound (``u_price``), e.g. "i'm looking for a
gluten free snack bar in mint flavor, and price lower than 40.00 dollars". The price bound is
drawn like WebShop's: among the first four multiples of 10 dollars above the product's price,
the larger of two distinct picks.

Splits are over goals and disjoint: goals are shuffled deterministically, the first ``n_test``
are test, the next ``n_valid`` valid, the rest train. Generated goals never repeat an instruction
text, so no instruction appears in two splits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from agentrl.environments.webshop.catalog import Product
from agentrl.types import Task

__all__ = ["Goal", "generate_goals", "price_upper_for", "split_goals"]

#: WebShop draws price bounds from multiples of 10 dollars.
PRICE_TIERS: tuple[float, ...] = tuple(10.0 * i for i in range(1, 100))

_OPENERS = (
    "i'm looking for {x}", "find me {x}", "i need {x}", "i want to buy {x}",
    "show me {x}", "can you find {x}", "i am searching for {x}", "get me {x}",
)
_OPTION_STYLES = ("{dim}: {value}", "{value} {dim}")


@dataclass(frozen=True)
class Goal:
    """One shopping instruction and what it asks for.

    ``options`` lists ``(dimension, value)`` pairs; the dimension may be ``""`` when the source
    (WebShop's human instructions) gives bare option values. ``keywords`` is the search query
    a competent shopper would type (product type plus asked attributes).
    """

    goal_id: str
    asin: str
    instruction: str
    attributes: tuple[str, ...]
    options: tuple[tuple[str, str], ...]
    price_upper: float
    query: str
    category: str
    product_category: str
    name: str
    keywords: str

    def to_task(self, split: str) -> Task:
        return Task(
            task_id=self.goal_id,
            split=split,
            task_type=self.category,
            instruction=self.instruction,
            data={
                "asin": self.asin,
                "attributes": list(self.attributes),
                "options": [list(o) for o in self.options],
                "price_upper": self.price_upper,
                "query": self.query,
                "product_category": self.product_category,
                "name": self.name,
                "keywords": self.keywords,
            },
        )


def price_upper_for(price: float, rng: random.Random) -> float | None:
    """WebShop's price bound: the larger of two distinct picks among the first four tiers above
    ``price``; ``None`` (no bound) when fewer than two tiers lie above it."""
    above = [p for p in PRICE_TIERS if p > price][:4]
    if len(above) < 2:
        return None
    return max(rng.sample(above, 2))


def _article(text: str) -> str:
    return "an" if text[:1] in "aeiou" else "a"


def _describe(product: Product, atts: tuple[str, ...], opts: tuple[tuple[str, str], ...],
              rng: random.Random) -> str:
    """Phrase the asked product: attributes before or after the type, then the options."""
    kind = product.query
    if atts and rng.random() < 0.5:
        lead = " and ".join(atts) if len(atts) < 3 else ", ".join(atts[:-1]) + " and " + atts[-1]
        body = f"{lead} {kind}"
        text = f"{_article(body)} {body}" if rng.random() < 0.5 else body
    else:
        text = f"{_article(kind)} {kind}" if rng.random() < 0.5 else kind
        if atts:
            text += " that is " + " and ".join(atts)
    if opts:
        style = rng.choice(_OPTION_STYLES)
        parts = [style.format(dim=d, value=v) for d, v in opts]
        joiner = " in " if style == "{value} {dim}" else " with "
        text += joiner + " and ".join(parts)
    return text


def make_goal(goal_id: str, product: Product, rng: random.Random) -> Goal:
    """A goal for ``product``: 1-3 of its attributes, a value of some option dimensions, a bound."""
    n_att = rng.randint(1, min(3, len(product.attributes)))
    atts = tuple(rng.sample(product.attributes, n_att))
    opts = []
    for dim, values in product.options.items():
        if values and rng.random() < 0.85:
            opts.append((dim, rng.choice(values)))
    if not opts and product.options:
        dim = next(iter(product.options))
        opts.append((dim, rng.choice(product.options[dim])))
    upper = price_upper_for(product.price, rng)
    text = rng.choice(_OPENERS).format(x=_describe(product, atts, tuple(opts), rng))
    if upper is not None:
        text += f", and price lower than {upper:.2f} dollars"
    return Goal(
        goal_id=goal_id,
        asin=product.asin,
        instruction=text,
        attributes=atts,
        options=tuple(opts),
        price_upper=upper if upper is not None else 1_000_000.0,
        query=product.query,
        category=product.category,
        product_category=product.product_category,
        name=product.title,
        keywords=" ".join([*atts, product.query]),
    )


def generate_goals(products: list[Product], num_goals: int, seed: int = 0) -> list[Goal]:
    """``num_goals`` goals over random target products, with distinct instruction texts."""
    rng = random.Random(f"webshop-goals-{seed}")
    goals: list[Goal] = []
    seen: set[str] = set()
    misses = 0  # consecutive repeats; many in a row mean the catalog has no new goals left
    while len(goals) < num_goals and misses < 2000:
        product = products[rng.randrange(len(products))]
        goal = make_goal(f"webshop-{len(goals)}", product, rng)
        if goal.instruction in seen:
            misses += 1
            continue
        misses = 0
        seen.add(goal.instruction)
        goals.append(goal)
    return goals


def split_goals(goals: list[Goal], n_test: int, n_valid: int,
                seed: int = 0) -> dict[str, list[Goal]]:
    """Deterministically shuffle and cut ``goals`` into disjoint test/valid/train lists."""
    order = list(goals)
    random.Random(f"webshop-split-{seed}").shuffle(order)
    test = order[:n_test]
    valid = order[n_test:n_test + n_valid]
    train = order[n_test + n_valid:]
    return {"train": train, "valid": valid, "test": test}
