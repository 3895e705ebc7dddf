"""WebShop-style catalog, goals and BM25 search: determinism, scale, FTS5 agreement, caching."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from pathlib import Path

import pytest

from agentrl.environments.webshop.catalog import generate_catalog, make_asin
from agentrl.environments.webshop.goals import generate_goals, price_upper_for
from agentrl.environments.webshop.search import SearchIndex, build_index, query_terms
from agentrl.environments.webshop.shop import ShopConfig, load_shop


def test_catalog_is_deterministic_and_varied() -> None:
    a, b = generate_catalog(300, seed=1), generate_catalog(300, seed=1)
    assert a == b
    assert generate_catalog(300, seed=2) != a
    assert generate_catalog(100, seed=1) == a[:100]  # a larger catalog extends a smaller one
    assert len({p.asin for p in a}) == 300
    assert {p.category for p in a} == {"fashion", "beauty", "grocery", "electronics", "home"}
    for p in a:
        assert p.title and p.description and p.features and len(p.attributes) >= 2
        assert p.options and all(len(v) >= 2 for v in p.options.values())
        assert p.price > 0 and len(p.title.split()) <= 7


def test_asins_are_unique_and_well_formed() -> None:
    ids = {make_asin(i) for i in range(20_000)}
    assert len(ids) == 20_000
    assert all(len(x) == 10 and x.startswith("B0") and x.isalnum() for x in ids)


def test_vocabulary_is_finite() -> None:
    def words(n: int) -> set[str]:
        out: set[str] = set()
        for p in generate_catalog(n):
            text = " ".join([p.title, p.description, *p.features, *p.attributes,
                             *(v for vs in p.options.values() for v in vs),
                             *(t for _, t in p.reviews)])
            out.update(re.findall(r"[a-z]+", text.lower()))
        return out

    small, large = words(1000), words(3000)
    assert large == small  # more products, no new words
    assert len(small) < 1000


def test_goals_follow_webshop_shape() -> None:
    products = generate_catalog(200)
    by_asin = {p.asin: p for p in products}
    goals = generate_goals(products, 300)
    assert len(goals) == 300 and len({g.instruction for g in goals}) == 300
    openers = {g.instruction.split(" ")[0] for g in goals}
    assert len(openers) >= 5
    for g in goals:
        p = by_asin[g.asin]
        assert 1 <= len(g.attributes) <= 3 and set(g.attributes) <= set(p.attributes)
        assert all(v in p.options[d] for d, v in g.options)
        assert p.price <= g.price_upper
        assert g.instruction.endswith(f", and price lower than {g.price_upper:.2f} dollars")
        assert p.query in g.instruction


def test_goal_generation_stops_when_no_new_goal_is_left() -> None:
    small = dataclasses.replace(generate_catalog(1)[0], attributes=("vegan", "organic"),
                                options={})
    goals = generate_goals([small], 10_000)
    assert 10 < len(goals) < 1000 and len({g.instruction for g in goals}) == len(goals)


def test_price_upper_tiers() -> None:
    import random

    rng = random.Random(0)
    bounds = {price_upper_for(12.99, rng) for _ in range(200)}
    assert bounds == {30.0, 40.0, 50.0}  # larger of two picks among 20, 30, 40, 50
    assert price_upper_for(985.0, rng) is None  # fewer than two tiers above


def test_query_terms() -> None:
    assert query_terms("Men's T-Shirt, the BLACK one!!") == ("men", "s", "t", "shirt", "black",
                                                              "one")
    assert query_terms("the and of") == ()
    assert len(query_terms(" ".join(f"w{i}" for i in range(100)))) == 32


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> tuple[SearchIndex, list]:
    products = generate_catalog(1500, seed=3)
    path = tmp_path_factory.mktemp("idx") / "index.sqlite"
    build_index(path, (p.search_text for p in products))
    return SearchIndex(path, cache_size=0), products


def _fts5_scores(idx: SearchIndex, terms: tuple[str, ...]) -> dict[int, float]:
    con = sqlite3.connect(idx.path)
    match = " OR ".join(f'"{t}"' for t in terms)
    rows = con.execute("SELECT rowid, bm25(docs, 2.0, 1.0, 1.0) FROM docs WHERE docs MATCH ?",
                       (match,)).fetchall()
    con.close()
    return {r: -s for r, s in rows}


@pytest.mark.parametrize("query", [
    "gluten free snack bar", "wireless bluetooth headphones black", "machine wash hoodie",
    "i need a paraben free shampoo with lavender scent, and price lower than 20.00 dollars",
    "everyday", "zzzz", "classic premium deluxe ultra t-shirt yoga pants rain jacket",
])
def test_numpy_bm25_equals_fts5_bm25(index: tuple[SearchIndex, list], query: str) -> None:
    idx, _ = index
    terms = query_terms(query)
    fast, sql = idx.search(terms, 50), idx.search_fts5(terms, 50)
    scores = _fts5_scores(idx, terms)
    assert len(fast) == len(sql) == min(50, len(scores))
    # same products, same scores in the same order (ids may swap only within float ties)
    assert [pytest.approx(scores[i], rel=1e-12) for i in fast] == [scores[i] for i in sql]
    assert set(fast) == set(sql) or scores[fast[-1]] == pytest.approx(scores[sql[-1]])


def test_bm25_ranks_by_relevance(index: tuple[SearchIndex, list]) -> None:
    idx, products = index
    target = products[123]
    top = idx.search(query_terms(target.title), 10)
    assert top[0] == 123 or products[top[0]].title == target.title
    assert all(products[i].query == "snack bar" for i in idx.search(("snack", "bar"), 20))


def test_result_cache_and_closed_index(index: tuple[SearchIndex, list], tmp_path: Path) -> None:
    idx, _ = index
    cached = SearchIndex(idx.path, cache_size=2)
    terms = ("snack", "bar")
    assert cached.search(terms) == idx.search(terms)
    assert cached.search(terms) is cached.search(terms)
    cached.close()
    cached.close()
    with pytest.raises(RuntimeError):
        cached.search(("lamp",))


def test_shop_cache_is_reused(tmp_path: Path) -> None:
    config = ShopConfig(num_products=120, num_goals=60, n_test=10, n_valid=10, seed=9)
    shop = load_shop(config, tmp_path)
    files = sorted(p.name for p in (tmp_path / config.fingerprint()).iterdir())
    assert files == ["index.sqlite", "shop.pickle"]
    mtime = shop.index_path.stat().st_mtime_ns
    again = load_shop(config, tmp_path)
    assert again is shop  # same process: kept in memory
    from agentrl.environments.webshop import shop as shop_module

    shop_module._memory.clear()  # a new process: read from disk, not rebuilt
    fresh = load_shop(config, tmp_path)
    assert fresh is not shop and fresh.products == shop.products
    assert fresh.index_path.stat().st_mtime_ns == mtime
    assert {s: len(g) for s, g in fresh.splits.items()} == {"train": 40, "valid": 10, "test": 10}


def test_cache_root_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTRL_WEBSHOP_CACHE", str(tmp_path / "root"))
    config = ShopConfig(num_products=50, num_goals=30, n_test=5, n_valid=5, seed=11)
    shop = load_shop(config)
    assert shop.index_path.parent.parent == tmp_path / "root"


@pytest.mark.slow
def test_catalog_scales_to_100k(tmp_path: Path) -> None:
    products = generate_catalog(100_000)
    assert len({p.asin for p in products}) == 100_000
    path = tmp_path / "index.sqlite"
    build_index(path, (p.search_text for p in products))
    idx = SearchIndex(path)
    assert len(idx.search(query_terms("gluten free snack bar"))) == 50
