"""WebShop's purchase reward (Yao et al., 2022, arXiv 2207.01206, section 3.1 and appendix).

When the agent clicks ``buy now`` on product ``Y`` with selected options ``Y_opt``, the goal
``U`` (attributes ``U_att``, options ``U_opt``, price bound ``u_price``) scores::

    score = r_type * (|U_att ∩ Y_att| + |U_opt ∩ Y_opt| + 1[y_price <= u_price])
                   / (|U_att| + |U_opt| + 1)

What is implemented, exactly:

- ``|U_att ∩ Y_att|`` counts the goal attributes that, after normalisation (lower case, runs of
  non-alphanumerics -> one space), equal one of the product's attributes or occur as a phrase in
  its title, bullet features or description (WebShop also looks there). WebShop compares
  attributes with a fuzzy token-set ratio > 85; here the normalised strings must be equal, so
  "Gluten-Free" matches "gluten free" but near-misses do not.
- ``|U_opt ∩ Y_opt|`` counts the goal option values equal (normalised) to a selected option
  value. WebShop matches fuzzily and also credits a selected value found in the product text;
  this implementation uses the set intersection of the paper's formula only.
- ``1[y_price <= u_price]`` uses the product's price (the lowest listed price for WebShop data).
- ``r_type`` follows WebShop's type matching: ``query_match`` (same non-empty search query),
  ``category_match`` (the ``›``-separated category paths share at least two levels), and
  ``title_score`` = fraction of the target title's type words found in the bought title. Type
  words approximate WebShop's spaCy nouns by content words: lower-case alphabetic tokens of two
  or more letters not in :data:`STOP_WORDS`. Then r_type = 1 if any of the three matches holds
  (title_score > 0.2), else 0.5; it is lowered to 0.1 when title_score < 0.1 and to 0 when
  title_score = 0. A target title without type words gives title_score = 0.2, as in WebShop.

``success`` is ``score == 1``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from agentrl.environments.webshop.catalog import Product
from agentrl.environments.webshop.goals import Goal

__all__ = ["RewardDetails", "normalize", "score_purchase", "type_reward", "type_words"]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_ALPHA_WORD = re.compile(r"[a-z]+")
STOP_WORDS = frozenset(
    (
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into",
        "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "with", "without", "your",
        "you", "our", "we", "i", "me", "my", "all", "any", "each", "per", "pack", "set", "size",
    )
)


@lru_cache(maxsize=1 << 16)
def normalize(text: str) -> str:
    """Lower case; every run of characters other than a-z, 0-9 becomes one space."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


@lru_cache(maxsize=1 << 16)
def type_words(title: str) -> frozenset[str]:
    """Content words of a title: alphabetic, two letters or more, not stop words."""
    return frozenset(w for w in _ALPHA_WORD.findall(title.lower())
                     if len(w) > 1 and w not in STOP_WORDS)


@dataclass(frozen=True)
class RewardDetails:
    """The parts of one purchase's score."""

    score: float
    r_type: float
    query_match: bool
    category_match: bool
    title_score: float
    attributes_matched: int
    attributes_total: int
    options_matched: int
    options_total: int
    price_ok: bool

    def as_info(self) -> dict[str, float]:
        return {
            "r_type": self.r_type,
            "title_score": round(self.title_score, 6),
            "query_match": float(self.query_match),
            "category_match": float(self.category_match),
            "attributes_matched": float(self.attributes_matched),
            "attributes_total": float(self.attributes_total),
            "options_matched": float(self.options_matched),
            "options_total": float(self.options_total),
            "price_ok": float(self.price_ok),
        }


@lru_cache(maxsize=1 << 14)
def _category_levels(path: str) -> frozenset[str]:
    return frozenset(level.strip().lower() for level in path.split("›") if level.strip())


def type_reward(product: Product, goal: Goal) -> tuple[float, bool, bool, float]:
    """``(r_type, query_match, category_match, title_score)`` of buying ``product`` for ``goal``."""
    query = normalize(product.query)
    query_match = bool(query) and query == normalize(goal.query)
    shared = _category_levels(product.product_category) & _category_levels(goal.product_category)
    category_match = len(shared) >= 2
    wanted = type_words(goal.name)
    title_score = len(type_words(product.title) & wanted) / len(wanted) if wanted else 0.2
    r_type = 1.0 if (query_match or category_match or title_score > 0.2) else 0.5
    if title_score < 0.1:
        r_type = 0.1
    if title_score == 0.0:
        r_type = 0.0
    return r_type, query_match, category_match, title_score


def _padded(text: str) -> str:
    return f" {normalize(text)} "


def attribute_matches(product: Product, attributes: Iterable[str]) -> int:
    """How many of ``attributes`` the product has (listed, or said in its text)."""
    own = {normalize(a) for a in product.attributes}
    text = _padded(" ".join([product.title, " ".join(product.features), product.description]))
    count = 0
    for att in attributes:
        norm = normalize(att)
        if norm and (norm in own or f" {norm} " in text):
            count += 1
    return count


def option_matches(goal_options: Iterable[str], selected: Mapping[str, str]) -> int:
    """How many goal option values were selected (normalised equality)."""
    chosen = {normalize(v) for v in selected.values()}
    return sum(1 for v in goal_options if normalize(v) in chosen)


def score_purchase(product: Product, selected: Mapping[str, str], goal: Goal) -> RewardDetails:
    """Score buying ``product`` with ``selected`` options (dimension -> value) for ``goal``."""
    r_type, query_match, category_match, title_score = type_reward(product, goal)
    n_att = attribute_matches(product, goal.attributes)
    goal_values = [v for _, v in goal.options]
    n_opt = option_matches(goal_values, selected)
    price_ok = product.price <= goal.price_upper
    total = len(goal.attributes) + len(goal_values) + 1
    score = r_type * (n_att + n_opt + int(price_ok)) / total
    return RewardDetails(
        score=score, r_type=r_type, query_match=query_match, category_match=category_match,
        title_score=title_score, attributes_matched=n_att, attributes_total=len(goal.attributes),
        options_matched=n_opt, options_total=len(goal_values), price_ok=price_ok,
    )
