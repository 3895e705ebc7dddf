"""Does RL learn where household objects usually are? (issue #10)

With ``usual_place: 0.8`` (the quickstart's household world) an object starts at its usual place
(the first receptacle kind its catalogue entry lists: a countertop for a mug) 80% of the time.
The searching expert ignores that and searches in the room's listing order, so the SFT model
imitates a search that does not use it; RL can learn it from reward. This reads the episodes
``agentrl eval`` wrote for each policy and measures, among the episodes whose room has the
object's usual place and another place it may start in, how often the first ``go to`` goes to
a receptacle of the usual kind, and the success rate after such a first move and after another.

    agentrl eval -c configs/quickstart.yaml -p hf:RUN/sft -p hf:RUN/checkpoints/iter_000015 \\
        -k 4 -o runs/eval/usual
    python -m benchmarks.usual_place runs/eval/usual [more eval dirs ...]

Each argument is an ``agentrl eval`` output directory (its policy folders are read) or one
policy folder with ``episodes.jsonl``. Writes ``benchmarks/results/usual_place.json`` and prints a
table.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from agentrl.environments.household.catalog import OBJECTS
from agentrl.environments.household.tasks import make_spec, parse_task_id
from agentrl.errors import UserError
from agentrl.evaluation import EPISODES_FILE
from benchmarks import relative_path

RESULTS = Path(__file__).parent / "results" / "usual_place.json"


def usual_kind(task_id: str) -> str | None:
    """The usual place's receptacle kind of a household task's object, or None when the room
    has no such place or no other place the object may start in (nothing to choose)."""
    spec = make_spec(*parse_task_id(task_id))
    kinds = {kind for kind, _ in spec.layout}
    allowed = (set(OBJECTS[spec.obj].receptacles) - {spec.target}) & kinds
    home = OBJECTS[spec.obj].usual_place
    return home if home in allowed and len(allowed) >= 2 else None


def first_move_stats(episodes: list[dict[str, Any]]) -> dict[str, Any]:
    """Success, and the first ``go to``'s kind against the usual place, over ``episodes``
    (dicts as in ``episodes.jsonl``)."""
    counted = usual = usual_wins = other_wins = 0
    for episode in episodes:
        home = usual_kind(episode["task_id"])
        moves = [s["action"][len("go to "):] for s in episode["steps"]
                 if s["action"].startswith("go to ")]
        if home is None or not moves:
            continue
        counted += 1
        if moves[0].rsplit(" ", 1)[0] == home:
            usual += 1
            usual_wins += bool(episode["success"])
        else:
            other_wins += bool(episode["success"])
    n = len(episodes)
    return {
        "episodes": n,
        "success": sum(bool(e["success"]) for e in episodes) / n if n else 0.0,
        "counted": counted,
        "first_move_usual": usual / counted if counted else 0.0,
        "success_after_usual": usual_wins / usual if usual else None,
        "success_after_other": other_wins / (counted - usual) if counted > usual else None,
    }


def episode_files(paths: list[str]) -> list[Path]:
    """``episodes.jsonl`` of each policy folder under (or at) ``paths``."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        found = ([path / EPISODES_FILE] if (path / EPISODES_FILE).is_file()
                 else sorted(path.glob(f"*/{EPISODES_FILE}")))
        if not found:
            raise UserError(f"{raw}: no {EPISODES_FILE} here or in its folders; pass the output "
                            f"directory of `agentrl eval -o DIR`")
        files += found
    return files


def _policy_name(folder: Path) -> str:
    """The policy spec ``agentrl eval`` recorded in the folder's results, else the folder."""
    results = folder / "results.json"
    if results.is_file():
        policy = json.loads(results.read_text()).get("policy")
        if isinstance(policy, str):
            return policy
    return relative_path(str(folder))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("evals", nargs="+", help="agentrl eval output directories")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    console = Console()
    try:
        files = episode_files(args.evals)
    except UserError as exc:
        raise SystemExit(f"error: {exc}") from None
    rows = []
    for path in files:
        episodes = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if not all(e["task_id"].startswith("household/") for e in episodes):
            raise SystemExit(f"error: {path}: not household episodes")
        rows.append({"policy": _policy_name(path.parent), **first_move_stats(episodes)})
    table = Table(title="first `go to` at the object's usual place")
    for col in ("policy", "episodes", "success", "counted", "first move usual",
                "success after usual", "after other"):
        table.add_column(col)

    def f(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    for r in rows:
        table.add_row(r["policy"], str(r["episodes"]), f(r["success"]), str(r["counted"]),
                      f(r["first_move_usual"]), f(r["success_after_usual"]),
                      f(r["success_after_other"]))
    console.print(table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                               "runs": rows}, indent=2) + "\n")
    console.print(f"-> {out}")


if __name__ == "__main__":
    main()
