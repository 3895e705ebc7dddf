"""The ``credit`` section of a run config, read for ``agentrl credit`` (standalone use).

Reads ``credit: {shapers: [...], estimator: {...}}`` from a YAML file with ``yaml.safe_load`` and
applies ``key=value`` overrides such as ``credit.estimator.name=gigpo`` or
``credit.shapers.0.weight=0.5`` (values are parsed with ``yaml.safe_load``, so ``0.95`` is a
number, ``true`` a boolean and ``[a, b]`` a list). Validation of the entries happens in
:func:`agentrl.rewards.build_credit`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from agentrl.errors import ConfigError

__all__ = ["apply_override", "load_credit_section"]

SECTION_KEYS = ("shapers", "estimator")


def apply_override(section: dict[str, Any], override: str) -> None:
    """Apply one ``credit.a.b=value`` override to ``section`` (the credit mapping) in place."""
    key, sep, raw = override.partition("=")
    if not sep or not key:
        raise ConfigError(f"override {override!r} must look like credit.estimator.name=gigpo")
    parts = key.strip().split(".")
    if parts[0] != "credit" or len(parts) < 2:
        raise ConfigError(f"override {key!r}: agentrl credit only takes credit.* keys, e.g. "
                          "credit.estimator.gamma=0.95")
    if parts[1] not in SECTION_KEYS:
        raise ConfigError(f"override {key!r}: credit has only the keys shapers and estimator")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"override {key!r}: the value {raw!r} is not valid YAML "
                          f"({str(exc).splitlines()[0]})") from None
    node: Any = section
    path = "credit"
    for i, part in enumerate(parts[1:], start=1):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit():
                raise ConfigError(f"override {key!r}: {path} is a list; index it with a number")
            idx = int(part)
            if idx > len(node) or (idx == len(node) and not last):
                raise ConfigError(f"override {key!r}: {path} has {len(node)} entries")
            if last:
                if idx == len(node):
                    node.append(value)
                else:
                    node[idx] = value
                return
            node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[part] = value
                return
            if node.get(part) is None:
                node[part] = [] if part == "shapers" else {}
            node = node[part]
        else:
            raise ConfigError(f"override {key!r}: {path} is {node!r}, not a mapping or a list")
        path = f"{path}.{part}"


def load_credit_section(config: str | Path | None = None,
                        overrides: Sequence[str] = ()) -> dict[str, Any]:
    """``{"shapers": [...], "estimator": {...} | None}`` from a YAML file and overrides."""
    section: dict[str, Any] = {"shapers": [], "estimator": None}
    if config is not None:
        path = Path(config)
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a config must be a mapping with a credit: section")
        credit = data.get("credit") or {}
        if not isinstance(credit, dict):
            raise ConfigError(f"{path}: credit must be a mapping with shapers and estimator")
        stray = [k for k in credit if k not in SECTION_KEYS]
        if stray:
            raise ConfigError(f"{path}: unknown key credit.{stray[0]} (credit has shapers and "
                              "estimator)")
        section.update(copy.deepcopy(credit))
        if section.get("shapers") is None:
            section["shapers"] = []
    for item in overrides:
        apply_override(section, item)
    return section
