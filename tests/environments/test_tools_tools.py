"""The built-in tools give real results: arithmetic, units, calendar, SQL rows, lookups."""

from __future__ import annotations

import pytest

from agentrl.environments.tools import calculator, dates, knowledge, units
from agentrl.environments.tools.database import MAX_ROWS, QueryError, ShopDatabase
from agentrl.environments.tools.toolbox import BUILTIN_SCHEMAS, Toolbox, check_arguments


@pytest.mark.parametrize(("expr", "value"), [
    ("12.5 * 3 * 1.08", 40.5), ("0.1 + 0.2", 0.3), ("2 ^ 10 - sqrt(16)", 1020),
    ("-(2)**2", -4), ("2 ** -1", 0.5), ("2 ** 3 ** 2", 512), ("7 // 2 + 7 % 2", 4),
    ("1 / 3", 0.333333), ("round(2.345, 2)", 2.35), ("max(1, 5, 3) - min(4, 2)", 3),
    ("1e3 * 2", 2000), ("abs(-3.5) + floor(2.7) + ceil(2.1)", 8.5), ("(((1 + 2)))", 3),
])
def test_calculator_values(expr: str, value: float) -> None:
    assert calculator.evaluate(expr) == value


@pytest.mark.parametrize(("expr", "message"), [
    ("1 / 0", "division by zero"), ("9 ** 9 ** 9", "exponent too large"),
    ("__import__('os')", "unexpected character"), ("abc + 1", "unknown name"),
    ("3 +", "ends too early"), ("(1", "ends too early"), ("2 3", "after a complete"),
    ("sqrt(-1)", "negative"), ("1" * 40, "too large"), ("(" * 40 + "1" + ")" * 40, "deeply"),
    ("round(1, 2, 3)", "takes 1 to 2"), ("", "empty"),
])
def test_calculator_rejects(expr: str, message: str) -> None:
    with pytest.raises(calculator.CalculatorError, match=message):
        calculator.evaluate(expr)


@pytest.mark.parametrize(("args", "value"), [
    ((5, "mi", "km"), 8.0467), ((1, "in", "cm"), 2.54), ((100, "C", "F"), 212),
    ((-40, "F", "C"), -40), ((0, "C", "K"), 273.15), ((2, "lb", "kg"), 0.9072),
    ((1, "gal", "l"), 3.7854), ((3, "week", "h"), 504), ((1500, "g", "kg"), 1.5),
])
def test_units(args: tuple[float, str, str], value: float) -> None:
    assert units.convert(*args) == value


def test_units_errors() -> None:
    with pytest.raises(units.UnitError, match="cannot convert length"):
        units.convert(1, "m", "kg")
    with pytest.raises(units.UnitError, match="unknown unit"):
        units.convert(1, "parsec", "m")
    with pytest.raises(units.UnitError, match="absolute zero"):
        units.convert(-500, "C", "K")


def test_dates_month_ends_and_leap_years() -> None:
    assert dates.add("2024-01-31", months=1) == "2024-02-29"  # leap year
    assert dates.add("2023-01-31", months=1) == "2023-02-28"
    assert dates.add("2023-03-31", months=-1) == "2023-02-28"
    assert dates.add("2024-10-31", months=1) == "2024-11-30"
    assert dates.add("2024-02-29", years=1) == "2025-02-28"
    assert dates.add("2024-02-29", years=4) == "2028-02-29"
    assert dates.add("2024-12-31", days=1) == "2025-01-01"
    assert dates.add("2024-01-31", months=1, days=1) == "2024-03-01"  # months, then days
    assert dates.add("2024-03-01", days=-1) == "2024-02-29"
    assert dates.diff("2024-02-01", "2024-03-01") == 29
    assert dates.diff("2023-02-01", "2023-03-01") == 28
    assert dates.diff("1900-02-01", "1900-03-01") == 28  # century, not a leap year
    assert dates.diff("2000-02-01", "2000-03-01") == 29  # divisible by 400: leap year
    assert dates.diff("2024-03-01", "2024-01-01") == -60
    assert dates.weekday("2000-01-01") == "Saturday"
    assert dates.weekday("2024-02-29") == "Thursday"


def test_dates_errors() -> None:
    for bad in ("2023-02-29", "2024-13-01", "31/01/2024", "tomorrow"):
        with pytest.raises(dates.DateError):
            dates.add(bad, days=1)
    with pytest.raises(dates.DateError, match="outside"):
        dates.add("9999-12-31", days=1)


