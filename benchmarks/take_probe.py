"""Does a household policy check that the task's object is there before taking? (issue #10)

The quickstart's tiny model fails mostly by taking objects that are not the task's: at a place
that lists a kettle it writes ``take bowl 1 from sinkbasin 1`` and projection turns that into
taking the kettle. This probe measures the decision behind it on the expert's own trajectories
of held-out tasks (no distribution shift from the model's mistakes): at every state whose
observation lists objects, the probability that the model's action starts with ``take``,
separately where the task's object is listed (the expert takes it) and where only other objects
are. A model that reads the observation puts nearly all mass on ``take`` in the first case and
nearly none in the second.

    python -m benchmarks.take_probe RUN/sft RUN/checkpoints/iter_000015 [--tasks 60]

Writes ``benchmarks/results/take_probe.json`` (per checkpoint: states and mean P(take) per
bucket, and the gap between "listed, expert takes" and "other objects only") and prints a table.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.table import Table

from agentrl.components import build_env_factory, build_prompt_builder, split_tasks
from agentrl.config import RunConfig, load_config
from agentrl.policies.hf import chat_ids
from agentrl.trainer.sft import Demonstration, collect_demonstrations
from benchmarks import relative_path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "take_probe.json"
TAKEN = "listed, expert takes"
LISTED_NOT_TAKEN = "listed, expert does not take"
OTHERS = "other objects only"
NOTHING = "sees nothing"
BUCKETS = (TAKEN, LISTED_NOT_TAKEN, OTHERS, NOTHING)
_LISTED = re.compile(r"([a-z]+) \d+")


def bucket(demo: Demonstration, goal_object: str) -> str | None:
    """The probe bucket of a labelled state, or None when its observation lists no receptacle
    contents (arriving at a closed place, a held object, ...)."""
    current = demo.messages[-1]["content"].rsplit("Observation:", 1)[-1]
    if "you see" not in current:
        return None
    listed = current.split("you see", 1)[1]
    if listed.strip().startswith("nothing"):
        return NOTHING
    if goal_object in _LISTED.findall(listed):
        return TAKEN if demo.action.startswith("take") else LISTED_NOT_TAKEN
    return OTHERS


def take_token_ids(tokenizer: Any) -> list[int]:
    """The ids of ``take`` and `` take``, each where the tokenizer has it as one token (an
    action's first token is one of them)."""
    ids = set()
    for text in ("take", " take"):
        pieces = tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(pieces) == 1:
            ids.add(pieces[0])
    if not ids:
        raise SystemExit("'take' is several tokens for this tokenizer; the probe needs it as one "
                         "token (the tiny preset's tokenizer has it)")
    return sorted(ids)


@torch.no_grad()
def probe(checkpoint: str, labelled: list[tuple[Demonstration, str]]) -> dict[str, Any]:
    """Mean P(action starts with take) per bucket for one checkpoint."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint).eval()
    ids = take_token_ids(tokenizer)
    probs: dict[str, list[float]] = defaultdict(list)
    for demo, name in labelled:
        prompt = chat_ids(tokenizer, demo.messages, demo.tools)
        dist = model(torch.tensor([prompt])).logits[0, -1].float().softmax(-1)
        probs[name].append(float(dist[ids].sum()))
    out: dict[str, Any] = {"take_tokens": tokenizer.convert_ids_to_tokens(ids)}
    for name in BUCKETS:
        values = probs.get(name, [])
        out[name] = {"states": len(values),
                     "p_take": sum(values) / len(values) if values else None}
    hit, miss = out[TAKEN]["p_take"], out[OTHERS]["p_take"]
    out["gap"] = None if hit is None or miss is None else hit - miss
    return out


def labelled_states(cfg: RunConfig, split: str, n_tasks: int
                    ) -> list[tuple[Demonstration, str]]:
    """The expert's states on the first ``n_tasks`` tasks of ``split`` that list receptacle
    contents, each with its bucket."""
    env_factory = build_env_factory(cfg)
    builder = build_prompt_builder(cfg)
    labelled: list[tuple[Demonstration, str]] = []
    for task in split_tasks(env_factory, cfg.env.id, split)[:n_tasks]:
        goal = task.data.get("object")
        if not isinstance(goal, str):
            raise SystemExit(f"{cfg.env.id}: tasks carry no data['object']; this probe is for "
                             "agentrl/Household-v0")
        demos = collect_demonstrations(env_factory, builder, [task], env_id=cfg.env.id,
                                       recovery_fraction=0.0, progress=False)
        labelled.extend((d, b) for d in demos if (b := bucket(d, goal)) is not None)
    return labelled


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoints", nargs="+", help="model directories (hf checkpoints)")
    ap.add_argument("--config", default=str(ROOT / "configs" / "quickstart.yaml"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--tasks", type=int, default=60, help="first N tasks of the split")
    ap.add_argument("--out", default=str(RESULTS), help="results file (JSON)")
    args = ap.parse_args()
    for ckpt in args.checkpoints:
        if not (Path(ckpt) / "config.json").is_file():
            raise SystemExit(f"{ckpt}: not a model directory (no config.json); pass e.g. "
                             "runs/quickstart/sft or runs/quickstart/checkpoints/iter_000015")
    labelled = labelled_states(load_config(args.config, []), args.split, args.tasks)
    rows = {ckpt: probe(ckpt, labelled) for ckpt in args.checkpoints}
    table = Table(title=f"P(action starts with 'take') on expert states, {args.split}, "
                        f"{args.tasks} tasks")
    table.add_column("checkpoint", overflow="fold")
    for name in BUCKETS:
        table.add_column(name, justify="right")
    table.add_column("gap", justify="right")
    for ckpt, row in rows.items():
        cells = [f"{row[n]['p_take']:.3f} ({row[n]['states']})" if row[n]["p_take"] is not None
                 else "-" for n in BUCKETS]
        table.add_row(ckpt, *cells, "-" if row["gap"] is None else f"{row['gap']:+.3f}")
    Console(width=160).print(table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": relative_path(args.config), "split": args.split, "tasks": args.tasks,
        "checkpoints": rows,
    }, indent=2) + "\n")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
