"""``agentrl/WebShop-v0``: a WebShop-style shopping environment with a real search engine.

Re-creates the interface and reward of WebShop (Yao et al., 2022, arXiv 2207.01206) offline: the
agent reads a shopping instruction, searches a product catalog (BM25 over SQLite FTS5), browses
result pages, opens products, selects options and buys; buying ends the episode with WebShop's
score (see :mod:`agentrl.environments.webshop.reward`).

Actions (exactly WebShop's): ``search[query]`` on the search page; ``click[x]`` where ``x`` is a
clickable of the current page (case-insensitive): a product id on a results page, an option
value, ``buy now``, ``next >``, ``< prev``, ``back to search``, ``description``, ``features``,
``reviews``. The whole action text (surrounding whitespace aside) must be one such action;
anything else is invalid: the page is shown again after a one-line reason, ``info["valid"]`` is
False, and the episode goes on.

``info`` on every step: ``valid``, ``state_key`` (task + page kind, query words, result page,
item, selected options, sub-page: exact and history-free), ``admissible_actions`` (the page's
clicks, plus ``search[<query>]`` where the search box is), ``search_available``, ``milestones``
and ``milestones_total``, ``score`` and ``success`` (0/False until bought), ``expert_action``,
``task_id``, ``task_type``; on ``buy now`` also ``reward_components`` and ``reward_details``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, SupportsFloat

from agentrl.environments.webshop.catalog import Product
from agentrl.environments.webshop.expert import Expert
from agentrl.environments.webshop.goals import Goal
from agentrl.environments.webshop.pages import (
    DETAIL,
    DETAILS,
    DONE,
    ITEM,
    RESULTS,
    SEARCH,
    PageState,
    detail_available,
    render,
)
from agentrl.environments.webshop.reward import score_purchase, type_reward
from agentrl.environments.webshop.search import SearchIndex, query_terms
from agentrl.environments.webshop.shop import Shop, ShopConfig, load_shop
from agentrl.envs.base import TextEnv
from agentrl.errors import UserError
from agentrl.types import SPLITS, Task

__all__ = ["WebShopEnv"]

_ACTION = re.compile(r"(search|click)\[([^\[\]\n]*)\]", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
SEARCH_TEMPLATE = "search[<query>]"
#: Longest action text parsed; longer text cannot be a WebShop action.
MAX_ACTION_CHARS = 500


def parse_action(text: str) -> tuple[str, str] | None:
    """``(verb, argument)`` of a well-formed ``search[...]`` / ``click[...]`` action, else None."""
    if len(text) > MAX_ACTION_CHARS:
        return None
    match = _ACTION.fullmatch(text.strip())
    if match is None:
        return None
    return match.group(1).lower(), _SPACES.sub(" ", match.group(2)).strip()


class WebShopEnv(TextEnv):
    """WebShop-style shopping environment (see the module docstring).

    Args:
        num_products: size of the generated catalog (ignored with ``data_dir``).
        num_goals: number of generated goals; ``n_test`` and ``n_valid`` of them form the test
            and valid splits, the rest train (ignored with ``data_dir``: WebShop's split).
        seed: seed of the generated catalog, goals and split.
        data_dir: folder with WebShop's original files (see
            :mod:`agentrl.environments.webshop.original`); replaces the generated catalog.
        cache_dir: root of the on-disk cache of catalogs and search indexes.
        per_page: results per page (WebShop: 10). max_results: results per search (WebShop: 50).
        show_instruction: repeat the instruction at the top of every page, as WebShop does.
        max_turns: default turn limit (verl-agent uses 15 for WebShop).
        search_cache_size: queries whose results the engine keeps (0: every search is run).
        search_template: the entry of ``admissible_actions`` that says the search box is there
            (verl-agent lists ``search[<your query>]``); ``None`` lists clickables only (for
            rollouts that project actions onto the admissible list and know no templates).
    """

    def __init__(self, num_products: int = 1000, num_goals: int = 2000, n_test: int = 200,
                 n_valid: int = 200, seed: int = 0, data_dir: str | Path | None = None,
                 cache_dir: str | Path | None = None, per_page: int = 10, max_results: int = 50,
                 show_instruction: bool = True, max_turns: int = 15,
                 search_cache_size: int = 256,
                 search_template: str | None = SEARCH_TEMPLATE) -> None:
        if per_page < 1 or max_results < 1:
            raise UserError("webshop: per_page and max_results must be >= 1")
        if data_dir is None and num_products < 1:
            raise UserError(f"webshop: num_products must be >= 1, got {num_products}")
        if data_dir is None and (n_test < 1 or n_valid < 1 or num_goals <= n_test + n_valid):
            raise UserError(f"webshop: need n_test >= 1, n_valid >= 1 and num_goals > n_test + "
                            f"n_valid (got {num_goals}, {n_test}, {n_valid})")
        config = ShopConfig(num_products=num_products, num_goals=num_goals, n_test=n_test,
                            n_valid=n_valid, seed=seed,
                            data_dir=str(data_dir) if data_dir is not None else None)
        self.shop: Shop = load_shop(config, cache_dir)
        self.index = SearchIndex(self.shop.index_path, cache_size=search_cache_size)
        self.per_page = per_page
        self.max_results = max_results
        self.show_instruction = show_instruction
        self.max_turns = max_turns
        self.search_template = search_template
        self.expert = Expert(self.shop.product, self._search, per_page)
        self._tasks: dict[str, list[Task]] = {}
        self._goal: Goal | None = None
        self._state = PageState()
        self._results: tuple[Product, ...] = ()
        self._clicks: dict[str, tuple[str, Any]] = {}
        self._found: OrderedDict[tuple[str, ...], tuple[Product, ...]] = OrderedDict()
        self._pending_seed: int | None = None
        self._milestones: list[str] = []
        self._done = False
        self._score = 0.0

    # -- tasks ---------------------------------------------------------------------------------

    def tasks(self, split: str = "train") -> list[Task]:
        if split not in self.shop.splits:
            raise UserError(f"webshop has no split {split!r}; use one of {', '.join(SPLITS)}")
        if split not in self._tasks:
            self._tasks[split] = [g.to_task(split) for g in self.shop.splits[split]]
        return list(self._tasks[split])

    # -- gymnasium API -------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        if seed is not None:
            # seeding builds a numpy Generator (~0.1 ms); do it only when a task is drawn. No
            # draw happens in between, so the stream is the same as seeding right away.
            self._pending_seed = seed
        options = options or {}
        task_id = options.get("task_id")
        if task_id is None:
            split = options.get("split", "train")
            goals = self.shop.splits.get(split)
            if not goals:
                raise UserError(f"webshop has no split {split!r}; use one of {', '.join(SPLITS)}")
            if self._pending_seed is not None:
                super().reset(seed=self._pending_seed)
                self._pending_seed = None
            self._goal = goals[int(self.np_random.integers(len(goals)))]
        elif task_id in self.shop.goal_by_id:
            self._goal = self.shop.goal_by_id[task_id]
        else:
            raise UserError(f"webshop has no task {task_id!r}; pick one from env.tasks(split)")
        self._state = PageState()
        self._results = ()
        self._clicks = {}
        self._milestones = []
        self._done = False
        self._score = 0.0
        return self._observe(), self._info(valid=True)

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        if self._goal is None:
            raise RuntimeError("call reset() before step()")
        if self._done:
            return self._invalid("the episode is over; call reset()")
        parsed = parse_action(action) if isinstance(action, str) else None
        if parsed is None:
            return self._invalid("use search[query] or click[button] with a button of this page")
        verb, arg = parsed
        if verb == "search":
            return self._do_search(arg)
        return self._do_click(arg.lower())

    def close(self) -> None:
        self.index.close()
        super().close()

    # -- transitions ---------------------------------------------------------------------------

    def _do_search(self, text: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._state.kind != SEARCH:
            return self._invalid("search is only on the search page; click[back to search] first")
        terms = query_terms(text)
        if not terms:
            return self._invalid("the search query has no searchable words")
        self._mark("searched")
        return self._go(PageState(RESULTS, terms, 1))

    def _do_click(self, target: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        click = self._clicks.get(target)
        if click is None:
            return self._invalid("that is not a clickable of this page")
        kind, arg = click
        s = self._state
        if kind == "buy":
            return self._buy()
        if kind == "search_page":
            return self._go(PageState())
        if kind == "results":
            return self._go(PageState(RESULTS, s.query, arg))
        if kind == "item":
            return self._go(PageState(ITEM, s.query, s.page, arg))
        if kind == "option":
            dim, value = arg
            return self._go(s.with_option(dim, value))
        if kind == "detail":
            return self._go(PageState(DETAIL, s.query, s.page, s.asin, s.options, arg))
        assert kind == "back_item", kind
        return self._go(PageState(ITEM, s.query, s.page, s.asin, s.options))

    def _clickables(self) -> dict[str, tuple[str, Any]]:
        """Lower-case click target -> (kind of click, argument) on the current page."""
        s = self._state
        out: dict[str, tuple[str, Any]] = {}
        if s.kind == RESULTS:
            out["back to search"] = ("search_page", None)
            if s.page > 1:
                out["< prev"] = ("results", s.page - 1)
            if s.page * self.per_page < len(self._search(s.query)):
                out["next >"] = ("results", s.page + 1)
            for p in self._results:
                out[p.asin.lower()] = ("item", p.asin)
        elif s.kind == ITEM:
            product = self.shop.product(s.asin)
            out["back to search"] = ("search_page", None)
            out["< prev"] = ("results", s.page)
            for dim, values in product.options.items():
                for v in values:
                    out.setdefault(v.lower(), ("option", (dim, v)))
            for d in DETAILS:
                if detail_available(product, d):
                    out[d] = ("detail", d)
            out["buy now"] = ("buy", None)
        elif s.kind == DETAIL:
            out["back to search"] = ("search_page", None)
            out["< prev"] = ("back_item", None)
        return out

    def _go(self, state: PageState) -> tuple[str, float, bool, bool, dict[str, Any]]:
        self._state = state
        goal = self._goal
        assert goal is not None
        if state.kind == RESULTS:
            start = (state.page - 1) * self.per_page
            self._results = self._search(state.query)[start:start + self.per_page]
        else:
            self._results = ()
        self._clicks = self._clickables()
        if state.kind == ITEM:
            product = self.shop.product(state.asin)
            right_type = type_reward(product, goal)[0] >= 1.0
            if right_type:
                self._mark("opened right type")
                chosen = {v.lower() for _, v in state.options}
                for _, value in goal.options:
                    if value.lower() in chosen:
                        self._mark(f"selected {value.lower()}")
            if product.asin == goal.asin:
                self._mark("opened target")
        return self._observe(), 0.0, False, False, self._info(valid=True)

    def _buy(self) -> tuple[str, float, bool, bool, dict[str, Any]]:
        goal = self._goal
        assert goal is not None
        product = self.shop.product(self._state.asin)
        details = score_purchase(product, dict(self._state.options), goal)
        self._score = details.score
        self._done = True
        self._mark("bought")
        self._state = PageState(DONE, self._state.query, self._state.page, self._state.asin,
                                self._state.options)
        self._results = ()
        self._clicks = {}
        info = self._info(valid=True)
        info["reward_components"] = {"outcome": details.score}
        info["reward_details"] = details.as_info()
        return self._observe(), details.score, True, False, info

    def _invalid(self, reason: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        obs = f"Invalid action: {reason}.\n{self._observe()}"
        return obs, 0.0, self._done, False, self._info(valid=False)

    # -- helpers -------------------------------------------------------------------------------

    def _search(self, terms: tuple[str, ...]) -> tuple[Product, ...]:
        found = self._found.get(terms)
        if found is None:
            products = self.shop.products
            found = tuple(products[i] for i in self.index.search(terms, self.max_results))
            self._found[terms] = found
            if len(self._found) > 8:
                self._found.popitem(last=False)
        return found

    def _mark(self, milestone: str) -> None:
        if milestone not in self._milestones:
            self._milestones.append(milestone)

    def _observe(self) -> str:
        goal = self._goal
        assert goal is not None
        s = self._state
        product = self.shop.product(s.asin) if s.kind in (ITEM, DETAIL) else None
        total = len(self._search(s.query)) if s.kind == RESULTS else 0
        instruction = goal.instruction if self.show_instruction or s.kind == SEARCH else None
        return render(s, instruction, product, self._results, total, self.per_page, self._score)

    def _info(self, *, valid: bool) -> dict[str, Any]:
        goal = self._goal
        assert goal is not None
        s = self._state
        if self._done:
            admissible: list[str] = []
            expert = ""
        else:
            admissible = ([self.search_template]
                          if s.kind == SEARCH and self.search_template else [])
            admissible += [f"click[{c}]" for c in self._clicks]
            expert = self.expert.action(goal, s, self._results, int(self.max_turns or 15))
        return {
            "valid": valid,
            "state_key": f"{goal.goal_id}|{s.key()}",
            "admissible_actions": admissible,
            "search_available": s.kind == SEARCH and not self._done,
            "milestones": list(self._milestones),
            "milestones_total": 4 + len(goal.options),
            "score": self._score,
            "success": self._done and self._score >= 1.0,
            "expert_action": expert,
            "task_id": goal.goal_id,
            "task_type": goal.category,
        }
