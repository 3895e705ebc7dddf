"""How much of an RL iteration's gradient carries over to other tasks? (issue #10)

The quickstart's RL stage learns the tasks it trains on (a fixed pool of 16 climbs from 0.19 to
0.65) but adds only a few points on unseen ones. This diagnostic measures why, from the
gradients themselves. With one model, it runs three rollouts as the trainer does: A (one
iteration's tasks), B (the same tasks and layouts, other sampling seeds) and C (the next
iteration's tasks), assigns credit with the config's shapers and estimator, and computes per
episode group (one task x ``group_size`` episodes):

- ``rl``: the policy gradient at the start of the update (ratio 1), ``-sum A log p`` with the
  trainer's ``episode-mean`` weights, and the same restricted to the steps whose executed action
  starts with ``--split-verb`` (``go``: navigation in the household) and to the rest;
- ``imitation``: the gradient of the cross-entropy of the expert's action
  (``info["expert_action"]``) at the same visited states, the signal DAgger-style supervision
  would give (Ross et al., AISTATS 2011), for comparison.

It reports the mean cosine between the gradients of one task from two independent rollouts
(A, B), between the gradients of different tasks (A, C), and between whole iterations; and the
gradient noise scale of McCandlish et al. ("An Empirical Model of Large-Batch Training",
arXiv 1812.06162), ``B_noise = tr(Sigma) / |G|^2`` in episode groups, from the groups of A and
C as independent draws: the batch at which a gradient step's signal equals its noise, and,
roughly, how many groups of data a run needs before its steps add up to progress. The noise
scale comes with an interval from the jackknife standard error of ``|G|^2`` (Efron & Stein,
1981): with the quickstart's 16 groups per rollout it bounds the RL noise scale only from
below; ``--set rollout.groups_per_batch=64`` narrows it.

    python -m benchmarks.gradient_signal RUN/sft [RUN/checkpoints/iter_000015] [--set k=v ...]
        [--label TEXT]

Appends the run to ``benchmarks/results/gradient_signal.json`` and prints a table. About 6
minutes per model on 2 cores for the quickstart's 16 x 8 episodes per rollout (the per-group
gradients of a model of P parameters take 4 x 3 x groups x P floats of memory: meant for small
models).
"""

from __future__ import annotations

import argparse
import math
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.table import Table

from agentrl.config import RunConfig, load_config
from agentrl.trainer.local import LocalTrainer
from agentrl.trainer.samples import StepSample, pack, step_samples
from agentrl.trainer.sft import target_ids
from agentrl.types import Episode
from benchmarks import append_runs, relative_path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "gradient_signal.json"
KINDS = ("rl", "rl_split", "rl_rest", "imitation")


def noise_scale(grads: torch.Tensor) -> dict[str, float]:
    """Gradient noise scale from ``grads`` (n, P), n >= 2 i.i.d. per-unit gradients of mean G.

    ``G2`` is the unbiased estimate of |G|^2, ``(|sum g|^2 - sum |g|^2) / (n (n - 1))``;
    ``trace_sigma`` the unbiased trace of the per-unit covariance; ``b_noise`` their ratio (in
    units: the batch at which E|mean of B units - G|^2 equals |G|^2; inf when G2 <= 0).

    ``G2_se`` is the jackknife standard error of ``G2`` (leave one unit out; needs n >= 3, else
    nan, and so are the bounds), and ``b_noise_low`` / ``b_noise_high`` bound the noise scale
    with ``G2 +- 2 G2_se`` (``b_noise_high`` is inf where ``G2 - 2 G2_se <= 0``: no shared
    signal is then shown)."""
    n = grads.shape[0]
    if n < 2:
        raise ValueError("noise_scale needs at least two per-unit gradients")
    x = grads.double()
    total = x.sum(0)
    sq = x.norm(dim=1) ** 2
    s2 = float(total.norm() ** 2)
    trace_sigma = float(((x - x.mean(0)) ** 2).sum() / (n - 1))
    g2 = (s2 - float(sq.sum())) / (n * (n - 1))
    se = float("nan")
    if n >= 3:  # leave unit i out: |S - x_i|^2 = |S|^2 - 2 S.x_i + |x_i|^2
        m = n - 1
        loo = ((s2 - 2 * (x @ total) + sq) - (sq.sum() - sq)) / (m * (m - 1))
        se = float(((m / n) * ((loo - loo.mean()) ** 2).sum()).sqrt())
    low = high = float("nan")  # no interval from two units
    if math.isfinite(se):
        low = trace_sigma / (g2 + 2 * se) if g2 + 2 * se > 0 else float("inf")
        high = trace_sigma / (g2 - 2 * se) if g2 - 2 * se > 0 else float("inf")
    return {"G2": g2, "G2_se": se, "trace_sigma": trace_sigma,
            "b_noise": trace_sigma / g2 if g2 > 0 else float("inf"),
            "b_noise_low": low, "b_noise_high": high}


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    """Cosine similarity of two flat gradients (0 when either is zero)."""
    na, nb = a.norm(), b.norm()
    return float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0


