"""Run every benchmark, then write ``benchmarks/results/SUMMARY.md`` and the plots.

    python -m benchmarks                         # everything (make bench)
    python -m benchmarks --only model_speed learning
    python -m benchmarks --skip sandboxes swe
    python -m benchmarks --quick                 # toy budgets: checks that everything runs
    python -m benchmarks --summary-only          # rewrite SUMMARY.md and plots from the JSON
    python -m benchmarks --list

Each benchmark runs as its own subprocess (``benchmarks/<name>.py``'s ``main()`` with its
results path pointed at the results directory), one after the other so each has the machine's
CPUs; its output goes to ``<results>/logs/<name>.log`` and its last line is shown in the progress
display. A benchmark that fails (non-zero exit, or ``--timeout``) is reported in the summary and
makes the exit code 1; the others still run.

``--quick`` runs every benchmark with small budgets and writes to ``benchmarks/results/quick/``
(run directories under ``runs/bench-quick/``), so toy numbers never overwrite real ones.

The summary has the date, the machine and library versions, the status and duration of each
benchmark of the last invocation, one table of headline numbers read from every ``*.json`` of the
results directory (also the ones from earlier invocations; each with the date its file was
written), the learning benchmark's tables, and the plots.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
QUICK_DIR = RESULTS_DIR / "quick"
STATUS_FILE = "_runs.json"  # files starting with "_" are the runner's own, not results

#: Runs ``benchmarks.<name>.main()`` with ``RESULTS`` pointed at the given path.
BOOTSTRAP = ("import importlib, sys\n"
             "from pathlib import Path\n"
             "module = importlib.import_module(sys.argv[1])\n"
             "module.RESULTS = Path(sys.argv[2])\n"
             "sys.argv = [module.__file__, *sys.argv[3:]]\n"
             "module.main()\n")


@dataclass(frozen=True)
class Bench:
    """A benchmark script and the arguments of a full and of a quick run."""

    name: str
    kind: str  # "speed" or "learning"
    description: str
    args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return f"benchmarks.{self.name}"


BENCHMARKS: tuple[Bench, ...] = (
    Bench("household", "speed", "Household-v0 steps/s, expert and random success",
          quick_args=("--steps", "2000", "--repeats", "1", "--tasks", "20")),
    Bench("textworld", "speed", "TextWorld-v0 steps/s, resets/s, baselines",
          quick_args=("--episodes", "1")),
    Bench("webshop", "speed", "WebShop-v0 with 1k and 10k products: build, search, steps/s"),
    Bench("tools", "speed", "ToolUse-v0 steps/s, expert and random-text scores",
          quick_args=("--episodes", "50", "--random-episodes", "20")),
    Bench("sandboxes", "speed", "sandbox exec latency, cold start, warm pool, 16 concurrent",
          quick_args=("--execs", "5")),
    Bench("credit", "speed", "credit assignment over 1M steps / 10k groups",
          quick_args=("--steps", "20000", "--groups", "200", "--repeats", "1")),
    Bench("rollout", "speed", "rollout framework overhead per step",
          quick_args=("--tasks", "8", "--repeats", "1")),
    Bench("swe", "speed", "SWE env reset, tool-call latency, submit evaluation per backend",
          quick_args=("--tasks", "1", "--calls", "3")),
    Bench("model_speed", "speed", "tiny model generation tokens/s and trainer samples/s",
          quick_args=("--quick",)),
    Bench("quickstart", "learning", "the quickstart, 3 seeds: SFT-only vs after RL",
          quick_args=("--seeds", "0", "--runs", "runs/bench-quick/quickstart",
                      "trainer.iterations=1", "trainer.sft.episodes=16", "trainer.sft.epochs=1",
                      "eval.episodes=4", "rollout.groups_per_batch=2", "rollout.group_size=2",
                      "rollout.max_turns=6")),
    Bench("learning", "learning", "estimators, shapers, gated rewards at equal env-step budgets",
          args=("--jobs", "2"), quick_args=("--quick", "--runs", "runs/bench-quick/learning")),
)
BY_NAME = {b.name: b for b in BENCHMARKS}


# =============================================================================================
# running
# =============================================================================================
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def last_line(path: Path, width: int = 90) -> str:
    """The last non-empty line of a log (progress bars' carriage returns count as breaks)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 4096))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [_ANSI.sub("", x).strip() for x in re.split(r"[\r\n]", text)]
    lines = [x for x in lines if x]
    line = lines[-1] if lines else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def command(bench: Bench, results_dir: Path, quick: bool) -> list[str]:
    """The subprocess command line of one benchmark."""
    args = bench.quick_args if quick else bench.args
    return [sys.executable, "-c", BOOTSTRAP, bench.module,
            str(results_dir / f"{bench.name}.json"), *args]


def run_one(bench: Bench, results_dir: Path, *, quick: bool, timeout: float | None,
            on_line: Callable[[str], None] = lambda _line: None) -> dict[str, Any]:
    """Run one benchmark as a subprocess; returns its status record."""
    logs = results_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{bench.name}.log"
    cmd = command(bench, results_dir, quick)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1", "COLUMNS": "120"}
    start = time.perf_counter()
    status, rc = "ok", None
    with open(log, "w", encoding="utf-8") as fh:
        # own session: a timeout or Ctrl-C ends the benchmark and the processes it started
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        try:
            while True:
                try:
                    rc = proc.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    on_line(last_line(log))
                    if timeout is not None and time.perf_counter() - start > timeout:
                        _stop(proc)
                        status, rc = "timeout", proc.returncode
                        break
        except KeyboardInterrupt:
            _stop(proc)
            raise
    if status == "ok" and rc != 0:
        status = "failed"
    return {"name": bench.name, "kind": bench.kind, "status": status, "returncode": rc,
            "seconds": round(time.perf_counter() - start, 1), "quick": quick,
            "log": str(log.relative_to(results_dir)), "args": list(cmd[4:]),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _stop(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM the benchmark's process group, SIGKILL it if it lingers."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def select(only: list[str] | None, skip: list[str] | None) -> list[Bench]:
    """Benchmarks to run, in the registry's order (speed first, then learning)."""
    for name in [*(only or []), *(skip or [])]:
        if name not in BY_NAME:
            raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(BY_NAME)}")
    return [b for b in BENCHMARKS
            if (not only or b.name in only) and b.name not in (skip or [])]


def load_statuses(results_dir: Path) -> dict[str, dict[str, Any]]:
    try:
        return json.loads((results_dir / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return {}


# =============================================================================================
# headline numbers
# =============================================================================================
def _f(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.{digits}g}"
    return str(value)


def _household(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for name, s in d["speed"].items():
        out.append((f"steps/s ({name}), CPU time / wall, median",
                    f"{_f(s['steps_per_s_cpu_median'])} / {_f(s['steps_per_s_wall_median'])}"))
    for key in ("expert/test", "search_expert/test", "random/test"):
        if key in d.get("rates", {}):
            r = d["rates"][key]
            out.append((f"{key} success ({r['episodes']} episodes), mean steps when solved",
                        f"{_f(r['success'])}, {_f(r['mean_steps_solved'])}"))
    return out


def _textworld(d: dict[str, Any]) -> list[tuple[str, str]]:
    s = d["steps_per_s"]
    return [("steps/s random agent / expert", f"{_f(s['random_agent'])} / {_f(s['expert'])}"),
            ("resets/s same game / switching game",
             f"{_f(d['same_game_resets_per_s'])} / {_f(d['switch_game_resets_per_s'])}"),
            ("success expert / random", f"{_f(d['success_rate_overall']['expert'])} / "
                                        f"{_f(d['success_rate_overall']['random'])}")]


def _webshop(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for r in d["results"]:
        n = f"{r['num_products']:,} products"
        out.append((f"{n}: steps/s wall (result cache / none)",
                    f"{_f(r['default_cache']['mixed_steps_per_s'])} / "
                    f"{_f(r['no_result_cache']['mixed_steps_per_s'])}"))
        out.append((f"{n}: cold build s, BM25 search ms",
                    f"{_f(r['build_cold_s'])} / {_f(r['search']['numpy_bm25_ms_keywords'])}"))
    if "target_steps_per_s_10k" in d:
        out.append(("target steps/s at 10k", _f(d["target_steps_per_s_10k"])))
    return out


def _tools(d: dict[str, Any]) -> list[tuple[str, str]]:
    e = d["expert"]
    return [("expert steps/s CPU / wall", f"{_f(e['steps_per_s_cpu'])} / "
                                          f"{_f(e['steps_per_s_wall'])}"),
            ("expert success, ToolRL per turn", f"{_f(e['success'])}, "
                                                f"{_f(e['mean_toolrl_per_turn'])}"),
            ("random-text success", _f(d["random_text"]["success"]))]


def _sandboxes(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for backend, e in d["backends"].items():
        if "skipped" in e:
            out.append((backend, f"skipped: {e['skipped'][:60]}"))
            continue
        out.append((f"{backend}: exec / cold start / warm acquire p50 ms",
                    f"{_f(e['exec_true']['p50_ms'])} / {_f(e['cold_start']['p50_ms'])} / "
                    f"{_f(e['warm_acquire']['p50_ms'])}"))
        out.append((f"{backend}: 16 concurrent, errors", _f(e["concurrent_16"]["errors"])))
    for k, v in d.get("targets", {}).items():
        out.append((f"target {k}", _f(v)))
    return out


def _credit(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = [(f"GiGPO math, {d['steps']:,} steps / {d['groups']:,} groups, best s",
            _f(d["math"]["gigpo"]["best_s"]))]
    if "apply_gigpo_end_to_end" in d:
        out.append(("GiGPO end to end from Episode objects, best s",
                    _f(d["apply_gigpo_end_to_end"]["best_s"])))
    out.append((f"meets target <= {d['target_gigpo_s']} s", _f(d["gigpo_meets_target"])))
    return out


def _rollout(d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f"overhead ms/step, median (min-max), {d['env']}",
             f"{_f(d['overhead_ms_per_step_median'])} ({_f(d['overhead_ms_per_step_min'])}-"
             f"{_f(d['overhead_ms_per_step_max'])})"),
            ("target ms/step", _f(d["target_ms_per_step"]))] + ([
        ("action projection ms (full comparison ms), choices differing",
         f"{_f(d['projection']['ms_per_projection'])} "
         f"({_f(d['projection']['ms_per_projection_full_comparison'])}), "
         f"{d['projection']['choices_differing']}")] if "projection" in d else [])


def _swe(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for backend, e in d["backends"].items():
        if "skipped" in e:
            out.append((backend, f"skipped: {e['skipped'][:60]}"))
            continue
        out.append((f"{backend}: steps/s, reset / submit p50 ms",
                    f"{_f(e['steps_per_s'])}, {_f(e['reset']['p50_ms'])} / "
                    f"{_f(e['submit_evaluation']['p50_ms'])}"))
        out.append((f"{backend}: expert resolved", str(e["expert_resolved"])))
    return out


def _model_speed(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for run in d["runs"]:
        t = f"{run['threads']} thread{'s' if run['threads'] > 1 else ''}"
        for b in run["generation"]["batches"].values():
            s = b["tokens_per_s"]
            out.append((f"{t}: generation tokens/s, batch {b['batch_size']}, median (min-max)",
                        f"{_f(s['median'])} ({_f(s['min'])}-{_f(s['max'])})"))
        for key, name in (("logprob_pass_samples_per_s", "trainer log-prob pass samples/s"),
                          ("update_samples_per_s", "trainer PPO update samples/s")):
            s = run["trainer"][key]
            out.append((f"{t}: {name}, median (min-max)",
                        f"{_f(s['median'])} ({_f(s['min'])}-{_f(s['max'])})"))
    return out


def _quickstart(d: dict[str, Any]) -> list[tuple[str, str]]:
    k = d["seeds"][0].get("sft_sampled_samples", 1) if d["seeds"] else 1
    return [(f"held-out success sampled ({k} per task), SFT -> RL "
             f"(mean of {len(d['seeds'])} seeds)",
             f"{_f(d['sft_sampled_mean'])} -> {_f(d['final_sampled_mean'])} "
             f"(gain {d['gain_sampled_mean']:+.3f})"),
            ("held-out success greedy, SFT -> RL",
             f"{_f(d['sft_greedy_mean'])} -> {_f(d['final_greedy_mean'])}"),
            ("minutes per run (mean, max)", f"{_f(d['minutes_mean'])}, {_f(d['minutes_max'])}"),
            (f"meets gain >= {d['target_gain']} (mean) / time <= {d['target_minutes']} min",
             f"{_f(d['meets_gain_mean'])} / {_f(d['meets_time'])}")]


def _learning(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for comp in d["comparisons"]:
        for row in comp["rows"]:
            if row.get("missing"):
                continue
            s = row["sampled"]
            out.append((f"{comp['name']}: {row['label']}, test success T=1 [95% CI]",
                        f"{s['success']:.3f} [{s['ci'][0]:.3f}, {s['ci'][1]:.3f}]"))
    return out


def _take_probe(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for ckpt, row in d["checkpoints"].items():
        hit, miss = row["listed, expert takes"]["p_take"], row["other objects only"]["p_take"]
        out.append((f"P(take) goal listed / other objects only: {ckpt}",
                    f"{_f(hit)} / {_f(miss)} (gap {row['gap']:+.3f})"))
    return out


def _recall_probe(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for r in d["runs"]:
        curve = r["curve"]
        out.append((f"fresh {Path(r['preset']).stem} model, {r['task']} lookup, init "
                    f"{r['initializer_range'] or 'preset'}, {r['train_examples']} prompts, batch "
                    f"{r['batch_size']}: held-out accuracy after {curve[-1]['epoch']} "
                    f"epochs (chance {r['chance']:.2f})",
                    f"{curve[-1]['test_accuracy']:.3f}"))
    return out


def _gradient_signal(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for run in d["runs"]:
        for model, row in run["models"].items():
            name = f"{run['label']}: {model}" if run.get("label") else model
            rl = row["rl"]["b_noise"]  # None: no shared signal measured
            value = "no signal" if rl is None else f"{rl:.0f}"
            if rl is not None and row["rl"].get("b_noise_low") is not None:  # since the interval
                high = row["rl"]["b_noise_high"]  # None: the interval reaches "no signal"
                value += f" [{row['rl']['b_noise_low']:.0f}, " + \
                    ("inf" if high is None else f"{high:.0f}") + "]"
            if row.get("imitation", {}).get("b_noise") is not None:
                value += f" / {row['imitation']['b_noise']:.1f}"
            out.append((f"gradient noise scale in episode groups, RL / imitation ({name})",
                        value))
    return out


def _rl_curve(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for run in d["runs"]:
        held = run["held_out"]
        start, last = held[0], held[-1]
        value = f"{start['success']:.3f} -> {last['success']:.3f} after {last['groups']} groups"
        at_quickstart = [p for p in held[1:] if p["groups"] == 192]
        if at_quickstart:
            value += f" ({at_quickstart[0]['success']:.3f} at the quickstart's 192)"
        name = run.get("label") or run["run"]
        out.append((f"held-out success over a long RL run, k={run['k']} ({name})", value))
    return out


def _vllm_policy(d: dict[str, Any]) -> list[tuple[str, str]]:
    run = d["runs"][-1]
    gen = {name: {r["batch_size"]: r["tokens_per_s"]["median"] for r in rows}
           for name, rows in run["generation"].items()}
    batch = max(gen["vllm"])
    return [(f"vllm / hf generation tokens/s, batch {batch} (vLLM's CPU build)",
             f"{gen['vllm'][batch]:.0f} / {gen['hf'][batch]:.0f}"),
            ("vllm weight sync (median)", f"{run['weight_sync_s']['median'] * 1000:.0f} ms"),
            ("vllm log-prob gap to the trainer (max, after a sync)",
             f"{run['logprob_gap_after_sync']['max']:.1e}")]


def _usual_place(d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f"first go to at the usual place / success: {run['policy']}",
             f"{_f(run['first_move_usual'])} / {_f(run['success'])}") for run in d["runs"]]


HEADLINES: dict[str, Callable[[dict[str, Any]], list[tuple[str, str]]]] = {
    "household": _household, "textworld": _textworld, "webshop": _webshop, "tools": _tools,
    "sandboxes": _sandboxes, "credit": _credit, "rollout": _rollout, "swe": _swe,
    "model_speed": _model_speed, "quickstart": _quickstart, "learning": _learning,
    "take_probe": _take_probe, "recall_probe": _recall_probe,
    "gradient_signal": _gradient_signal, "rl_curve": _rl_curve, "vllm_policy": _vllm_policy,
    "usual_place": _usual_place,
    # the quickstart with 1,000 demonstrations at batch 64 (an experiment of issue #10)
    "quickstart_sft1000": _quickstart,
    # the quickstart before objects had usual places (usual_place 0, 2026-12-05)
    "quickstart_uniform": _quickstart,
    # usual_place 0.8, 8 SFT epochs without the prompt loss (2026-12-06, morning)
    "quickstart_no_prompt_loss": _quickstart,
    # the same with the prompt loss: a larger gain, one seed over the time budget
    "quickstart_prompt_loss8": _quickstart,
    # 6 SFT epochs and 12 iterations with the prompt loss (until the evening of 2026-12-06)
    "quickstart_sft6": _quickstart,
}


def written_at(path: Path, data: Any) -> str:
    """When a results file's numbers were measured, as ``YYYY-MM-DD HH:MM`` (UTC): the date it
    records (top-level ``date``, or its last run's), else, for a file git tracks unchanged, its
    last commit's date (a fresh clone's files all carry the clone's time), else its mtime."""
    recorded = None
    if isinstance(data, dict):
        recorded = data.get("date")
        runs = data.get("runs")
        if not recorded and isinstance(runs, list) and runs and isinstance(runs[-1], dict):
            recorded = runs[-1].get("date")
    when = None
    if isinstance(recorded, str):
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(recorded)
    if when is None:
        when = _commit_date(path)
    if when is None:
        when = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def _commit_date(path: Path) -> datetime | None:
    """The last commit date of ``path`` when git tracks it without local changes, else None."""
    try:
        cwd = path.parent
        changed = subprocess.run(["git", "status", "--porcelain", "--", path.name], cwd=cwd,
                                 capture_output=True, text=True, timeout=10)
        if changed.returncode != 0 or changed.stdout.strip():
            return None
        out = subprocess.run(["git", "log", "-1", "--format=%cI", "--", path.name], cwd=cwd,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    try:
        return datetime.fromisoformat(out.stdout.strip()) if out.stdout.strip() else None
    except ValueError:
        return None


def generic_headlines(data: Any, limit: int = 8) -> list[tuple[str, str]]:
    """Numeric leaves of a results file (machine details left out), for unknown benchmarks."""
    out: list[tuple[str, str]] = []

    def walk(node: Any, path: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if key not in ("machine", "samples", "date", "load_average"):
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            out.append((path, _f(node)))

    walk(data, "")
    return out


def headlines(name: str, data: Any) -> list[tuple[str, str]]:
    """Headline numbers of one results file (the generic ones if the format is unknown)."""
    fn = HEADLINES.get(name)
    if fn is not None:
        try:
            rows = fn(data)
            if rows:
                return rows
        except (KeyError, TypeError, IndexError, ValueError, AttributeError):
            pass
    return generic_headlines(data)


# =============================================================================================
# summary
# =============================================================================================
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_summary(results_dir: Path, statuses: dict[str, dict[str, Any]],
                  machine: dict[str, Any], *, invocation: str = "python -m benchmarks",
                  plots: list[Path] | None = None) -> Path:
    """Write ``SUMMARY.md`` for every ``*.json`` in ``results_dir`` and the run statuses."""
    results: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    for path in sorted(results_dir.glob("*.json")):
        if path.name.startswith("_"):
            continue
        try:
            results[path.stem] = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            unreadable[path.stem] = f"{type(exc).__name__}: {exc}"
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    v = machine.get("versions", {})
    load = machine.get("load_average") or []
    lines = ["# Benchmark summary", "",
             f"Written {now} by `{invocation}`.", "",
             f"- Machine: {machine.get('cpu')}, {machine.get('cpus')} CPUs, "
             f"{machine.get('memory_gb')} GB RAM; {machine.get('platform')}",
             "- Load average at start (1/5/15 min): "
             + " / ".join(f"{x:.1f}" for x in load)
             + " (the CPU may be shared with other work: speed numbers are lower bounds)",
             "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()), ""]
    quick = any(s.get("quick") for s in statuses.values())
    if quick or results_dir.name == "quick":
        lines += ["> **Quick run**: toy-scale budgets that only check that every benchmark "
                  "runs. Its numbers are not measurements of anything.", ""]
    failed = [s for s in statuses.values() if s.get("status") != "ok"]
    lines += ["## Runs", "", "| benchmark | kind | status | time | log |", "|---|---|---|---|---|"]
    order = {b.name: i for i, b in enumerate(BENCHMARKS)}
    for name, s in sorted(statuses.items(), key=lambda kv: (order.get(kv[0], len(order)),
                                                            kv[0])):
        status = s["status"] if s["status"] == "ok" else f"**{s['status'].upper()}**" + (
            f" (exit {s['returncode']})" if s.get("returncode") not in (None, 0) else "")
        lines.append(f"| {name} | {s.get('kind', '')} | {status} | {s.get('seconds', 0):.0f} s"
                     f"{' (quick)' if s.get('quick') else ''} | {s.get('log', '')} |")
    if not statuses:
        lines.append("| (no benchmark run by the runner into this folder yet) | | | | |")
    if failed:
        lines += ["", f"{len(failed)} benchmark(s) did not finish: "
                  + ", ".join(s["name"] for s in failed) + ". Their results files (if any) are "
                  "from an earlier run; see the logs."]
    lines += ["", "## Headline numbers", "",
              "From every results file in this folder; 'written' is the date the file records, "
              "else its last commit's date, else when it was last written.", "",
              "| benchmark | written | metric | value |", "|---|---|---|---|"]
    for name, data in results.items():
        written = written_at(results_dir / f"{name}.json", data)
        if isinstance(data, dict) and data.get("quick"):
            written += " (quick)"
        rows = headlines(name, data) or [("(no numbers)", "")]
        for i, (metric, value) in enumerate(rows):
            lines.append(f"| {name if i == 0 else ''} | {written if i == 0 else ''} | "
                         f"{_cell(metric)} | {_cell(value)} |")
    for name, err in unreadable.items():
        lines.append(f"| {name} | | unreadable | {_cell(err)} |")
    if "learning" in results:
        try:
            from benchmarks.learning import markdown_tables

            lines += ["", "## Learning", "", markdown_tables(results["learning"]).strip()]
        except Exception as exc:  # the headline table above still has the numbers
            lines += ["", "## Learning", "", f"(tables could not be rendered: {exc})"]
    images = sorted({p.name for p in (plots or [])} | {p.name for p in
                                                       results_dir.glob("*.png")})
    if images:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in images]
    path = results_dir / "SUMMARY.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# =============================================================================================
# main
# =============================================================================================
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these")
    parser.add_argument("--skip", nargs="+", metavar="NAME", help="run all but these")
    parser.add_argument("--quick", action="store_true",
                        help="small budgets (smoke run); results go to benchmarks/results/quick")
    parser.add_argument("--results", type=Path, default=None,
                        help="results directory (default benchmarks/results, or .../quick)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds after which a benchmark is stopped and marked failed")
    parser.add_argument("--summary-only", action="store_true",
                        help="run nothing; rewrite SUMMARY.md and the plots")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        for b in BENCHMARKS:
            print(f"{b.name:<12} {b.kind:<9} {b.description}")
        return 0
    from rich.console import Console

    from benchmarks.model_speed import machine_info

    console = Console()
    results_dir = (args.results or (QUICK_DIR if args.quick else RESULTS_DIR)).resolve()
    results_dir.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    statuses = load_statuses(results_dir)
    selected = [] if args.summary_only else select(args.only, args.skip)
    invocation = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        _run_all(selected, results_dir, statuses, args, console)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]; writing the summary of what finished")
        statuses.setdefault("(interrupted)", {"name": "(interrupted)", "status": "interrupted",
                                              "seconds": 0})
    plots: list[Path] = []
    try:
        from benchmarks.plots import plot_all

        plots = plot_all(results_dir)
    except Exception as exc:  # the summary is still written
        console.print(f"[yellow]plots failed: {type(exc).__name__}: {exc}[/yellow]")
    summary = write_summary(results_dir, statuses, machine, invocation=invocation.strip(),
                            plots=plots)
    console.print(f"summary: {summary}" + (f", {len(plots)} plots" if plots else ""))
    bad = [s["name"] for s in statuses.values()
           if s.get("status") != "ok" and (s["name"] in {b.name for b in selected}
                                            or s["status"] == "interrupted")]
    if bad:
        console.print(f"[red]not ok: {', '.join(bad)}[/red]")
        return 1
    return 0


def _run_all(selected: list[Bench], results_dir: Path, statuses: dict[str, dict[str, Any]],
             args: argparse.Namespace, console: Any) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    if not selected:
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.fields[line]}"),
                  console=console) as progress:
        task = progress.add_task("benchmarks", total=len(selected), line="")
        for bench in selected:
            progress.update(task, description=f"{bench.name}", line="starting")
            status = run_one(bench, results_dir, quick=args.quick, timeout=args.timeout,
                             on_line=lambda line: progress.update(task, line=line))
            statuses[bench.name] = status
            (results_dir / STATUS_FILE).write_text(json.dumps(statuses, indent=2) + "\n")
            mark = "[green]ok[/green]" if status["status"] == "ok" else (
                f"[red]{status['status']}[/red] (exit {status['returncode']}; log "
                f"{results_dir / status['log']})")
            progress.console.print(f"{bench.name:<12} {mark} {status['seconds']:.0f} s")
            progress.update(task, advance=1, line="")


if __name__ == "__main__":
    sys.exit(main())
