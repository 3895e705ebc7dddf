"""A safe arithmetic evaluator for the ``calculator`` tool (no ``eval``, no ``ast``).

The expression is tokenised and parsed by a small recursive-descent parser over this grammar::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/" | "//" | "%") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom (("^" | "**") unary)?          # right-associative, binds tighter than unary
    atom    := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

Arithmetic is exact (:class:`fractions.Fraction`) for ``+ - * / // %`` and integer powers, so
``0.1 + 0.2`` is ``0.3`` and ``12.5 * 3 * 1.08`` is ``40.5``; ``sqrt``, ``log`` and fractional
powers fall back to floats. Limits keep a hostile expression cheap: at most 200 characters,
nesting depth 30, exponents up to 100 in magnitude and intermediate values up to 1e30.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from fractions import Fraction

__all__ = ["CalculatorError", "evaluate", "format_number"]

MAX_LENGTH = 200
MAX_DEPTH = 30
MAX_EXPONENT = 100
MAX_MAGNITUDE = Fraction(10) ** 30

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?|(\*\*|//|[-+*/%^(),])|"
                    r"([A-Za-z_]\w*))")


class CalculatorError(ValueError):
    """The expression is malformed or cannot be evaluated (e.g. division by zero)."""


def _to_float(x: Fraction) -> float:
    return float(x)


def _sqrt(x: Fraction) -> Fraction | float:
    if x < 0:
        raise CalculatorError("sqrt of a negative number")
    root = math.isqrt(x.numerator), math.isqrt(x.denominator)
    if root[0] ** 2 == x.numerator and root[1] ** 2 == x.denominator:
        return Fraction(root[0], root[1])
    return math.sqrt(_to_float(x))


def _log(x: Fraction, base: Fraction | None = None) -> float:
    if x <= 0 or (base is not None and (base <= 0 or base == 1)):
        raise CalculatorError("log needs a positive argument (and a positive base other than 1)")
    return math.log(_to_float(x)) if base is None else math.log(_to_float(x), _to_float(base))


def _round(x: Fraction, digits: Fraction | None = None) -> Fraction:
    if digits is not None and digits.denominator != 1:
        raise CalculatorError("round(x, n) needs a whole number n")
    n = 0 if digits is None else int(digits)
    if abs(n) > 15:
        raise CalculatorError("round(x, n) needs |n| <= 15")
    scale = Fraction(10) ** n
    # round half away from zero, the way people (and the task answers) round
    scaled = abs(x) * scale
    whole = math.floor(scaled + Fraction(1, 2))
    return Fraction(whole if x >= 0 else -whole) / scale


#: name -> (function, min args, max args)
_FUNCTIONS: dict[str, tuple[Callable[..., Fraction | float], int, int]] = {
    "sqrt": (_sqrt, 1, 1),
    "abs": (lambda x: abs(x), 1, 1),
    "round": (_round, 1, 2),
    "floor": (lambda x: Fraction(math.floor(x)), 1, 1),
    "ceil": (lambda x: Fraction(math.ceil(x)), 1, 1),
    "min": (lambda *xs: min(xs), 1, 10),
    "max": (lambda *xs: max(xs), 1, 10),
    "log": (_log, 1, 2),
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


def _tokenize(text: str) -> list[str | Fraction]:
    tokens: list[str | Fraction] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise CalculatorError(f"unexpected character {text[pos:].lstrip()[:1]!r} at "
                                  f"position {pos}")
        number, exponent, op, name = m.groups()
        if number is not None:
            value = Fraction(number)
            if exponent is not None:
                if abs(int(exponent)) > MAX_EXPONENT:
                    raise CalculatorError("number too large")
                value *= Fraction(10) ** int(exponent)
            tokens.append(value)
        else:
            tokens.append(op if op is not None else name)
        pos = m.end()
    return tokens


def _exact(value: Fraction | float) -> Fraction:
    if isinstance(value, Fraction):
        result = value
    else:
        if not math.isfinite(value):
            raise CalculatorError("result is not a finite number")
        result = Fraction(value)
    if abs(result) > MAX_MAGNITUDE:
        raise CalculatorError("number too large (limit 1e30)")
    return result


class _Parser:
    def __init__(self, tokens: list[str | Fraction]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> str | Fraction | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str | Fraction:
        tok = self.peek()
        if tok is None:
            raise CalculatorError("the expression ends too early")
        if expected is not None and tok != expected:
            raise CalculatorError(f"expected {expected!r}, found {_show(tok)}")
        self.pos += 1
        return tok

    def expr(self) -> Fraction:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CalculatorError("expression nested too deeply")
        value = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            rhs = self.term()
            value = _exact(value + rhs if op == "+" else value - rhs)
        self.depth -= 1
        return value

    def term(self) -> Fraction:
        value = self.unary()
        while self.peek() in ("*", "/", "//", "%"):
            op = self.take()
            rhs = self.unary()
            if op == "*":
                value = _exact(value * rhs)
            elif rhs == 0:
                raise CalculatorError("division by zero")
            elif op == "/":
                value = _exact(value / rhs)
            elif op == "//":
                value = Fraction(value // rhs)
            else:
                value = _exact(value % rhs)
        return value

    def unary(self) -> Fraction:
        if self.peek() in ("+", "-"):
            op = self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise CalculatorError("expression nested too deeply")
            value = self.unary()
            self.depth -= 1
            return -value if op == "-" else value
        return self.power()

    def power(self) -> Fraction:
        base = self.atom()
        if self.peek() in ("^", "**"):
            self.take()
            exponent = self.unary()
            return _power(base, exponent)
        return base

    def atom(self) -> Fraction:
        tok = self.take()
        if isinstance(tok, Fraction):
            return _exact(tok)
        if tok == "(":
            value = self.expr()
            self.take(")")
            return value
        if tok in _CONSTANTS:
            return _exact(_CONSTANTS[tok])
        if tok in _FUNCTIONS:
            func, lo, hi = _FUNCTIONS[tok]
            self.take("(")
            args = [self.expr()]
            while self.peek() == ",":
                self.take()
                args.append(self.expr())
            self.take(")")
            if not lo <= len(args) <= hi:
                raise CalculatorError(f"{tok}() takes {lo}{'' if lo == hi else f' to {hi}'} "
                                      f"argument{'s' if hi > 1 else ''}, got {len(args)}")
            return _exact(func(*args))
        if isinstance(tok, str) and tok[0].isalpha():
            known = ", ".join(sorted([*_FUNCTIONS, *_CONSTANTS]))
            raise CalculatorError(f"unknown name {tok!r} (known: {known})")
        raise CalculatorError(f"unexpected {_show(tok)}")


def _power(base: Fraction, exponent: Fraction) -> Fraction:
    if abs(exponent) > MAX_EXPONENT:
        raise CalculatorError(f"exponent too large (limit {MAX_EXPONENT})")
    if base == 0 and exponent < 0:
        raise CalculatorError("division by zero")
    if exponent.denominator == 1:
        if abs(base) > 1 and abs(exponent) * math.log10(abs(float(base))) > 30:
            raise CalculatorError("number too large (limit 1e30)")
        return _exact(base ** int(exponent))
    if base < 0:
        raise CalculatorError("fractional power of a negative number")
    return _exact(float(base) ** float(exponent))


def _show(tok: str | Fraction) -> str:
    return format_number(tok) if isinstance(tok, Fraction) else repr(tok)


def format_number(value: Fraction | float) -> int | float:
    """The JSON number for a result: an int when whole, else a float rounded to 6 decimals."""
    exact = value if isinstance(value, Fraction) else Fraction(value)
    if exact.denominator == 1:
        return int(exact)
    rounded = round(float(exact), 6)
    return int(rounded) if rounded.is_integer() else rounded


def evaluate(expression: str) -> int | float:
    """Evaluate an arithmetic expression; raises :class:`CalculatorError` when it is invalid.

    >>> evaluate("12.5 * 3 * 1.08")
    40.5
    >>> evaluate("2 ^ 10 - sqrt(16)")
    1020
    """
    if len(expression) > MAX_LENGTH:
        raise CalculatorError(f"expression longer than {MAX_LENGTH} characters")
    tokens = _tokenize(expression)
    if not tokens:
        raise CalculatorError("empty expression")
    parser = _Parser(tokens)
    value = parser.expr()
    if parser.peek() is not None:
        raise CalculatorError(f"unexpected {_show(parser.take())} after a complete expression")
    return format_number(value)
