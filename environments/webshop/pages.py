"""Page states and their text rendering, in WebShop's "simple" observation mode.

WebShop (Yao et al., 2022, arXiv 2207.01206) has four page kinds: the search page, a results page
(10 products per page, at most 50 results), an item page (options, title, price, links to
description / features / reviews, ``Buy Now``) and an item sub-page. In the simple text mode a
page is its visible strings joined by ``[SEP]``. A :class:`PageState` is the exact, history-free
state of the browser: page kind, query (normalised words), result page, item, selected options,
sub-page. Everything shown and every clickable is a function of that state.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentrl.environments.webshop.catalog import Product

__all__ = ["BUTTONS", "PageState", "render"]

SEP = " [SEP] "
SEARCH, RESULTS, ITEM, DETAIL, DONE = "search", "results", "item", "detail", "done"
DETAILS = ("description", "features", "reviews")
#: Fixed buttons (lower case, as clicked).
BUTTONS = ("back to search", "next >", "< prev", "buy now", *DETAILS)


@dataclass(frozen=True)
class PageState:
    """Where the browser is. ``options`` is sorted ``(dimension, value)`` pairs."""

    kind: str = SEARCH
    query: tuple[str, ...] = ()
    page: int = 1
    asin: str = ""
    options: tuple[tuple[str, str], ...] = ()
    detail: str = ""

    def key(self) -> str:
        """Canonical text key of this state (``state_key`` without the task)."""
        opts = ";".join(f"{d}={v}" for d, v in self.options)
        return (f"{self.kind}|q={' '.join(self.query)}|p={self.page}|item={self.asin}"
                f"|opts={opts}|sub={self.detail}")

    def with_option(self, dim: str, value: str) -> PageState:
        chosen = dict(self.options)
        chosen[dim] = value
        return PageState(ITEM, self.query, self.page, self.asin, tuple(sorted(chosen.items())))


def _money(price: float) -> str:
    return f"${price:.2f}"


def detail_available(product: Product, detail: str) -> bool:
    if detail == "description":
        return bool(product.description)
    if detail == "features":
        return bool(product.features)
    return bool(product.reviews)


def render_search(head: list[str]) -> str:
    return SEP.join(["WebShop", *head, "Search"])


def render_results(head: list[str], page: int, total: int, shown: list[Product],
                   has_next: bool) -> str:
    parts = [*head, "Back to Search", f"Page {page} (Total results: {total})"]
    if page > 1:
        parts.append("< Prev")
    if has_next:
        parts.append("Next >")
    for p in shown:
        parts += [p.asin, p.title, _money(p.price)]
    return SEP.join(parts)


def render_item(head: list[str], product: Product, options: tuple[tuple[str, str], ...]) -> str:
    parts = [*head, "Back to Search", "< Prev"]
    for dim, values in product.options.items():
        parts.append(dim)
        parts.extend(values)
    if options:
        parts.append("You have selected: " + ", ".join(v for _, v in options))
    rating = "N.A." if product.rating is None else f"{product.rating:.1f}"
    parts += [product.title, f"Price: {_money(product.price)}", f"Rating: {rating}"]
    parts += [d.capitalize() for d in DETAILS if detail_available(product, d)]
    parts.append("Buy Now")
    return SEP.join(parts)


def render_detail(head: list[str], product: Product, detail: str) -> str:
    parts = [*head, "Back to Search", "< Prev"]
    if detail == "description":
        parts.append(product.description)
    elif detail == "features":
        parts.extend(product.features)
    else:
        for stars, text in product.reviews:
            parts += [f"Rating: {stars}", text]
    return SEP.join(parts)


def render_done(score: float) -> str:
    return SEP.join(["Thank you for shopping with us!", "Your score (min 0.0, max 1.0)",
                     f"{score:.2f}"])


def render(state: PageState, instruction: str | None, product: Product | None,
           results: tuple[Product, ...], total: int, per_page: int, score: float = 0.0) -> str:
    """The observation text of ``state``; ``results`` are the products of the current page."""
    head = ["Instruction:", instruction] if instruction else []
    if state.kind == SEARCH:
        return render_search(head)
    if state.kind == RESULTS:
        has_next = state.page * per_page < total
        return render_results(head, state.page, total, list(results), has_next)
    if state.kind == DONE:
        return render_done(score)
    assert product is not None
    if state.kind == ITEM:
        return render_item(head, product, state.options)
    return render_detail(head, product, state.detail)