class GradientProbe:
    """Rollouts, credit and per-group gradients with a trainer built from ``cfg`` (whose
    ``model.path`` is the model to probe; no SFT stage runs)."""

    def __init__(self, cfg: RunConfig, run_dir: str, split_verb: str = "go") -> None:
        cfg = cfg.model_copy(update={
            "output": cfg.output.model_copy(update={"dir": run_dir}),
            "trainer": cfg.trainer.model_copy(update={
                "sft": cfg.trainer.sft.model_copy(update={"enabled": False})})})
        self.cfg = cfg
        self.trainer = LocalTrainer(cfg, progress=False, log=lambda *a, **k: None)
        self.params = [p for p in self.trainer.actor.parameters() if p.requires_grad]
        self.split_verb = split_verb

    def rollout(self, iteration: int, sampling_seed: int | None = None) -> list[Episode]:
        """The trainer's rollout of ``iteration`` (its tasks and layouts), sampled with
        ``sampling_seed`` (default: the trainer's own); credit assigned."""
        episodes = self.trainer.rollout(iteration, sampling_seed)
        self.trainer.assign_credit(episodes)
        return episodes

    def _gradient(self, samples: list[StepSample], use_advantage: bool) -> torch.Tensor:
        """Flat gradient of ``sum_i w_i mean_t(-c_i log p_it)`` over ``samples``, where c_i is
        the advantage (or 1 for imitation) and w_i the sample's episode-mean weight."""
        for p in self.params:
            p.grad = None
        actor, pad = self.trainer.actor, self.trainer.policy.pad_id
        actor.train()
        device = self.trainer.device
        for start in range(0, len(samples), 64):
            batch = pack(samples[start:start + 64], pad).to(device)
            logp, _, _ = actor(batch, self.cfg.rollout.temperature)
            mask = batch.response_mask.to(logp.dtype)
            coef = batch.advantages[:, None] if use_advantage else 1.0
            per_sample = (-(coef * logp) * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)
            (per_sample * batch.weights).sum().backward()
        return torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                          for p in self.params]).detach().float().clone()

    def group_gradients(self, episodes: list[Episode]) -> dict[str, dict[str, Any]]:
        """Per episode group: the gradients of ``KINDS`` and the group's success count."""
        groups: dict[str, list[Episode]] = {}  # "index:task", index = the group's position
        for ep in episodes:
            index = (ep.group_id or "").rsplit("-", 1)[-1]
            groups.setdefault(f"{index}:{ep.task_id}", []).append(ep)
        out = {}
        for key, members in groups.items():
            samples = step_samples(members)
            split = []  # whether each sample's executed action starts with the split verb
            imitation = []
            for ep in members:
                steps = [s for s in ep.steps if s.response_ids and s.prompt_ids is not None]
                for s in steps:
                    split.append(s.action.split(" ", 1)[0] == self.split_verb)
                    expert = s.info.get("expert_action")
                    if expert:
                        imitation.append(StepSample(
                            s.prompt_ids or [], target_ids(self.trainer.tokenizer, expert),
                            1.0, 1.0 / len(steps)))
            part = self._gradient([s for s, f in zip(samples, split, strict=True) if f], True)
            rest = self._gradient([s for s, f in zip(samples, split, strict=True) if not f],
                                  True)
            grads = {
                "rl": part + rest,  # the loss is a sum over samples: no third pass needed
                "rl_split": part,
                "rl_rest": rest,
                "imitation": (self._gradient(imitation, False) if imitation else None),
            }
            out[key] = {"grads": grads, "episodes": len(members),
                            "successes": sum(e.success for e in members)}
        return out


