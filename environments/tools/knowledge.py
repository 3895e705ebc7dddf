"""The local knowledge base behind the ``lookup`` tool.

A few dozen entries, looked up by topic name (case-insensitive): countries (capital, currency,
continent), the first twenty chemical elements (symbol, atomic number, standard atomic mass,
rounded to 3 decimals), well-known mountains (height in metres) and the shop's product
categories (return window in days, warranty in months; these match the categories of the
``sql_query`` database).
"""

from __future__ import annotations

import difflib
from typing import Any

__all__ = ["KNOWLEDGE", "UnknownTopicError", "lookup"]


def _countries() -> dict[str, dict[str, Any]]:
    rows = (
        ("France", "Paris", "euro", "Europe"), ("Germany", "Berlin", "euro", "Europe"),
        ("Italy", "Rome", "euro", "Europe"), ("Spain", "Madrid", "euro", "Europe"),
        ("Portugal", "Lisbon", "euro", "Europe"),
        ("Norway", "Oslo", "Norwegian krone", "Europe"),
        ("Sweden", "Stockholm", "Swedish krona", "Europe"),
        ("Poland", "Warsaw", "Polish zloty", "Europe"),
        ("Japan", "Tokyo", "Japanese yen", "Asia"),
        ("India", "New Delhi", "Indian rupee", "Asia"),
        ("Thailand", "Bangkok", "Thai baht", "Asia"),
        ("Vietnam", "Hanoi", "Vietnamese dong", "Asia"),
        ("South Korea", "Seoul", "South Korean won", "Asia"),
        ("Kenya", "Nairobi", "Kenyan shilling", "Africa"),
        ("Egypt", "Cairo", "Egyptian pound", "Africa"),
        ("Nigeria", "Abuja", "Nigerian naira", "Africa"),
        ("Ghana", "Accra", "Ghanaian cedi", "Africa"),
        ("Morocco", "Rabat", "Moroccan dirham", "Africa"),
        ("Brazil", "Brasilia", "Brazilian real", "South America"),
        ("Argentina", "Buenos Aires", "Argentine peso", "South America"),
        ("Peru", "Lima", "Peruvian sol", "South America"),
        ("Chile", "Santiago", "Chilean peso", "South America"),
        ("Canada", "Ottawa", "Canadian dollar", "North America"),
        ("Mexico", "Mexico City", "Mexican peso", "North America"),
        ("Australia", "Canberra", "Australian dollar", "Oceania"),
    )
    return {name: {"type": "country", "capital": capital, "currency": currency,
                   "continent": continent} for name, capital, currency, continent in rows}


def _elements() -> dict[str, dict[str, Any]]:
    rows = (
        ("hydrogen", "H", 1.008), ("helium", "He", 4.003), ("lithium", "Li", 6.94),
        ("beryllium", "Be", 9.012), ("boron", "B", 10.81), ("carbon", "C", 12.011),
        ("nitrogen", "N", 14.007), ("oxygen", "O", 15.999), ("fluorine", "F", 18.998),
        ("neon", "Ne", 20.18), ("sodium", "Na", 22.99), ("magnesium", "Mg", 24.305),
        ("aluminium", "Al", 26.982), ("silicon", "Si", 28.085), ("phosphorus", "P", 30.974),
        ("sulfur", "S", 32.06), ("chlorine", "Cl", 35.45), ("argon", "Ar", 39.948),
        ("potassium", "K", 39.098), ("calcium", "Ca", 40.078),
    )
    return {name: {"type": "element", "symbol": symbol, "atomic_number": i + 1,
                   "atomic_mass": mass} for i, (name, symbol, mass) in enumerate(rows)}


def _mountains() -> dict[str, dict[str, Any]]:
    rows = (
        ("Everest", 8849, "Asia"), ("K2", 8611, "Asia"), ("Kangchenjunga", 8586, "Asia"),
        ("Aconcagua", 6961, "South America"), ("Denali", 6190, "North America"),
        ("Kilimanjaro", 5895, "Africa"), ("Elbrus", 5642, "Europe"),
        ("Mont Blanc", 4808, "Europe"), ("Matterhorn", 4478, "Europe"),
        ("Fuji", 3776, "Asia"),
    )
    return {name: {"type": "mountain", "height_m": height, "continent": continent}
            for name, height, continent in rows}


def _categories() -> dict[str, dict[str, Any]]:
    rows = (("electronics", 30, 24), ("furniture", 60, 36), ("kitchen", 30, 12),
            ("books", 14, 0), ("garden", 45, 12), ("toys", 21, 6))
    return {name: {"type": "product category", "return_days": days, "warranty_months": months}
            for name, days, months in rows}


#: topic -> fields
KNOWLEDGE: dict[str, dict[str, Any]] = {**_countries(), **_elements(), **_mountains(),
                                        **_categories()}
_BY_KEY = {name.casefold(): name for name in KNOWLEDGE}


class UnknownTopicError(KeyError):
    """No entry for the topic."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def lookup(topic: str) -> dict[str, Any]:
    """The entry for ``topic`` (case-insensitive), with its canonical name.

    >>> lookup("kenya")["capital"]
    'Nairobi'
    """
    name = _BY_KEY.get(" ".join(topic.split()).casefold())
    if name is None:
        close = difflib.get_close_matches(topic.casefold(), list(_BY_KEY), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(_BY_KEY[c]) for c in close)}?" if close else ""
        raise UnknownTopicError(f"no entry for {topic!r}{hint}")
    return {"topic": name, **KNOWLEDGE[name]}
