"""Deterministic task generation for ``agentrl/ToolUse-v0``.

Question templates ("families") draw their parameters from a seeded :class:`random.Random`, and
the reference answer is computed by running the ground-truth calls through the real tools, so
every answer is what the tools return. Three kinds of families:

- ``single``: one call (arithmetic, percentages, unit conversion, date arithmetic with month
  ends and leap days, weekdays, SQL over the shop database, knowledge-base lookups);
- ``parallel``: two or three independent calls made in one turn (two weekdays, two capitals,
  which of two quantities is larger, which product is cheaper, ...);
- ``multi-step``: chains where a later call uses an earlier result through ``${i.path}``
  references (price from SQL -> total with tax on the calculator; order date and category from
  SQL -> return window from the knowledge base -> ``date_add``; element masses -> molar mass).

Splits are disjoint by construction: a question goes to the split chosen by a hash of its
text, and duplicates are dropped, so no question appears twice in or across splits. Each task
offers its needed tools plus one to three distractors, in a shuffled order, then
``final_answer``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import random
from collections.abc import Callable
from typing import Any

from agentrl.environments.tools.knowledge import KNOWLEDGE
from agentrl.environments.tools.tasks import resolve, task_type
from agentrl.environments.tools.toolbox import FINAL_ANSWER, TOOL_NAMES, Toolbox
from agentrl.types import Task

__all__ = ["DEFAULT_SIZES", "generate_tasks"]

DEFAULT_SIZES: dict[str, int] = {"train": 6000, "valid": 2000, "test": 2000}
SEED = 13958
#: hash bucket (of 5) -> split: 60% / 20% / 20% of distinct questions
_BUCKETS = ("train", "train", "train", "valid", "test")

_Call = dict[str, Any]
_Draft = tuple[str, list[_Call], Callable[[list[Any]], Any]] | None
_Family = Callable[[random.Random, "_World"], _Draft]


def _call(name: str, **arguments: Any) -> _Call:
    return {"name": name, "arguments": arguments}


class _World:
    """The facts templates draw from, read from the real database and knowledge base."""

    def __init__(self, toolbox: Toolbox) -> None:
        db = toolbox.database
        self.customers = [r[0] for r in db.query("SELECT name FROM customers ORDER BY id")["rows"]]
        self.products = [r[0] for r in db.query("SELECT name FROM products ORDER BY id")["rows"]]
        self.cities = [r[0] for r in db.query("SELECT DISTINCT city FROM customers ORDER BY "
                                              "city")["rows"]]
        self.n_orders = db.query("SELECT COUNT(*) FROM orders")["rows"][0][0]
        by_type: dict[str, list[str]] = {}
        for name, entry in KNOWLEDGE.items():
            by_type.setdefault(entry["type"], []).append(name)
        self.countries = by_type["country"]
        self.elements = by_type["element"]
        self.mountains = by_type["mountain"]
        self.categories = by_type["product category"]


# ------------------------------------------------------------------ parameter helpers


def _number(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"{rng.randint(1, 999)}.{rng.randint(1, 9)}"
    return str(rng.randint(2, 999))


def _date(rng: random.Random, month_end: bool = False) -> str:
    year, month = rng.randint(2020, 2026), rng.randint(1, 12)
    if month_end:
        nxt = dt.date(year + month // 12, month % 12 + 1, 1)
        return (nxt - dt.timedelta(days=1)).isoformat()
    return dt.date(year, month, rng.randint(1, 28)).isoformat()


_UNITS = {
    "length": (("mm", "cm", "m", "km", "in", "ft", "yd", "mi"), "m"),
    "mass": (("g", "kg", "t", "oz", "lb"), "kg"),
    "volume": (("ml", "l", "gal"), "l"),
    "time": (("s", "min", "h", "day", "week"), "s"),
}
_COMPARE_WORD = {"length": "longer", "mass": "heavier", "volume": "more", "time": "longer"}
_PERCENTS = (5, 10, 12.5, 15, 17.5, 20, 25, 30, 40, 50, 60, 75)
_COMPOUNDS = (
    ("H2O", (("hydrogen", 2), ("oxygen", 1))), ("CO2", (("carbon", 1), ("oxygen", 2))),
    ("NaCl", (("sodium", 1), ("chlorine", 1))), ("CH4", (("carbon", 1), ("hydrogen", 4))),
    ("NH3", (("nitrogen", 1), ("hydrogen", 3))), ("MgO", (("magnesium", 1), ("oxygen", 1))),
    ("CaCl2", (("calcium", 1), ("chlorine", 2))), ("KCl", (("potassium", 1), ("chlorine", 1))),
    ("SiO2", (("silicon", 1), ("oxygen", 2))), ("Al2O3", (("aluminium", 2), ("oxygen", 3))),
    ("H2SO4", (("hydrogen", 2), ("sulfur", 1), ("oxygen", 4))),
    ("HCl", (("hydrogen", 1), ("chlorine", 1))), ("CaO", (("calcium", 1), ("oxygen", 1))),
    ("NO2", (("nitrogen", 1), ("oxygen", 2))), ("C2H6", (("carbon", 2), ("hydrogen", 6))),
)


def _first(r: Any) -> Any:
    return r["rows"][0][0] if r["rows"] else None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# ------------------------------------------------------------------ single-call families


def _arith(rng: random.Random, w: _World) -> _Draft:
    terms = [_number(rng) for _ in range(rng.choice((2, 2, 3)))]
    expr = terms[0] + "".join(f" {rng.choice('+-*/')} {t}" for t in terms[1:])
    q = rng.choice(("What is {}?", "Compute {}.", "Calculate {}.")).format(expr)
    return q, [_call("calculator", expression=expr)], lambda r: r[0]


def _percent(rng: random.Random, w: _World) -> _Draft:
    p, x = rng.choice(_PERCENTS), rng.randint(10, 5000)
    return (f"What is {_fmt(p)}% of {x}?", [_call("calculator", expression=f"{x} * {p} / 100")],
            lambda r: r[0])


def _convert(rng: random.Random, w: _World) -> _Draft:
    if rng.random() < 0.2:
        a, b = rng.sample(("C", "F", "K"), 2)
        value = rng.randint(200, 400) if a == "K" else rng.randint(-40, 120)
    else:
        units, _ = _UNITS[rng.choice(list(_UNITS))]
        a, b = rng.sample(units, 2)
        value = rng.randint(1, 500) if rng.random() < 0.7 else rng.randint(1, 999) / 10
    return (f"Convert {_fmt(value)} {a} to {b}.",
            [_call("convert_units", value=value, from_unit=a, to_unit=b)], lambda r: r[0])


def _date_days(rng: random.Random, w: _World) -> _Draft:
    d, n = _date(rng), rng.randint(1, 400)
    if rng.random() < 0.3:
        return f"What date is {n} days before {d}?", [_call("date_add", date=d, days=-n)], \
            lambda r: r[0]
    return f"What date is {n} days after {d}?", [_call("date_add", date=d, days=n)], \
        lambda r: r[0]


def _date_months(rng: random.Random, w: _World) -> _Draft:
    if rng.random() < 0.25:
        d = f"{rng.choice((2020, 2024))}-02-29"
        n = rng.randint(1, 5)
        return (f"What date is {n} year{'s' * (n > 1)} after {d}?",
                [_call("date_add", date=d, years=n)], lambda r: r[0])
    d, n = _date(rng, month_end=rng.random() < 0.6), rng.randint(1, 24)
    return (f"What date is {n} month{'s' * (n > 1)} after {d}?",
            [_call("date_add", date=d, months=n)], lambda r: r[0])


def _date_diff(rng: random.Random, w: _World) -> _Draft:
    a = _date(rng)
    b = (dt.date.fromisoformat(a) + dt.timedelta(days=rng.randint(1, 1200))).isoformat()
    return (f"How many days are there from {a} to {b}?", [_call("date_diff", start=a, end=b)],
            lambda r: r[0])


def _weekday(rng: random.Random, w: _World) -> _Draft:
    d = _date(rng, month_end=rng.random() < 0.2)
    return f"What day of the week is {d}?", [_call("weekday", date=d)], lambda r: r[0]


def _sql_single(rng: random.Random, w: _World) -> _Draft:
    kind = rng.randrange(7)
    name, product = rng.choice(w.customers), rng.choice(w.products)
    order, city = rng.randint(1, w.n_orders), rng.choice(w.cities)
    q, sql = [
        (f"How many orders has {name} placed?",
         "SELECT COUNT(*) FROM orders JOIN customers ON customers.id = orders.customer_id "
         f"WHERE customers.name = '{name}'"),
        (f"What is the price of the {product}?",
         f"SELECT price FROM products WHERE name = '{product}'"),
        (f"In which city does {name} live?", f"SELECT city FROM customers WHERE name = '{name}'"),
        (f"How many units were ordered in order {order}?",
         f"SELECT quantity FROM orders WHERE id = {order}"),
        (f"On what date was order {order} placed?",
         f"SELECT order_date FROM orders WHERE id = {order}"),
        (f"How many customers live in {city}?",
         f"SELECT COUNT(*) FROM customers WHERE city = '{city}'"),
        (f"How many units of the {product} were ordered in total?",
         "SELECT SUM(quantity) FROM orders JOIN products ON products.id = orders.product_id "
         f"WHERE products.name = '{product}'"),
    ][kind]
    return q, [_call("sql_query", query=sql)], lambda r: _first(r[0])


def _lookup_single(rng: random.Random, w: _World) -> _Draft:
    kind = rng.randrange(7)
    country, element = rng.choice(w.countries), rng.choice(w.elements)
    mountain, category = rng.choice(w.mountains), rng.choice(w.categories)
    q, topic, key = [
        (f"What is the capital of {country}?", country, "capital"),
        (f"What currency does {country} use?", country, "currency"),
        (f"What is the chemical symbol of {element}?", element, "symbol"),
        (f"What is the atomic number of {element}?", element, "atomic_number"),
        (f"How tall is {mountain} in metres?", mountain, "height_m"),
        (f"How many days do customers have to return {category} products?", category,
         "return_days"),
        (f"How many months of warranty do {category} products have?", category,
         "warranty_months"),
    ][kind]
    return q, [_call("lookup", topic=topic)], lambda r: r[0][key]


# ------------------------------------------------------------------ parallel families


def _two_weekdays(rng: random.Random, w: _World) -> _Draft:
    a, b = _date(rng), _date(rng)
    return (f"What days of the week are {a} and {b}?",
            [_call("weekday", date=a), _call("weekday", date=b)], lambda r: [r[0], r[1]])


def _two_capitals(rng: random.Random, w: _World) -> _Draft:
    a, b = rng.sample(w.countries, 2)
    return (f"What are the capitals of {a} and {b}?",
            [_call("lookup", topic=a), _call("lookup", topic=b)],
            lambda r: [r[0]["capital"], r[1]["capital"]])


def _same_currency(rng: random.Random, w: _World) -> _Draft:
    a, b = rng.sample(w.countries, 2)
    return (f"Do {a} and {b} use the same currency? Answer yes or no.",
            [_call("lookup", topic=a), _call("lookup", topic=b)],
            lambda r: "yes" if r[0]["currency"] == r[1]["currency"] else "no")


def _compare_quantities(rng: random.Random, w: _World) -> _Draft:
    quantity = rng.choice(list(_UNITS))
    units, base = _UNITS[quantity]
    ua, ub = rng.sample(units, 2)
    va, vb = rng.randint(1, 300), rng.randint(1, 300)
    qa, qb = f"{va} {ua}", f"{vb} {ub}"

    def answer(r: list[Any]) -> Any:
        return None if r[0] == r[1] else (qa if r[0] > r[1] else qb)

    return (f"Which is {_COMPARE_WORD[quantity]}, {qa} or {qb}?",
            [_call("convert_units", value=va, from_unit=ua, to_unit=base),
             _call("convert_units", value=vb, from_unit=ub, to_unit=base)], answer)


def _cheaper(rng: random.Random, w: _World) -> _Draft:
    a, b = rng.sample(w.products, 2)

    def answer(r: list[Any]) -> Any:
        pa, pb = _first(r[0]), _first(r[1])
        return None if pa == pb else (a if pa < pb else b)

    return (f"Which costs less, the {a} or the {b}?",
            [_call("sql_query", query=f"SELECT price FROM products WHERE name = '{p}'")
             for p in (a, b)], answer)


def _two_sums(rng: random.Random, w: _World) -> _Draft:
    exprs = [f"{_number(rng)} {rng.choice('+-*')} {_number(rng)}"
             for _ in range(rng.choice((2, 2, 3)))]
    listed = ", ".join(exprs[:-1]) + f" and {exprs[-1]}"
    return (f"Compute {listed}.", [_call("calculator", expression=e) for e in exprs],
            lambda r: list(r))


def _two_order_dates(rng: random.Random, w: _World) -> _Draft:
    a, b = rng.sample(range(1, w.n_orders + 1), 2)
    return (f"On what dates were orders {a} and {b} placed?",
            [_call("sql_query", query=f"SELECT order_date FROM orders WHERE id = {o}")
             for o in (a, b)], lambda r: [_first(r[0]), _first(r[1])])


# ------------------------------------------------------------------ multi-step families


def _price_with_tax(rng: random.Random, w: _World) -> _Draft:
    product, qty, tax = rng.choice(w.products), rng.randint(2, 9), rng.choice((5, 8, 10, 20))
    return (f"What do {qty} units of the {product} cost with {tax}% tax?",
            [_call("sql_query", query=f"SELECT price FROM products WHERE name = '{product}'"),
             _call("calculator", expression=f"${{0.rows.0.0}} * {qty} * {1 + tax / 100:g}")],
            lambda r: r[1])


def _return_by(rng: random.Random, w: _World) -> _Draft:
    order, days = rng.randint(1, w.n_orders), rng.choice((14, 30, 60, 90))
    return (f"Order {order} may be returned within {days} days of its order date. "
            "What is the last day?",
            [_call("sql_query", query=f"SELECT order_date FROM orders WHERE id = {order}"),
             _call("date_add", date="${0.rows.0.0}", days=days)], lambda r: r[1])


def _policy_date(rng: random.Random, w: _World) -> _Draft:
    order = rng.randint(1, w.n_orders)
    warranty = rng.random() < 0.4
    sql = ("SELECT orders.order_date, products.category FROM orders JOIN products ON "
           f"products.id = orders.product_id WHERE orders.id = {order}")
    if warranty:
        q = f"Until what date does the warranty of order {order} run, per its category's policy?"
        last = _call("date_add", date="${0.rows.0.0}", months="${1.warranty_months}")
    else:
        q = f"What is the last day to return order {order}, per its category's return policy?"
        last = _call("date_add", date="${0.rows.0.0}", days="${1.return_days}")
    calls = [_call("sql_query", query=sql), _call("lookup", topic="${0.rows.0.1}"), last]
    return q, calls, lambda r: None if warranty and r[1]["warranty_months"] == 0 else r[2]


def _order_weekday(rng: random.Random, w: _World) -> _Draft:
    order = rng.randint(1, w.n_orders)
    return (f"On what day of the week was order {order} placed?",
            [_call("sql_query", query=f"SELECT order_date FROM orders WHERE id = {order}"),
             _call("weekday", date="${0.rows.0.0}")], lambda r: r[1])


def _mountain_feet(rng: random.Random, w: _World) -> _Draft:
    mountain = rng.choice(w.mountains)
    return (f"How tall is {mountain} in feet?",
            [_call("lookup", topic=mountain),
             _call("convert_units", value="${0.height_m}", from_unit="m", to_unit="ft")],
            lambda r: r[1])


def _weight_in_pounds(rng: random.Random, w: _World) -> _Draft:
    product = rng.choice(w.products)
    unit = rng.choice(("lb", "oz", "g"))
    return (f"How much does the {product} weigh in {unit}?",
            [_call("sql_query", query=f"SELECT weight_kg FROM products WHERE name = '{product}'"),
             _call("convert_units", value="${0.rows.0.0}", from_unit="kg", to_unit=unit)],
            lambda r: r[1])


def _customer_days(rng: random.Random, w: _World) -> _Draft:
    name = rng.choice(w.customers)
    # customers joined before mid-2023, so the count is positive
    on = (dt.date(2023, 7, 1) + dt.timedelta(days=rng.randrange(1000))).isoformat()
    return (f"How many days after joining was {name} on {on}?",
            [_call("sql_query", query=f"SELECT joined FROM customers WHERE name = '{name}'"),
             _call("date_diff", start="${0.rows.0.0}", end=on)], lambda r: r[1])


def _molar_mass(rng: random.Random, w: _World) -> _Draft:
    formula, parts = rng.choice(_COMPOUNDS)
    terms = [f"{n} * ${{{i}.atomic_mass}}" if n > 1 else f"${{{i}.atomic_mass}}"
             for i, (_, n) in enumerate(parts)]
    calls = [_call("lookup", topic=el) for el, _ in parts]
    calls.append(_call("calculator", expression=" + ".join(terms)))
    unit = rng.choice(("g/mol", "grams per mole"))
    return f"What is the molar mass of {formula} in {unit}?", calls, lambda r: r[-1]


def _height_gap(rng: random.Random, w: _World) -> _Draft:
    a, b = sorted(rng.sample(w.mountains, 2), key=lambda m: -KNOWLEDGE[m]["height_m"])
    return (f"How many metres higher is {a} than {b}?",
            [_call("lookup", topic=a), _call("lookup", topic=b),
             _call("calculator", expression="${0.height_m} - ${1.height_m}")],
            lambda r: r[2])


#: (weight, family); the type of each task follows from its calls (single/parallel/multi-step)
_FAMILIES: tuple[tuple[float, _Family], ...] = (
    (5, _arith), (3, _percent), (5, _convert), (4, _date_days), (4, _date_months),
    (3, _date_diff), (3, _weekday), (6, _sql_single), (4, _lookup_single),
    (3, _two_weekdays), (3, _two_capitals), (2, _same_currency), (3, _compare_quantities),
    (2, _cheaper), (3, _two_sums), (2, _two_order_dates),
    (4, _price_with_tax), (4, _return_by), (4, _policy_date), (3, _order_weekday),
    (2, _mountain_feet), (3, _weight_in_pounds), (3, _customer_days), (2, _molar_mass),
    (2, _height_gap),
)


def _run_calls(toolbox: Toolbox, calls: list[_Call]) -> list[Any]:
    results: dict[int, Any] = {}
    for i, call in enumerate(calls):
        out = toolbox.run_builtin(call["name"], resolve(call["arguments"], results))
        if not out.ok:
            raise RuntimeError(f"generated call {call} failed: {out.error}")  # a generator bug
        results[i] = out.value
    return [results[i] for i in range(len(calls))]


def _bucket(question: str) -> str:
    return _BUCKETS[hashlib.sha256(question.encode()).digest()[0] % len(_BUCKETS)]


@functools.lru_cache(maxsize=12)
def _generate(split: str, quota: int, seed: int) -> tuple[Task, ...]:
    # Every split walks the same stream of candidate questions and keeps those whose hash
    # bucket is its own, so each split can be built alone, and only its calls are executed.
    out: list[Task] = []
    rng = random.Random(seed)
    toolbox = Toolbox()
    world = _World(toolbox)
    weights = [w for w, _ in _FAMILIES]
    families = [f for _, f in _FAMILIES]
    seen: set[str] = set()
    attempts = 0
    try:
        while len(out) < quota:
            attempts += 1
            if attempts > 100 * quota / _BUCKETS.count(split) + 1000:
                raise RuntimeError("task generation stalled: not enough distinct questions")
            (family,) = rng.choices(families, weights)
            draft = family(rng, world)
            n_distractors, order_seed = rng.randint(1, 3), rng.random()
            if draft is None or draft[0] in seen:
                continue
            question, calls, answer_of = draft
            seen.add(question)
            if _bucket(question) != split:
                continue
            answer = answer_of(_run_calls(toolbox, calls))
            if answer is None:
                continue
            needed = sorted({c["name"] for c in calls})
            others = [t for t in TOOL_NAMES if t not in needed and t != FINAL_ANSWER]
            local = random.Random(order_seed)
            offered = needed + local.sample(others, n_distractors)
            local.shuffle(offered)
            out.append(Task(
                task_id=f"tools-{split}-{len(out):05d}", split=split, task_type=task_type(calls),
                instruction=question,
                data={"tools": [*offered, FINAL_ANSWER], "calls": calls, "answer": answer,
                      "match": "auto"}))
    finally:
        toolbox.close()
    return tuple(out)


def generate_tasks(split: str, sizes: dict[str, int] | None = None,
                   seed: int = SEED) -> list[Task]:
    """The generated tasks of ``split`` (cached per process; identical on every machine)."""
    n = {**DEFAULT_SIZES, **(sizes or {})}
    if split not in n:
        return []
    return list(_generate(split, n[split], seed))
