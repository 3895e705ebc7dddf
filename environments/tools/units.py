"""Unit conversion for the ``convert_units`` tool.

Factors are exact SI definitions (1 in = 0.0254 m, 1 lb = 0.45359237 kg, 1 US gal =
3.785411784 l), held as :class:`fractions.Fraction` so conversions do not drift; temperatures are
affine (C, F, K). Results are rounded to 4 decimal places.
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["UNITS", "UnitError", "convert"]


class UnitError(ValueError):
    """Unknown unit, or units of different quantities."""


#: unit -> (quantity, factor to the quantity's base unit)
_LINEAR: dict[str, tuple[str, Fraction]] = {
    "mm": ("length", Fraction(1, 1000)), "cm": ("length", Fraction(1, 100)),
    "m": ("length", Fraction(1)), "km": ("length", Fraction(1000)),
    "in": ("length", Fraction("0.0254")), "ft": ("length", Fraction("0.3048")),
    "yd": ("length", Fraction("0.9144")), "mi": ("length", Fraction("1609.344")),
    "mg": ("mass", Fraction(1, 1_000_000)), "g": ("mass", Fraction(1, 1000)),
    "kg": ("mass", Fraction(1)), "t": ("mass", Fraction(1000)),
    "oz": ("mass", Fraction("0.028349523125")), "lb": ("mass", Fraction("0.45359237")),
    "ml": ("volume", Fraction(1, 1000)), "l": ("volume", Fraction(1)),
    "gal": ("volume", Fraction("3.785411784")),
    "s": ("time", Fraction(1)), "min": ("time", Fraction(60)), "h": ("time", Fraction(3600)),
    "day": ("time", Fraction(86400)), "week": ("time", Fraction(604800)),
}
_TEMPERATURE = ("C", "F", "K")

#: every unit the tool accepts, in a stable order (used for the schema's enum)
UNITS: tuple[str, ...] = (*_LINEAR, *_TEMPERATURE)


def _to_kelvin(value: Fraction, unit: str) -> Fraction:
    if unit == "C":
        return value + Fraction("273.15")
    if unit == "F":
        return (value - 32) * Fraction(5, 9) + Fraction("273.15")
    return value


def _from_kelvin(value: Fraction, unit: str) -> Fraction:
    if unit == "C":
        return value - Fraction("273.15")
    if unit == "F":
        return (value - Fraction("273.15")) * Fraction(9, 5) + 32
    return value


def _quantity(unit: str) -> str:
    if unit in _TEMPERATURE:
        return "temperature"
    if unit in _LINEAR:
        return _LINEAR[unit][0]
    raise UnitError(f"unknown unit {unit!r} (known: {', '.join(UNITS)})")


def convert(value: float, from_unit: str, to_unit: str) -> int | float:
    """Convert ``value`` from ``from_unit`` to ``to_unit``, rounded to 4 decimals.

    >>> convert(5, "mi", "km")
    8.0467
    >>> convert(100, "C", "F")
    212
    """
    q_from, q_to = _quantity(from_unit), _quantity(to_unit)
    if q_from != q_to:
        raise UnitError(f"cannot convert {q_from} ({from_unit}) to {q_to} ({to_unit})")
    if abs(value) > 1e15:
        raise UnitError("value too large (limit 1e15)")
    exact = Fraction(value)
    if q_from == "temperature":
        kelvin = _to_kelvin(exact, from_unit)
        if kelvin < 0:
            raise UnitError("temperature below absolute zero")
        result = _from_kelvin(kelvin, to_unit)
    else:
        result = exact * _LINEAR[from_unit][1] / _LINEAR[to_unit][1]
    rounded = round(float(result), 4)
    return int(rounded) if rounded.is_integer() else rounded
