"""Loader for WebShop's original data format, on a small fixture written in that format."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest

from agentrl.environments.webshop.env import WebShopEnv
from agentrl.environments.webshop.original import load_original
from agentrl.errors import UserError

FIXTURE = Path(__file__).parent / "data" / "webshop"


def load() -> tuple[list, list]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        products, goals = load_original(FIXTURE)
    messages = [str(w.message) for w in caught]
    assert any("skipped 1 products without a parseable 'pricing'" in m for m in messages)
    assert any("skipped 1 instructions whose product is not in the product file" in m
               for m in messages)
    return products, goals


def test_products_are_read_with_all_fields() -> None:
    products, _ = load()
    by = {p.asin: p for p in products}
    assert sorted(by) == [f"B0FIX0000{i}" for i in range(1, 6)]  # B0FIX00006 has no price
    deo = by["B0FIX00001"]
    assert deo.title.startswith("Citrus Grove Aluminum Free Deodorant")
    assert deo.category == "beauty" and deo.query == "deodorant"
    assert deo.product_category.endswith("› Deodorant")
    assert deo.features[0] == "ALUMINUM FREE formula" and deo.price == 9.99
    assert deo.options == {"scent": ("Citrus", "Lavender"),
                           "size": ("2.65 Ounce (Pack of 1)", "2.65 Ounce (Pack of 2)")}
    assert deo.attributes == ("aluminum free", "long lasting")
    assert deo.rating == 4.5 and deo.reviews[0] == (5, "Works well and smells nice.")
    boots = by["B0FIX00002"]
    assert boots.price == 54.99  # the lowest price of "$54.99 - $69.99"
    assert boots.attributes == ("rubber sole", "lace up")  # from items_ins_v2
    assert boots.options["color"] == ("Brown", "Black")  # plain strings are accepted too
    assert boots.features == ("Rubber sole; lace up closure; waterproof leather upper",)
    assert boots.rating is None
    assert by["B0FIX00004"].options == {}
    assert by["B0FIX00005"].price == 15.99


def test_goals_follow_webshop() -> None:
    _, goals = load()
    # 9 instructions: one without attributes and one of an unknown product are skipped
    assert len(goals) == 7
    g = goals[0]
    assert g.asin == "B0FIX00001" and g.attributes == ("aluminum free",)
    assert g.options == (("", "lavender"),)
    assert g.instruction.startswith("i need an aluminum free deodorant for women in lavender "
                                    "scent, and price lower than ")
    assert g.price_upper in (20.0, 30.0, 40.0)
    assert all(g.instruction.endswith(f"{g.price_upper:.2f} dollars") for g in goals)


def test_env_on_original_data_expert_succeeds(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = WebShopEnv(data_dir=FIXTURE, cache_dir=tmp_path)
    sizes = {s: len(env.tasks(s)) for s in ("train", "valid", "test")}
    assert sizes == {"train": 5, "valid": 1, "test": 1}
    for split in sizes:
        for task in env.tasks(split):
            _, info = env.reset(options={"task_id": task.task_id})
            for _ in range(15):
                obs, reward, term, _, info = env.step(info["expert_action"])
                if term:
                    break
            assert term and reward == 1.0, (task.instruction, info)
    # the pages render the original product's strings
    env.reset(options={"task_id": env.tasks("train")[0].task_id})
    env.step("search[hiking boots]")
    obs, *_ = env.step("click[b0fix00002]")
    assert "size [SEP] 8 [SEP] 9 [SEP] 10 [SEP] 11 [SEP] color [SEP] Brown [SEP] Black" in obs
    assert "Price: $54.99 [SEP] Rating: N.A." in obs
    env.close()


def _copy_fixture(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    return target


def test_bad_data_dir_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is not a directory"):
        load_original(tmp_path / "missing")
    with pytest.raises(UserError, match=r"has no items_shuffle\*\.json file"):
        load_original(tmp_path)


def test_malformed_product_file_names_file_and_field(tmp_path: Path) -> None:
    data = _copy_fixture(tmp_path)
    path = data / "items_shuffle_fixture.json"
    path.write_text("[{\"asin\": 1}")
    with pytest.raises(UserError, match=r"items_shuffle_fixture\.json: not valid JSON"):
        load_original(data)
    path.write_text(json.dumps([{"asin": "B1", "pricing": "$3"}]))
    with pytest.raises(UserError, match=r"product #0 has no string field 'name'"):
        load_original(data)
    path.write_text(json.dumps([{"asin": "B1", "name": "x", "pricing": "$3",
                                 "customization_options": ["red"]}]))
    with pytest.raises(UserError, match="'customization_options' must be an object"):
        load_original(data)
    path.write_text(json.dumps({"asin": "B1"}))
    with pytest.raises(UserError, match="must hold a JSON list of products"):
        load_original(data)


@pytest.mark.filterwarnings("ignore:.*skipped 1 products")
def test_too_few_instructions(tmp_path: Path) -> None:
    data = _copy_fixture(tmp_path)
    (data / "items_human_ins_fixture.json").write_text(json.dumps({
        "B0FIX00001": [{"instruction": "deodorant", "instruction_attributes": ["long lasting"],
                        "instruction_options": []}]}))
    with pytest.raises(UserError, match="only 1 usable instructions"):
        load_original(data)