def test_sql_returns_real_rows() -> None:
    db = ShopDatabase()
    try:
        assert db.query("SELECT COUNT(*) FROM orders")["rows"] == [[300]]
        assert db.query("SELECT COUNT(*) FROM customers")["rows"] == [[40]]
        products = db.query("SELECT id, name, price FROM products ORDER BY id")
        assert products["columns"] == ["id", "name", "price"]
        assert [r[1] for r in products["rows"][:3]] == ["Desk Lamp", "USB Hub", "Headphones"]
        # a join computed by SQLite equals the same number computed in Python from raw rows
        orders = db.query("SELECT product_id, quantity FROM orders WHERE customer_id = 7")["rows"]
        prices = {r[0]: r[1] for half in ("id <= 12", "id > 12")
                  for r in db.query(f"SELECT id, price FROM products WHERE {half}")["rows"]}
        assert len(prices) == 24
        spent = db.query("SELECT SUM(quantity * price) FROM orders JOIN products ON products.id "
                         "= orders.product_id WHERE customer_id = 7")["rows"][0][0]
        assert spent == pytest.approx(sum(q * prices[p] for p, q in orders), abs=1e-6)
        full = db.query("SELECT * FROM orders")
        assert len(full["rows"]) == MAX_ROWS and full["truncated"] is True
    finally:
        db.close()
        db.close()


def test_sql_is_deterministic_across_instances() -> None:
    a, b = ShopDatabase(), ShopDatabase()
    q = "SELECT * FROM orders ORDER BY id DESC LIMIT 5"
    assert a.query(q) == b.query(q)
    assert a.query(q)["rows"][0][0] == 300


@pytest.mark.parametrize("sql", [
    "DELETE FROM orders", "DROP TABLE orders", "INSERT INTO orders VALUES (1, 1, 1, 1, 'x')",
    "UPDATE products SET price = 0", "PRAGMA table_info(orders)", "ATTACH DATABASE ':memory:' AS x",
])
def test_sql_is_read_only(sql: str) -> None:
    db = ShopDatabase()
    with pytest.raises(QueryError, match="read-only"):
        db.query(sql)
    assert db.query("SELECT COUNT(*) FROM orders")["rows"] == [[300]]


def test_sql_errors() -> None:
    db = ShopDatabase()
    with pytest.raises(QueryError, match="one statement"):
        db.query("SELECT 1; SELECT 2")
    with pytest.raises(QueryError, match="no such table"):
        db.query("SELECT * FROM users")
    with pytest.raises(QueryError, match="too long"):
        db.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                 "SELECT COUNT(*) FROM c")
    with pytest.raises(QueryError, match="empty"):
        db.query("  ")


def test_lookup() -> None:
    assert knowledge.lookup("kenya")["capital"] == "Nairobi"
    assert knowledge.lookup("OXYGEN")["atomic_mass"] == 15.999
    assert knowledge.lookup("K2")["height_m"] == 8611
    assert knowledge.lookup("books")["return_days"] == 14
    with pytest.raises(knowledge.UnknownTopicError, match="did you mean 'Kenya'"):
        knowledge.lookup("Kenia")


def test_categories_in_knowledge_base_match_the_database() -> None:
    db = ShopDatabase()
    cats = {r[0] for r in db.query("SELECT DISTINCT category FROM products")["rows"]}
    kb = {k for k, v in knowledge.KNOWLEDGE.items() if v["type"] == "product category"}
    assert cats == kb


def test_argument_checking() -> None:
    params = BUILTIN_SCHEMAS["convert_units"]["function"]["parameters"]
    assert check_arguments(params, {"value": 1, "from_unit": "m", "to_unit": "km"}) is None
    assert "missing required argument 'to_unit'" in check_arguments(
        params, {"value": 1, "from_unit": "m"})
    assert "must be number, got string" in check_arguments(
        params, {"value": "1", "from_unit": "m", "to_unit": "km"})
    assert "must be number, got boolean" in check_arguments(
        params, {"value": True, "from_unit": "m", "to_unit": "km"})
    assert "must be one of" in check_arguments(
        params, {"value": 1, "from_unit": "m", "to_unit": "furlong"})
    assert "unknown argument 'precision'" in check_arguments(
        params, {"value": 1, "from_unit": "m", "to_unit": "km", "precision": 2})
    days = BUILTIN_SCHEMAS["date_add"]["function"]["parameters"]
    assert check_arguments(days, {"date": "2024-01-01", "days": 2.0}) is None
    assert "must be integer" in check_arguments(days, {"date": "2024-01-01", "days": 2.5})


def test_toolbox_turns_failures_into_error_results() -> None:
    box = Toolbox()
    ok = box.run_builtin("sql_query", {"query": "SELECT name FROM products WHERE id = 9"})
    assert ok.ok and ok.value == {"columns": ["name"], "rows": [["Kettle"]]}
    for name, args, message in [
        ("calculator", {"expression": "1/0"}, "division by zero"),
        ("calculator", {}, "missing required argument 'expression'"),
        ("date_add", {"date": "2023-02-30"}, "not a valid date"),
        ("lookup", {"topic": "Atlantis"}, "no entry for 'Atlantis'"),
        ("sql_query", {"query": "DELETE FROM orders"}, "read-only"),
        ("convert_units", {"value": 1e300, "from_unit": "m", "to_unit": "km"}, "too large"),
    ]:
        out = box.run_builtin(name, args)
        assert not out.ok and message in (out.error or ""), (name, out)
    box.close()
    box.close()
