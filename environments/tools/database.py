"""The shop database behind the ``sql_query`` tool: a small SQLite database built in memory.

Three tables, generated deterministically from a fixed seed (no file, no network)::

    customers(id INTEGER, name TEXT, city TEXT, joined TEXT)                        40 rows
    products(id INTEGER, name TEXT, category TEXT, price REAL, weight_kg REAL)      24 rows
    orders(id INTEGER, customer_id INTEGER, product_id INTEGER, quantity INTEGER,
           order_date TEXT)                                                         300 rows

Queries are read-only and cheap by construction: ``PRAGMA query_only``, an authorizer that
admits only reads, one statement per call, a VM-step budget (runaway recursive CTEs are
interrupted) and at most :data:`MAX_ROWS` rows returned.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from typing import Any

__all__ = ["MAX_ROWS", "SCHEMA_TEXT", "QueryError", "ShopDatabase"]

MAX_ROWS = 20
_SEED = 20240601
_STEP_BUDGET = 2000  # progress-handler calls of 1000 VM instructions each

_FIRST = ("Ada", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon",
          "Kira", "Liam", "Mona", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tara")
_LAST = ("Park", "Novak", "Silva", "Meyer", "Okafor", "Tanaka", "Rossi", "Dubois", "Khan", "Berg")
_CITIES = ("Lyon", "Oslo", "Porto", "Graz", "Turku", "Ghent", "Bergen", "Malmo")
_PRODUCTS: tuple[tuple[str, str], ...] = (
    ("Desk Lamp", "electronics"), ("USB Hub", "electronics"), ("Headphones", "electronics"),
    ("Webcam", "electronics"), ("Office Chair", "furniture"), ("Bookshelf", "furniture"),
    ("Standing Desk", "furniture"), ("Footstool", "furniture"), ("Kettle", "kitchen"),
    ("Toaster", "kitchen"), ("Chef Knife", "kitchen"), ("Frying Pan", "kitchen"),
    ("Novel", "books"), ("Cookbook", "books"), ("Atlas", "books"), ("Dictionary", "books"),
    ("Garden Hose", "garden"), ("Shovel", "garden"), ("Plant Pot", "garden"),
    ("Lawn Chair", "garden"), ("Puzzle", "toys"), ("Kite", "toys"), ("Board Game", "toys"),
    ("Yo-yo", "toys"),
)

SCHEMA_TEXT = ("customers(id, name, city, joined); products(id, name, category, price, "
               "weight_kg); orders(id, customer_id, product_id, quantity, order_date)")


class QueryError(ValueError):
    """The query is not a read-only SELECT, fails in SQLite, or runs too long."""


def _rows() -> dict[str, list[tuple[Any, ...]]]:
    rng = random.Random(_SEED)
    names = [f"{f} {last}" for f in _FIRST for last in _LAST]
    rng.shuffle(names)
    base = dt.date(2021, 1, 1)
    customers = [(i + 1, names[i], rng.choice(_CITIES),
                  (base + dt.timedelta(days=rng.randrange(900))).isoformat())
                 for i in range(40)]
    products = [(i + 1, name, cat, round(rng.randrange(300, 20000) / 100, 2),
                 round(rng.randrange(1, 250) / 10, 1))
                for i, (name, cat) in enumerate(_PRODUCTS)]
    start = dt.date(2023, 1, 1)
    orders = [(i + 1, rng.randrange(1, 41), rng.randrange(1, len(products) + 1),
               rng.randrange(1, 6), (start + dt.timedelta(days=rng.randrange(730))).isoformat())
              for i in range(300)]
    return {"customers": customers, "products": products, "orders": orders}


_DDL = (
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL, "
    "joined TEXT NOT NULL)",
    "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL, "
    "price REAL NOT NULL, weight_kg REAL NOT NULL)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES "
    "customers(id), product_id INTEGER NOT NULL REFERENCES products(id), quantity INTEGER NOT "
    "NULL, order_date TEXT NOT NULL)",
)

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
            getattr(sqlite3, "SQLITE_RECURSIVE", 33)}


def _authorize(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY


def _clean(value: Any) -> Any:
    # SUM/AVG over REAL columns drift (74.97000000000001); 6 decimals are plenty here.
    if isinstance(value, float):
        rounded = round(value, 6)
        return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded
    if isinstance(value, bytes):
        return value.hex()
    return value


class ShopDatabase:
    """One in-memory copy of the shop database (a few milliseconds to build)."""

    def __init__(self) -> None:
        # Rollout workers step an environment from whichever pool thread is free; an episode is
        # never stepped from two threads at once, so sharing the connection across threads is safe.
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        for ddl in _DDL:
            self._conn.execute(ddl)
        for table, rows in _rows().items():
            marks = ", ".join("?" * len(rows[0]))
            self._conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        self._conn.commit()
        self._conn.execute("PRAGMA query_only = ON")
        self._conn.set_authorizer(_authorize)
        self._steps = 0
        self._conn.set_progress_handler(self._progress, 1000)

    def _progress(self) -> int:
        self._steps += 1
        return 1 if self._steps > _STEP_BUDGET else 0

    def query(self, sql: str) -> dict[str, Any]:
        """Run one read-only query; returns ``{"columns": [...], "rows": [[...], ...]}``.

        More than :data:`MAX_ROWS` rows are cut, with ``"truncated": true`` added.
        """
        if not sql.strip():
            raise QueryError("empty query")
        self._steps = 0
        try:
            cursor = self._conn.execute(sql)
            rows = cursor.fetchmany(MAX_ROWS + 1)
        except sqlite3.Error as exc:
            message = str(exc)
            if "interrupted" in message:
                message = "query ran too long (interrupted)"
            elif "not authorized" in message or "readonly" in message:
                message = "only read-only SELECT queries are allowed"
            raise QueryError(f"SQL error: {message}") from None
        except (ValueError, OverflowError) as exc:  # e.g. NUL characters, huge ints
            raise QueryError(f"SQL error: {exc}") from None
        if cursor.description is None:
            raise QueryError("only SELECT queries return rows")
        result: dict[str, Any] = {
            "columns": [d[0] for d in cursor.description],
            "rows": [[_clean(v) for v in row] for row in rows[:MAX_ROWS]],
        }
        if len(rows) > MAX_ROWS:
            result["truncated"] = True
        return result

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()
