"""agentrl's benchmark scripts (``python -m benchmarks``) and the helpers they share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["ROOT", "append_runs", "relative_path"]


def relative_path(path: str) -> str:
    """``path`` relative to the repository when it lies inside it (results stay portable)."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else path


def append_runs(path: Path, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append ``runs`` to the ``{"runs": [...]}`` results file at ``path`` (created with its
    folder when missing) and return every run it now holds."""
    previous = json.loads(path.read_text()).get("runs", []) if path.is_file() else []
    everything = previous + runs
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"runs": everything}, indent=2) + "\n")
    return everything
