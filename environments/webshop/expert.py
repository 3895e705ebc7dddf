"""Scripted expert (oracle) of the WebShop-style environment.

The expert knows the goal and uses the same search engine as the agent. For each goal it plans
once: it tries the goal's keywords (asked attributes + product type), then the keywords plus the
asked option values, then the target's title, and keeps the first query whose results hold a
product that satisfies the goal (scores 1 under WebShop's reward, Yao et al., 2022, arXiv
2207.01206) early enough to be bought within the turn budget. When no product satisfies the goal
(possible with WebShop's own data), it falls back to the target product.

``action(goal, state)`` is a pure function of the current page state (re-planned every step), so
the expert can take over mid-episode: from a wrong page it goes back on track (``< prev``, ``back
to search``), from the right results page it pages towards, or clicks, a satisfying product, on a
satisfying product it selects the asked options and buys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agentrl.environments.webshop.catalog import Product
from agentrl.environments.webshop.goals import Goal
from agentrl.environments.webshop.pages import DETAIL, ITEM, RESULTS, SEARCH, PageState
from agentrl.environments.webshop.reward import normalize, score_purchase
from agentrl.environments.webshop.search import query_terms

__all__ = ["Expert", "best_selection"]


def best_selection(product: Product, goal: Goal) -> dict[str, str]:
    """The option values of ``product`` that the goal asks for (dimension -> value)."""
    chosen: dict[str, str] = {}
    for dim, value in goal.options:
        want = normalize(value)
        dims = [dim] if dim in product.options else list(product.options)
        for d in dims:
            if d in chosen:
                continue
            match = next((v for v in product.options.get(d, ()) if normalize(v) == want), None)
            if match is not None:
                chosen[d] = match
                break
    return chosen


@dataclass(frozen=True)
class Plan:
    """The query to type and the product it aims at (rank in the results, or None)."""

    terms: tuple[str, ...]
    rank: int | None
    fallback_asin: str | None


class Expert:
    """Oracle policy over page states; memoises per-goal plans and per-product checks."""

    def __init__(self, products: Callable[[str], Product],
                 search: Callable[[tuple[str, ...]], tuple[Product, ...]],
                 per_page: int) -> None:
        self._product = products
        self._search = search
        self._per_page = per_page
        self._plans: dict[tuple[str, int], Plan] = {}
        self._ok: dict[tuple[str, str], bool] = {}

    def satisfies(self, product: Product, goal: Goal) -> bool:
        """Buying ``product`` with the asked options scores 1."""
        key = (goal.goal_id, product.asin)
        ok = self._ok.get(key)
        if ok is None:
            ok = score_purchase(product, best_selection(product, goal), goal).score >= 1.0
            self._ok[key] = ok
        return ok

    def plan(self, goal: Goal, max_turns: int) -> Plan:
        """The query and aimed-at result for ``goal`` within a budget of ``max_turns``."""
        key = (goal.goal_id, max_turns)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._make_plan(goal, max_turns)
            self._plans[key] = plan
        return plan

    def _make_plan(self, goal: Goal, max_turns: int) -> Plan:
        option_words = " ".join(v for _, v in goal.options)
        candidates = [query_terms(goal.keywords),
                      query_terms(f"{goal.keywords} {option_words}"),
                      query_terms(goal.name)]
        # search + pages turned + open + options + buy must fit in the turn budget
        spare = max_turns - 3 - len(goal.options)
        for terms in candidates:
            if not terms:
                continue
            for rank, product in enumerate(self._search(terms)):
                if rank // self._per_page > spare:
                    break
                if self.satisfies(product, goal):
                    return Plan(terms, rank, None)
        terms = query_terms(goal.name) or query_terms(goal.keywords)
        results = self._search(terms)
        rank = next((i for i, p in enumerate(results) if p.asin == goal.asin), None)
        return Plan(terms, rank, goal.asin)

    def _wanted(self, product: Product, goal: Goal, plan: Plan) -> bool:
        if plan.fallback_asin is not None:
            return product.asin == plan.fallback_asin
        return self.satisfies(product, goal)

    def action(self, goal: Goal, state: PageState, page_results: tuple[Product, ...],
               max_turns: int = 15) -> str:
        """The expert's next action from ``state`` (``page_results``: products listed now)."""
        plan = self.plan(goal, max_turns)
        if state.kind == SEARCH:
            return f"search[{' '.join(plan.terms)}]"
        if state.kind == DETAIL:
            return "click[< prev]"
        if state.kind == ITEM:
            product = self._product(state.asin)
            if not self._wanted(product, goal, plan):
                return "click[< prev]"
            chosen = dict(state.options)
            for dim, value in best_selection(product, goal).items():
                if chosen.get(dim) != value:
                    return f"click[{value.lower()}]"
            return "click[buy now]"
        if state.kind == RESULTS:
            if state.query != plan.terms:
                return "click[back to search]"
            for product in page_results:
                if self._wanted(product, goal, plan):
                    return f"click[{product.asin.lower()}]"
            if plan.rank is None:
                return "click[back to search]"
            target_page = plan.rank // self._per_page + 1
            if state.page < target_page:
                return "click[next >]"
            if state.page > target_page:
                return "click[< prev]"
            return "click[back to search]"
        return ""