def summarize(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]],
              c: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Cosines and noise scales from the per-group gradients of rollouts A, B (A's tasks again)
    and C (other tasks)."""
    report: dict[str, Any] = {}
    for kind in KINDS:
        if any(g["grads"][kind] is None for d in (a, b, c) for g in d.values()):
            continue
        ga = {t: g["grads"][kind] for t, g in a.items()}
        gb = {t: g["grads"][kind] for t, g in b.items()}
        gc = {t: g["grads"][kind] for t, g in c.items()}
        same = [cosine(ga[t], gb[t]) for t in ga if t in gb]
        other = [cosine(x, y) for t, x in ga.items() for u, y in gc.items()
                 if t.split(":", 1)[1] != u.split(":", 1)[1]]
        row = {
            "cos_same_task": sum(same) / len(same) if same else None,
            "cos_other_task": sum(other) / len(other) if other else None,
            "cos_iteration_same_tasks": cosine(sum(ga.values()), sum(gb.values())),
            "cos_iteration_other_tasks": cosine(sum(ga.values()), sum(gc.values())),
        }
        row.update(noise_scale(torch.stack(list(ga.values()) + list(gc.values()))))
        report[kind] = row
    if "imitation" in report:
        pairs = [(g["grads"]["rl"], g["grads"]["imitation"]) for d in (a, c) for g in d.values()]
        report["cos_rl_imitation_group"] = sum(cosine(x, y) for x, y in pairs) / len(pairs)
        report["cos_rl_imitation_iteration"] = cosine(
            sum(g["grads"]["rl"] for g in a.values()),
            sum(g["grads"]["imitation"] for g in a.values()))
    report["success"] = {name: sum(g["successes"] for g in d.values())
                         / sum(g["episodes"] for g in d.values())
                         for name, d in (("A", a), ("B", b), ("C", c))}
    report["groups_with_signal"] = {
        name: sum(1 for g in d.values() if 0 < g["successes"] < g["episodes"])
        for name, d in (("A", a), ("B", b), ("C", c))}
    report["groups"] = len(a)
    report["episodes_per_group"] = next(iter(a.values()))["episodes"]
    return report


def measure(cfg: RunConfig, model: str, split_verb: str = "go",
            iteration: int = 0) -> dict[str, Any]:
    """The diagnostic for one model directory."""
    cfg = cfg.model_copy(update={
        "model": cfg.model.model_copy(update={"path": model, "preset": None})})
    torch.manual_seed(cfg.seed)
    with tempfile.TemporaryDirectory(prefix="gradient_signal-") as run_dir:
        probe = GradientProbe(cfg, run_dir, split_verb)
        a = probe.group_gradients(probe.rollout(iteration))
        other_seed = cfg.seed + iteration + 10_007  # A's tasks and layouts, other samples
        b = probe.group_gradients(probe.rollout(iteration, sampling_seed=other_seed))
        c = probe.group_gradients(probe.rollout(iteration + 1))
    return summarize(a, b, c)


def json_safe(node: Any) -> Any:
    """``node`` with non-finite floats (an infinite noise scale) as None, for strict JSON."""
    if isinstance(node, dict):
        return {k: json_safe(v) for k, v in node.items()}
    if isinstance(node, list):
        return [json_safe(v) for v in node]
    if isinstance(node, float) and not math.isfinite(node):
        return None
    return node


def _noise_cell(row: dict[str, Any]) -> str:
    """``b_noise [low, high]`` for the table (older results have no interval)."""
    def fmt(v: float | None) -> str:
        return f"{v:.0f}" if v is not None and math.isfinite(v) else "inf"
    if row["b_noise"] is None or not math.isfinite(row["b_noise"]):
        return "no signal"
    low = row.get("b_noise_low")
    if low is None or math.isnan(low):  # older results, or no interval from two groups
        return fmt(row["b_noise"])
    return f"{fmt(row['b_noise'])} [{fmt(row['b_noise_low'])}, {fmt(row['b_noise_high'])}]"


def _table(rows: dict[str, dict[str, Any]], split_verb: str) -> Table:
    table = Table(title="RL gradient per episode group: shared across tasks? (cosines; noise "
                        "scale in groups)")
    for col in ("model", "gradient", "same task", "other task", "iteration, same tasks",
                "iteration, other tasks", "B_noise [±2 s.e.]"):
        table.add_column(col, justify="left" if col in ("model", "gradient") else "right",
                         overflow="fold")
    names = {"rl": "RL", "rl_split": f"RL, '{split_verb}' steps",
             "rl_rest": "RL, other steps", "imitation": "imitation"}
    for model, row in rows.items():
        for kind in KINDS:
            if kind not in row:
                continue
            r = row[kind]
            table.add_row(model, names[kind], f"{r['cos_same_task']:.3f}",
                          f"{r['cos_other_task']:.3f}", f"{r['cos_iteration_same_tasks']:.3f}",
                          f"{r['cos_iteration_other_tasks']:.3f}",
                          _noise_cell(r))
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", help="model directories (hf checkpoints)")
    ap.add_argument("--config", default=str(ROOT / "configs" / "quickstart.yaml"))
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    metavar="KEY=VALUE", help="config override, e.g. credit.estimator.omega=0")
    ap.add_argument("--split-verb", default="go",
                    help="first word of the executed actions counted apart (default: go)")
    ap.add_argument("--label", default="", help="what the run measures (kept in the results)")
    ap.add_argument("--out", default=str(RESULTS),
                    help="results file (JSON); each run is appended to its list of runs")
    args = ap.parse_args()
    for model in args.models:
        if not (Path(model) / "config.json").is_file():
            raise SystemExit(f"{model}: not a model directory (no config.json); pass e.g. "
                             "runs/quickstart/sft or runs/quickstart/checkpoints/iter_000015")
    cfg = load_config(args.config, args.overrides)
    rows = {}
    for model in args.models:
        rows[relative_path(model)] = measure(cfg, model, args.split_verb)
        Console().print(f"{model}: done")
    Console(width=170).print(_table(rows, args.split_verb))
    out = Path(args.out)
    runs = append_runs(out, [{
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "label": args.label, "config": relative_path(args.config), "overrides": args.overrides,
        "split_verb": args.split_verb, "models": json_safe(rows),
    }])
    print(f"results: {out} (run {len(runs)})")


if __name__ == "__main__":
    main()
