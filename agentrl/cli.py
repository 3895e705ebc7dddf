"""The ``agentrl`` command line (typer).

Core commands live here; components add theirs from modules in :mod:`agentrl.commands`, each
defining ``register(app)``. Errors a user can cause (:class:`~agentrl.errors.UserError`) print
one ``error: ...`` line and exit with code 2; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import random
import sys
from collections import Counter
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agentrl.errors import UserError

app = typer.Typer(
    name="agentrl",
    help="Train tool-using LLM agents with RL in multi-turn, sandboxed environments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Inspect and validate run configs.", no_args_is_help=True)
app.add_typer(config_app, name="config")

console = Console()
err_console = Console(stderr=True)


def _parse_kwargs(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UserError(f"--kwarg {item!r} must look like name=value, e.g. num_train=50")
        out[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
    return out


# ---------------------------------------------------------------------------------------------
# environments
# ---------------------------------------------------------------------------------------------


@app.command("envs")
def envs_cmd(
    env_id: Annotated[str | None, typer.Argument(help="Describe one environment: task "
                                                      "counts per split and task type.")] = None,
    splits: Annotated[str, typer.Option(help="Comma-separated splits to count.")] =
        "train,valid,test",
) -> None:
    """List registered environments (built-in and plugins), or describe one."""
    from agentrl.envs import make, plugin_errors, registry

    if env_id is not None:
        env = make(env_id)
        try:
            table = Table(title=f"{env_id}: tasks per split and type")
            table.add_column("split")
            table.add_column("tasks", justify="right")
            table.add_column("by task type")
            for split in [s.strip() for s in splits.split(",") if s.strip()]:
                try:
                    tasks = env.tasks(split)  # type: ignore[attr-defined]
                except (KeyError, ValueError) as exc:
                    raise UserError(f"{env_id} has no split {split!r} ({exc})") from None
                counts = Counter(t.task_type or "-" for t in tasks)
                table.add_row(split, str(len(tasks)),
                              ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
            console.print(table)
        finally:
            env.close()
        return

    specs = registry()
    table = Table(title="agentrl environments")
    table.add_column("id", style="bold")
    table.add_column("description")
    table.add_column("source")
    table.add_column("max turns", justify="right")
    for spec in specs.values():
        table.add_row(spec.id, spec.description, spec.source, str(spec.max_turns or "-"))
    console.print(table)
    for name, error in plugin_errors().items():
        err_console.print(f"[red]plugin {name} failed to load:[/red] {error}")


@app.command("check-env")
def check_env_cmd(
    env_id: Annotated[str, typer.Argument(help="Registered environment id.")],
    kwarg: Annotated[list[str] | None, typer.Option(
        "--kwarg", "-k", help="Constructor override name=value.")] = None,
    n_random: Annotated[int, typer.Option(help="Random and malformed actions to try.")] = 200,
    expert_tasks: Annotated[int, typer.Option(help="Tasks per split the expert must solve.")] = 3,
) -> None:
    """Check an environment against the agentrl contract; exit 1 if any check fails."""
    from agentrl.envs import check_env, spec

    spec(env_id)  # unknown ids fail here with the list of known ones
    report = check_env(env_id, n_random=n_random, expert_tasks=expert_tasks,
                       make_kwargs=_parse_kwargs(kwarg))
    for result in report.results:
        style = {"pass": "green", "skip": "yellow", "FAIL": "red"}[result.status]
        console.print(f"[{style}]{result.status:4}[/{style}]  {result.name}: {result.detail}",
                      highlight=False, soft_wrap=True)
    if report.passed:
        console.print(f"[green]{env_id} passed all checks[/green]")
    else:
        console.print(f"[red]{env_id} failed {len(report.failures)} check(s)[/red]")
        raise typer.Exit(1)


@app.command("play")
def play_cmd(
    env_id: Annotated[str, typer.Argument(help="Registered environment id.")],
    policy: Annotated[str, typer.Option(help="expert, random, or human (type actions).")] =
        "expert",
    split: Annotated[str, typer.Option(help="Split to draw the task from.")] = "test",
    task: Annotated[str | None, typer.Option(help="Task id (default: the split's first).")] = None,
    seed: Annotated[int, typer.Option(help="Episode seed.")] = 0,
    kwarg: Annotated[list[str] | None, typer.Option(
        "--kwarg", "-k", help="Constructor override name=value.")] = None,
) -> None:
    """Play one episode and print the transcript (a quick look at an environment)."""
    from agentrl.envs import make

    if policy not in ("expert", "random", "human"):
        raise UserError(f"unknown --policy {policy!r}; use expert, random or human")
    env = make(env_id, **_parse_kwargs(kwarg))
    try:
        tasks = env.tasks(split)  # type: ignore[attr-defined]
        if not tasks:
            raise UserError(f"{env_id} has no tasks in split {split!r}")
        task_id = task or tasks[0].task_id
        obs, info = env.reset(seed=seed, options={"task_id": task_id})
        rng = random.Random(seed)
        console.print(f"[bold]task {escape(task_id)}[/bold]\n{escape(obs)}", highlight=False)
        total, turn = 0.0, 0
        while True:
            action = _choose(policy, info, rng)
            obs, reward, terminated, truncated, info = env.step(action)
            turn += 1
            total += float(reward)
            console.print(f"[cyan]> {escape(action)}[/cyan]\n{escape(obs)}", highlight=False)
            if terminated or truncated:
                break
        how = "terminated" if terminated else "truncated"
        console.print(f"[bold]{how} after {turn} turns; return {total:g}; "
                      f"success {info.get('success', False)}[/bold]")
    finally:
        env.close()


def _choose(policy: str, info: dict[str, Any], rng: random.Random) -> str:
    if policy == "expert":
        action = info.get("expert_action")
        if not isinstance(action, str):
            raise UserError("this environment provides no expert_action; use --policy random")
        return action
    if policy == "random":
        admissible = info.get("admissible_actions") or ["look"]
        return rng.choice(admissible)
    try:
        return input("> ")
    except EOFError:
        raise typer.Exit(0) from None


# ---------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------


@app.command("train")
def train_cmd(
    config: Annotated[str, typer.Argument(help="Run config YAML file.")],
    overrides: Annotated[list[str] | None, typer.Argument(help="key.sub=value overrides.")] = None,
    resume: Annotated[str | None, typer.Option(help="Continue the run in this directory from "
                                                    "its latest checkpoint.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would run and stop: the "
                                                            "resolved config, or for "
                                                            "trainer.backend=verl the verl config "
                                                            "and command (checked by verl on "
                                                            "CPU).")] = False,
) -> None:
    """Train: SFT warm-up (optional), then RL iterations; evaluates and checkpoints."""
    from agentrl.config import dump_config, load_config

    items = list(overrides or [])
    if resume:
        items.append(f"output.dir={resume}")
    cfg = load_config(config, items)
    if cfg.trainer.backend == "verl":
        from agentrl.trainer.verl.launch import train_with_verl

        code = train_with_verl(cfg, dry_run=dry_run)
        if code:
            raise typer.Exit(code)
        return
    if dry_run:
        sys.stdout.write(dump_config(cfg))
        return
    from agentrl.trainer import LocalTrainer

    trainer = LocalTrainer(cfg, resume=resume is not None, log=console.print)
    try:
        results = trainer.fit()
    finally:  # a vLLM rollout engine (policy.backend: vllm) stops with the run
        trainer.close()
    table = Table(title=f"held-out evaluation ({cfg.output.dir}/final_eval.json)")
    for col in ("model/split/decoding", "success", "95% CI", "pass@k", "reward", "steps",
                "tasks x samples"):
        table.add_column(col)
    for key, row in results.items():
        if key == "last_iteration":
            continue
        lo, hi = row["ci95"]
        pass_k = (f"{row['pass_at_k']:.3f} (k={row['samples']:.0f})" if "pass_at_k" in row
                  else "")
        table.add_row(key, f"{row['success']:.3f}", f"[{lo:.3f}, {hi:.3f}]", pass_k,
                      f"{row['reward']:.3f}", f"{row['steps']:.1f}",
                      f"{row['tasks']:.0f} x {row['samples']:.0f}")
    console.print(table)


# ---------------------------------------------------------------------------------------------
# rollout
# ---------------------------------------------------------------------------------------------


@app.command("rollout")
def rollout_cmd(
    config: Annotated[str, typer.Argument(help="Run config YAML file.")],
    overrides: Annotated[list[str] | None, typer.Argument(help="key.sub=value overrides.")] = None,
    out: Annotated[str, typer.Option("--out", "-o", help="Episodes JSONL to write.")] =
        "episodes.jsonl",
    policy: Annotated[str | None, typer.Option(help="Policy spec overriding the config: expert, "
                                                    "random, hf:PATH, ...")] = None,
    split: Annotated[str, typer.Option(help="Task split to play.")] = "train",
    tasks: Annotated[int, typer.Option("--tasks", "-n", help="Number of tasks (groups).")] = 16,
    group_size: Annotated[int | None, typer.Option(help="Episodes per task (default: "
                                                        "rollout.group_size).")] = None,
    append: Annotated[bool, typer.Option(help="Append to OUT instead of replacing it.")] = False,
) -> None:
    """Collect episodes with any policy into a JSONL file (SFT data, offline credit analysis)."""
    from agentrl.components import build_env_factory, build_policy, build_rollout, split_tasks
    from agentrl.config import load_config
    from agentrl.types import EpisodeWriter

    cfg = load_config(config, overrides or [])
    pool = split_tasks(build_env_factory(cfg), cfg.env.id, split)
    chosen = [pool[i % len(pool)] for i in range(tasks)]
    seeds = [cfg.seed + i for i in range(tasks)]
    agent = build_policy(cfg, policy)
    n_ok = n_eps = steps = 0
    with build_rollout(cfg, agent, group_size=group_size) as engine, \
            EpisodeWriter(out, append=append) as writer:
        for start in range(0, tasks, 16):  # write as we go: a crash keeps finished batches
            episodes = engine.run(chosen[start:start + 16], seeds[start:start + 16])
            writer.write_all(episodes)
            n_eps += len(episodes)
            n_ok += sum(e.success for e in episodes)
            steps += sum(e.num_steps for e in episodes)
    console.print(f"wrote {n_eps} episodes to {out}: success {n_ok / max(n_eps, 1):.3f}, "
                  f"{steps / max(n_eps, 1):.1f} steps per episode")


@app.command("serve")
def serve_cmd(
    model: Annotated[str, typer.Argument(help="Checkpoint or run directory to serve "
                                              "(an hf policy).")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    name: Annotated[str, typer.Option(help="Model name clients ask for.")] = "agentrl",
    api_key: Annotated[str | None, typer.Option(help="Require this bearer token.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
) -> None:
    """Serve a checkpoint as an OpenAI-compatible chat endpoint (for `--policy openai:...`)."""
    from agentrl.policies.hf import HFPolicy
    from agentrl.serve import ChatServer

    path = model.removeprefix("hf:")
    server = ChatServer(HFPolicy(path, device=device), name, host=host, port=port,
                        api_key=api_key)
    console.print(f"serving {path} as {name!r} at {server.url} (Ctrl-C to stop)")
    server.serve_forever()


# ---------------------------------------------------------------------------------------------
# configs
# ---------------------------------------------------------------------------------------------


@config_app.command("show")
def config_show_cmd(
    config: Annotated[str, typer.Argument(help="Run config YAML file.")],
    overrides: Annotated[list[str] | None, typer.Argument(help="key.sub=value overrides.")] = None,
) -> None:
    """Print the resolved config (file + overrides + defaults)."""
    from agentrl.config import dump_config, load_config

    cfg = load_config(config, overrides or [])
    sys.stdout.write(dump_config(cfg))


@config_app.command("validate")
def config_validate_cmd(
    config: Annotated[str, typer.Argument(help="Run config YAML file.")],
    overrides: Annotated[list[str] | None, typer.Argument(help="key.sub=value overrides.")] = None,
) -> None:
    """Validate a config; exit 2 with the offending key path if it is malformed."""
    from agentrl.config import load_config
    from agentrl.envs import spec
    from agentrl.rewards import check_credit

    cfg = load_config(config, overrides or [])
    spec(cfg.env.id)  # the environment must be registered (the error lists the known ids)
    check_credit([{"name": s.name, **s.params} for s in cfg.credit.shapers],
                 {"name": cfg.credit.estimator.name, **cfg.credit.estimator.params})
    console.print(f"[green]{config} is valid[/green]")


# ---------------------------------------------------------------------------------------------
# component commands and entry point
# ---------------------------------------------------------------------------------------------


def _register_component_commands() -> None:
    import agentrl.commands as commands

    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"agentrl.commands.{mod.name}")
        module.register(app)


_register_component_commands()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one line and exit code 2."""
    try:
        app(args=argv, prog_name="agentrl")
    except UserError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False,
                          soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
