"""WebShop's reward (Yao et al., 2022) pinned on hand-computed cases."""

from __future__ import annotations

import pytest

from agentrl.environments.webshop.catalog import Product
from agentrl.environments.webshop.goals import Goal
from agentrl.environments.webshop.reward import score_purchase, type_reward, type_words


def product(**over: object) -> Product:
    base: dict[str, object] = dict(
        asin="B0TARGET01",
        title="brisk classic snack bar",
        category="grocery",
        product_category="grocery & gourmet food › snacks › bars",
        query="snack bar",
        description="a classic snack bar that is gluten free and organic.",
        features=("gluten free for daily use", "organic built to last", "kosher at a fair price"),
        attributes=("gluten free", "organic", "kosher"),
        options={"flavor": ("mint", "vanilla"), "count": ("pack of 6", "pack of 12")},
        price=12.99,
    )
    base.update(over)
    return Product(**base)  # type: ignore[arg-type]


GOAL = Goal(
    goal_id="g", asin="B0TARGET01",
    instruction="i need a gluten free, organic and kosher snack bar in mint flavor and pack of 12",
    attributes=("gluten free", "organic", "kosher"),
    options=(("flavor", "mint"), ("count", "pack of 12")),
    price_upper=20.0, query="snack bar", category="grocery",
    product_category="grocery & gourmet food › snacks › bars",
    name="brisk classic snack bar", keywords="gluten free organic kosher snack bar",
)


def test_full_match_scores_one() -> None:
    d = score_purchase(product(), {"flavor": "mint", "count": "pack of 12"}, GOAL)
    assert d.score == 1.0
    assert (d.attributes_matched, d.options_matched, d.price_ok, d.r_type) == (3, 2, True, 1.0)


def test_partial_attributes_options_and_price() -> None:
    # 2 of 3 attributes (kosher nowhere), 1 of 2 options, price ok: (2 + 1 + 1) / (3 + 2 + 1)
    p = product(attributes=("gluten free", "organic"), features=(), description="")
    d = score_purchase(p, {"flavor": "mint", "count": "pack of 6"}, GOAL)
    assert (d.attributes_matched, d.options_matched) == (2, 1)
    assert d.score == pytest.approx(4 / 6)


def test_price_over_budget_loses_one_point() -> None:
    d = score_purchase(product(price=25.0), {"flavor": "mint", "count": "pack of 12"}, GOAL)
    assert not d.price_ok
    assert d.score == pytest.approx(5 / 6)


def test_no_options_selected() -> None:
    d = score_purchase(product(), {}, GOAL)
    assert d.score == pytest.approx((3 + 0 + 1) / 6)


def test_attribute_found_in_text_counts() -> None:
    # "kosher" is not an attribute, but the features say it (WebShop also searches the text)
    p = product(attributes=("gluten free", "organic"))
    d = score_purchase(p, {"flavor": "mint", "count": "pack of 12"}, GOAL)
    assert d.attributes_matched == 3 and d.score == 1.0


def test_option_matching_is_normalised() -> None:
    d = score_purchase(product(), {"flavor": "MINT", "count": "Pack-of 12"}, GOAL)
    assert d.options_matched == 2


def test_type_reward_half_when_only_weak_title_overlap() -> None:
    # other query, one shared category level, title shares 1 of the goal's 5 type words: 0.2,
    # which is not > 0.2, so no match: r_type = 0.5
    goal = Goal(**{**GOAL.__dict__, "name": "brisk classic chewy snack bar"})
    assert type_words(goal.name) == {"brisk", "classic", "chewy", "snack", "bar"}
    p = product(title="brisk lamp", query="table lamp",
                product_category="grocery & gourmet food › lighting › lamps")
    r_type, query_match, category_match, title_score = type_reward(p, goal)
    assert (query_match, category_match, title_score, r_type) == (False, False, 0.2, 0.5)
    d = score_purchase(p, {"flavor": "mint", "count": "pack of 12"}, goal)
    assert d.score == pytest.approx(0.5 * 1.0)


def test_type_reward_tenth_when_title_overlap_below_tenth() -> None:
    goal = Goal(**{**GOAL.__dict__, "name": "alpha beta gamma delta epsilon zeta eta theta iota "
                                            "kappa snack"})
    p = product(title="snack lamp", query="lamp", product_category="home › lamps")
    r_type, _, _, title_score = type_reward(p, goal)
    assert title_score == pytest.approx(1 / 11) and r_type == 0.1
    d = score_purchase(p, {"flavor": "mint", "count": "pack of 12"}, goal)
    # attributes still found in the (unchanged) text: 0.1 * (3 + 2 + 1) / 6
    assert d.score == pytest.approx(0.1)


def test_type_reward_zero_without_title_overlap() -> None:
    p = product(title="umber wall clock", query="wall clock",
                product_category="home & kitchen › decor › clocks")
    d = score_purchase(p, {"flavor": "mint", "count": "pack of 12"}, GOAL)
    assert d.r_type == 0.0 and d.score == 0.0


def test_same_query_but_disjoint_title_is_zero() -> None:
    # WebShop lowers r_type to 0 whenever title_score == 0, even on a query match
    p = product(title="umber thing")
    assert type_reward(p, GOAL)[:2] == (0.0, True)


def test_category_match_needs_two_shared_levels() -> None:
    goal = Goal(**{**GOAL.__dict__, "name": "brisk snack bar deluxe edition"})
    p = product(title="brisk gadget", query="gadget",
                product_category="grocery & gourmet food › snacks › chips")
    r_type, query_match, category_match, title_score = type_reward(p, goal)
    assert (query_match, category_match) == (False, True)
    assert title_score == pytest.approx(1 / 5) and r_type == 1.0
