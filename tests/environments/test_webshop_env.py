"""agentrl/WebShop-v0: pages, actions, pagination, state keys, milestones, expert, contract."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentrl.environments.webshop.env import WebShopEnv, parse_action
from agentrl.environments.webshop.search import query_terms
from agentrl.envs import check_env, make
from agentrl.errors import UserError


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("webshop-cache")


@pytest.fixture(scope="module")
def env(cache: Path) -> WebShopEnv:
    return WebShopEnv(num_products=400, num_goals=600, n_test=100, n_valid=100, cache_dir=cache)


def reset(env: WebShopEnv, split: str = "test", i: int = 0) -> tuple[str, dict]:
    return env.reset(seed=0, options={"task_id": env.tasks(split)[i].task_id})


def step(env: WebShopEnv, action: str) -> tuple[str, float, bool, dict]:
    obs, reward, term, trunc, info = env.step(action)
    assert not trunc
    return obs, float(reward), term, info


def clicks(info: dict) -> list[str]:
    return [a[len("click["):-1] for a in info["admissible_actions"] if a.startswith("click[")]


def test_registered_with_turn_limit(cache: Path) -> None:
    e = make("agentrl/WebShop-v0", cache_dir=cache, num_products=400, num_goals=600,
             n_test=100, n_valid=100)
    assert e.max_turns == 15
    obs, info = e.reset(seed=0)
    assert obs.startswith("WebShop [SEP] Instruction: [SEP] ")
    assert info["admissible_actions"] == ["search[<query>]"] and info["search_available"]
    e.close()
    e.close()


def test_search_template_can_be_left_out(cache: Path) -> None:
    e = WebShopEnv(num_products=400, num_goals=600, n_test=100, n_valid=100, cache_dir=cache,
                   search_template=None)
    _, info = e.reset(seed=0, options={"task_id": e.tasks("test")[0].task_id})
    assert info["admissible_actions"] == [] and info["search_available"]
    _, _, _, _, info = e.step(info["expert_action"])
    assert info["valid"] and info["admissible_actions"][0] == "click[back to search]"


def test_splits_disjoint_and_sized(env: WebShopEnv) -> None:
    ids = {s: {t.task_id for t in env.tasks(s)} for s in ("train", "valid", "test")}
    assert [len(ids[s]) for s in ("train", "valid", "test")] == [400, 100, 100]
    assert not (ids["train"] & ids["test"] or ids["train"] & ids["valid"]
                or ids["valid"] & ids["test"])
    texts = {s: {t.instruction for t in env.tasks(s)} for s in ids}
    assert not (texts["train"] & texts["test"])


def test_parse_action() -> None:
    assert parse_action("  search[Red Shoes] ") == ("search", "Red Shoes")
    assert parse_action("CLICK[Buy Now]") == ("click", "Buy Now")
    for bad in ("search[red", "search]red[", "click[a]]", "click[[a]", "go north", "",
                "click[a] click[b]", "search[a\nb]", "x" * 1000):
        assert parse_action(bad) is None, bad


def test_every_page_and_action_kind(env: WebShopEnv) -> None:
    obs, info = reset(env)
    goal = env.shop.goal_by_id[info["task_id"]]
    target = env.shop.product(goal.asin)
    # search with the target's title puts it on the first page
    obs, _, _, info = step(env, f"search[{target.title}]")
    assert info["valid"] and "Page 1 (Total results: " in obs and "Back to Search" in obs
    assert target.asin in obs and target.asin.lower() in clicks(info)
    assert not info["search_available"] and "search[<query>]" not in info["admissible_actions"]
    assert "searched" in info["milestones"]
    # item page: options, title, price, detail links, buy now (ids are clicked case-insensitively)
    obs, _, _, info = step(env, f"click[{target.asin}]")
    assert info["valid"] and target.title in obs and f"Price: ${target.price:.2f}" in obs
    assert obs.endswith("Buy Now") and "< Prev" in obs
    assert {"back to search", "< prev", "buy now", "description", "features"} <= set(clicks(info))
    assert "opened target" in info["milestones"] and "opened right type" in info["milestones"]
    for dim, values in target.options.items():
        assert f" [SEP] {dim} [SEP] " in obs and all(v in clicks(info) for v in values)
    # description and features sub-pages, and back to the item
    obs, _, _, info = step(env, "click[description]")
    assert info["valid"] and target.description in obs and clicks(info) == ["back to search",
                                                                           "< prev"]
    obs, _, _, info = step(env, "click[< prev]")
    assert target.title in obs
    obs, _, _, info = step(env, "click[features]")
    assert all(f in obs for f in target.features)
    obs, _, _, info = step(env, "click[< prev]")
    # select every asked option, then buy: a full-score purchase
    for _, value in goal.options:
        obs, _, _, info = step(env, f"click[{value}]")
        assert info["valid"] and f"selected {value}" in info["milestones"]
    assert "You have selected: " in obs
    obs, reward, term, info = step(env, "click[Buy Now]")
    assert term and reward == 1.0 and info["success"] and info["score"] == 1.0
    assert info["reward_components"] == {"outcome": 1.0}
    assert info["milestones"][-1] == "bought"
    assert len(info["milestones"]) == info["milestones_total"] == 4 + len(goal.options)
    assert obs.startswith("Thank you for shopping with us!") and obs.endswith("1.00")
    # after the end: invalid, still terminated
    obs, reward, term, info = step(env, "click[buy now]")
    assert term and reward == 0.0 and not info["valid"]


def test_reviews_page_where_present(env: WebShopEnv) -> None:
    with_reviews = next(p for p in env.shop.products if p.reviews)
    without = next(p for p in env.shop.products if not p.reviews)
    for p, present in ((with_reviews, True), (without, False)):
        reset(env)
        step(env, f"search[{p.title}]")
        obs, _, _, info = step(env, f"click[{p.asin}]")
        assert ("reviews" in clicks(info)) == present and ("Reviews" in obs) == present
        if present:
            obs, _, _, info = step(env, "click[reviews]")
            stars, text = p.reviews[0]
            assert f"Rating: {stars} [SEP] {text}" in obs
        else:
            obs, _, _, info = step(env, "click[reviews]")
            assert not info["valid"]


def test_pagination(env: WebShopEnv) -> None:
    reset(env)
    query = "classic premium everyday essential"
    ranked = env._search(("classic", "premium", "everyday", "essential"))
    assert len(ranked) == 50
    obs, _, _, info = step(env, f"search[{query}]")
    assert "Page 1 (Total results: 50)" in obs and "next >" in clicks(info)
    assert "< prev" not in clicks(info)
    assert [c for c in clicks(info) if c.startswith("b0")] == [p.asin.lower() for p in ranked[:10]]
    for page in range(2, 6):
        obs, _, _, info = step(env, "click[next >]")
        assert f"Page {page} (Total results: 50)" in obs and "< prev" in clicks(info)
        shown = [c for c in clicks(info) if c.startswith("b0")]
        assert shown == [p.asin.lower() for p in ranked[(page - 1) * 10:page * 10]]
    assert "next >" not in clicks(info)
    obs, _, _, info = step(env, "click[next >]")
    assert not info["valid"] and "Page 5" in obs
    obs, _, _, info = step(env, "click[< prev]")
    assert "Page 4 (Total results: 50)" in obs
    # item -> < prev returns to the result page it came from
    first = ranked[30]
    step(env, f"click[{first.asin}]")
    obs, _, _, info = step(env, "click[< prev]")
    assert "Page 4 (Total results: 50)" in obs and info["state_key"].split("|", 1)[1].startswith(
        "results|q=classic premium everyday essential|p=4|")
    obs, _, _, info = step(env, "click[Back to Search]")
    assert info["valid"] and obs.startswith("WebShop [SEP] Instruction: ") and obs.endswith(
        "[SEP] Search") and info["search_available"]
    assert info["state_key"].endswith("|search|q=|p=1|item=|opts=|sub=")


def test_few_and_no_results(env: WebShopEnv) -> None:
    reset(env)
    obs, _, _, info = step(env, "search[zzzz qqqq]")
    assert info["valid"] and "Page 1 (Total results: 0)" in obs
    assert clicks(info) == ["back to search"]


def test_malformed_actions_are_invalid_and_harmless(env: WebShopEnv) -> None:
    obs0, info0 = reset(env)
    key = info0["state_key"]
    for bad in ("click[nonexistent]", "search[]", "search[   ]", "search[!!! ...]",
                "search[red shoes", "click]buy now[", "buy now", "", "click[buy now]",
                "search[the and of]", "\x00\x1b[31m", "🙂" * 50, "y" * 100_000):
        obs, reward, term, info = step(env, bad)
        assert not info["valid"] and reward == 0.0 and not term, bad
        assert obs.startswith("Invalid action: ") and obs.endswith(obs0), bad
        assert info["state_key"] == key
    step(env, "search[snack bar]")
    obs, _, _, info = step(env, "search[shampoo]")  # no search box on a results page
    assert not info["valid"] and "click[back to search] first" in obs
    obs, _, _, info = step(env, "click[description]")  # not on a results page
    assert not info["valid"]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=120), prefix=st.sampled_from(["", "search[", "click[", "click[b0"]))
def test_arbitrary_text_never_raises(env: WebShopEnv, text: str, prefix: str) -> None:
    _, info = reset(env, "train", 5)
    obs, reward, term, trunc, info2 = env.step(prefix + text)
    assert isinstance(obs, str) and obs and reward == 0.0 and not term and not trunc
    if not info2["valid"]:
        assert obs.startswith("Invalid action: ") and info2["state_key"] == info["state_key"]


def test_state_key_is_exact_and_history_free(env: WebShopEnv) -> None:
    _, info = reset(env)
    task = info["task_id"]
    p = next(p for p in env.shop.products if len(p.options.get("color", ())) >= 2)
    a, b = p.options["color"][:2]
    step(env, f"search[{p.title}]")
    _, _, _, info1 = step(env, f"click[{p.asin}]")
    _, _, _, info2 = step(env, f"click[{a}]")
    # a different path to the same state: other value first, a detour via the description
    reset(env)
    env.reset(seed=5, options={"task_id": task})
    step(env, f"search[{p.title}]")
    step(env, f"click[{p.asin}]")
    step(env, f"click[{b}]")
    step(env, "click[description]")
    step(env, "click[< prev]")
    _, _, _, info3 = step(env, f"click[{a}]")
    assert info3["state_key"] == info2["state_key"] != info1["state_key"]
    words = " ".join(query_terms(p.title))
    assert info2["state_key"] == f"{task}|item|q={words}|p=1|item={p.asin}|opts=color={a}|sub="


def test_expert_solves_test_split(env: WebShopEnv) -> None:
    wins, steps = 0, 0
    for task in env.tasks("test"):
        _, info = env.reset(seed=0, options={"task_id": task.task_id})
        for _ in range(env.max_turns):
            _, _reward, term, info = step(env, info["expert_action"])
            steps += 1
            if term:
                break
        wins += info["success"]
    assert wins / len(env.tasks("test")) >= 0.95
    assert steps / len(env.tasks("test")) < 8


def test_expert_plans_within_a_shorter_turn_limit(cache: Path) -> None:
    e = make("agentrl/WebShop-v0", cache_dir=cache, num_products=400, num_goals=600,
             n_test=100, n_valid=100, max_turns=6)
    assert e.unwrapped.max_turns == 6
    wins = 0
    for task in e.tasks("test")[:40]:
        _, info = e.reset(seed=0, options={"task_id": task.task_id})
        while True:
            _, _, term, trunc, info = e.step(info["expert_action"])
            if term or trunc:
                break
        wins += info["success"]
    assert wins >= 38
    e.close()


def test_expert_takes_over_mid_episode(env: WebShopEnv) -> None:
    _, info = reset(env, "valid", 3)
    goal = env.shop.goal_by_id[info["task_id"]]
    wrong = next(p for p in env.shop.products if p.query != goal.query)
    step(env, f"search[{wrong.title}]")
    step(env, f"click[{wrong.asin}]")
    _, _, _, info = step(env, "click[description]")
    assert info["expert_action"] == "click[< prev]"
    for _ in range(12):
        _, _reward, term, info = step(env, info["expert_action"])
        if term:
            break
    assert term and info["success"]


def test_random_agent_rarely_succeeds(env: WebShopEnv) -> None:
    rng = random.Random(0)
    wins, score = 0, 0.0
    tasks = env.tasks("test")
    for i, task in enumerate(tasks):
        _, info = env.reset(seed=i, options={"task_id": task.task_id})
        words = task.instruction.split()
        for _ in range(env.max_turns):
            action = rng.choice(info["admissible_actions"])
            if action.startswith("search["):
                action = f"search[{' '.join(rng.sample(words, 3))}]"
            _, _reward, term, info = step(env, action)
            if term:
                break
        wins += info["success"]
        score += info["score"]
    assert wins / len(tasks) <= 0.05
    assert score / len(tasks) < 0.3


def test_deterministic_across_instances(env: WebShopEnv, cache: Path) -> None:
    other = WebShopEnv(num_products=400, num_goals=600, n_test=100, n_valid=100, cache_dir=cache)
    task = env.tasks("train")[7].task_id
    traces = []
    for e in (env, other):
        obs, info = e.reset(seed=3, options={"task_id": task})
        trace = [(obs, info)]
        for _ in range(8):
            out = e.step(info["expert_action"])
            info = out[4]
            trace.append(out)
            if out[2]:
                break
        traces.append(trace)
    assert traces[0] == traces[1]
    other.close()


def test_bad_arguments_are_user_errors(cache: Path) -> None:
    with pytest.raises(UserError, match="num_products must be >= 1"):
        WebShopEnv(num_products=0, cache_dir=cache)
    with pytest.raises(UserError, match="num_goals > n_test"):
        WebShopEnv(num_goals=100, n_test=50, n_valid=50, cache_dir=cache)
    env = WebShopEnv(num_products=400, num_goals=600, n_test=100, n_valid=100, cache_dir=cache)
    with pytest.raises(UserError, match="no task 'nope'"):
        env.reset(options={"task_id": "nope"})
    with pytest.raises(UserError, match="no split 'dev'"):
        env.tasks("dev")


def test_check_env_passes(cache: Path) -> None:
    report = check_env("agentrl/WebShop-v0", make_kwargs={"cache_dir": str(cache)})
    assert report.passed, "\n".join(report.lines())
