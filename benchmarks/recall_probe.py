"""Can a tiny model preset learn the two lookups a household agent needs? (issue #10)

The quickstart's model fails by taking objects the task does not name: it does not check
whether the task's object is among those an observation lists (``benchmarks.take_probe``).
This diagnostic separates that skill from everything else. It trains a fresh model of a preset
(tokenizer and weights from scratch, the SFT loop of ``agentrl.trainer.sft``) on synthetic
prompts in the household's words,

    Task: put some <X> on desk.
    Observation: You arrive at shelf 1. On the shelf 1, you see a <A> 2, a <B> 1, ...

on one of two tasks, and reports held-out accuracy after every epoch:

- ``copy``: answer ``X`` (fetch a token named earlier in the prompt; an induction-style lookup);
- ``member``: answer ``yes`` if ``X`` is listed, else ``no`` (half the prompts each): the check
  behind a correct ``take``, which needs the same lookup and, in addition, noticing an absence.

    python -m benchmarks.recall_probe --preset tiny --task member --epochs 12
    python -m benchmarks.recall_probe --preset configs/models/tiny.json --init 0.1 --task copy
    python -m benchmarks.recall_probe --task member --init 0.1 --batch-size 64 --examples 8000

The batch size matters: at 16 the membership check stays near chance for thousands of steps,
at 64 (with ``--init 0.1``) it is learned slowly (issue #10's experiment log).

Writes ``benchmarks/results/recall_probe.json`` (one entry per preset, task and settings, with
the accuracy curve; earlier entries are kept) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.table import Table

from agentrl.environments.household.catalog import OBJECTS
from agentrl.policies.hf import chat_ids
from agentrl.trainer.local import _build_preset
from agentrl.trainer.sft import Demonstration, demo_tensors, sft_epoch
from benchmarks import append_runs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "recall_probe.json"
TASKS = ("copy", "member")


def examples(task: str, n: int, rng: random.Random, kinds: int = 60) -> list[Demonstration]:
    """``n`` synthetic prompts with their answers (see the module docstring)."""
    names = sorted(OBJECTS)[:kinds]
    out = []
    for _ in range(n):
        listed = rng.sample(names, rng.randint(1, 5))
        present = rng.random() < 0.5
        goal = rng.choice(listed) if present else rng.choice(
            [x for x in names if x not in listed])
        seen = ", ".join(f"a {x} {rng.randint(1, 3)}" for x in listed)
        user = (f"Task: put some {goal} on desk.\nObservation: You arrive at shelf 1. On the "
                f"shelf 1, you see {seen}.\nAction:")
        answer = goal if task == "copy" else ("yes" if present else "no")
        out.append(Demonstration([{"role": "system", "content": "You are an agent."},
                                  {"role": "user", "content": user}], None, answer))
    return out


@torch.no_grad()
def accuracy(model: Any, tokenizer: Any, demos: list[Demonstration]) -> float:
    """Share of prompts whose most likely first answer token is the answer's first token."""
    model.eval()
    right = 0
    for d in demos:
        logits = model(torch.tensor([chat_ids(tokenizer, d.messages)])).logits[0, -1]
        right += int(logits.argmax()) == tokenizer(d.action,
                                                    add_special_tokens=False)["input_ids"][0]
    model.train()
    return right / len(demos)


def run(preset: str, task: str, *, n_train: int, n_test: int, epochs: int, lr: float,
        init: float | None, batch_size: int = 16, seed: int = 0) -> dict[str, Any]:
    """Train a fresh ``preset`` model on ``task``; the accuracy curve and settings."""
    rng = random.Random(seed)
    train, test = examples(task, n_train, rng), examples(task, n_test, rng)
    source = Path(preset) if preset.endswith(".json") else ROOT / "configs" / "models" / (
        f"{preset}.json")
    if not source.is_file():
        raise SystemExit(f"unknown preset {preset!r}: no {source}; pass a name from "
                         "configs/models/ or a path to a .json preset")
    values = json.loads(source.read_text())
    if init is not None:  # the preset with another initial weight scale
        values["initializer_range"] = init
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "preset.json"
        spec.write_text(json.dumps(values))
        model, tokenizer = _build_preset(str(spec), train + test, seed)
    data = demo_tensors(tokenizer, train)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    order = random.Random(seed + 1)
    curve = []
    for epoch in range(epochs):
        loss = sft_epoch(model, optimizer, data, batch_size=batch_size,
                         pad_id=tokenizer.pad_token_id, rng=order)
        curve.append({"epoch": epoch + 1, "loss": loss,
                      "test_accuracy": accuracy(model, tokenizer, test)})
        print(f"{task} epoch {epoch + 1}: loss {loss:.3f}, "
              f"test accuracy {curve[-1]['test_accuracy']:.3f}", flush=True)
    return {"preset": preset, "task": task, "initializer_range": init, "lr": lr,
            "train_examples": n_train, "test_examples": n_test, "batch_size": batch_size,
            "chance": 0.5 if task == "member" else 1 / 60, "curve": curve,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="tiny", help="model preset name or .json path")
    ap.add_argument("--task", choices=(*TASKS, "both"), default="both")
    ap.add_argument("--init", type=float, default=None,
                    help="initializer_range instead of the preset's (Qwen2's default: 0.02)")
    ap.add_argument("--examples", type=int, default=4000, help="training prompts")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--out", default=str(RESULTS), help="results file (JSON)")
    args = ap.parse_args()
    out = Path(args.out)
    runs = [run(args.preset, task, n_train=args.examples, n_test=300, epochs=args.epochs,
                lr=args.lr, init=args.init, batch_size=args.batch_size)
            for task in (TASKS if args.task == "both" else (args.task,))]
    table = Table(title="held-out accuracy of a fresh model on synthetic lookups")
    for col in ("preset", "init", "task", "chance", "accuracy by epoch"):
        table.add_column(col)
    for r in runs:
        table.add_row(r["preset"], str(r["initializer_range"] or "preset"), r["task"],
                      f"{r['chance']:.2f}",
                      " ".join(f"{p['test_accuracy']:.2f}" for p in r["curve"]))
    Console(width=160).print(table)
    append_runs(out, runs)
    print(f"results: {out}")


if __name__ == "__main__":
    main()
