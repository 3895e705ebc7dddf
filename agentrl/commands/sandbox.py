"""``agentrl sandbox ...``: check backends, build images, run a command, remove leftovers."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["register"]

def _console() -> Console:
    return Console()  # created per command so that the terminal width is current


def register(app: typer.Typer) -> None:
    """Add the ``sandbox`` command group to the agentrl CLI."""
    group = typer.Typer(help="Sandboxes for code environments: doctor, images, build, run, "
                             "prune.", no_args_is_help=True)

    @group.command()
    def doctor(image: str = typer.Option("python", help="Image to check the backends with.")
               ) -> None:
        """Which sandbox backends work here; for the others, why and how to fix it."""
        from agentrl.sandboxes.doctor import diagnose

        console = _console()

        reports = diagnose(image)
        table = Table("backend", "status", "details")
        for report in reports:
            status = {True: "[green]works[/]", False: "[red]broken[/]",
                      None: "[yellow]unchecked[/]"}[report.ok]
            if report.ok and not report.isolating and report.name == "process":
                status = "[yellow]works, no isolation[/]"
            table.add_row(report.name, status, report.detail)
        console.print(table)
        if not any(r.ok and r.isolating for r in reports):
            console.print("[red]No isolating backend works here; fix docker or bwrap above.[/]")
            raise typer.Exit(1)

    @group.command()
    def images() -> None:
        """List image recipes and whether their rootfs / Docker image are built."""
        from agentrl.sandboxes.images import recipes, rootfs_path, rootfs_ready

        console = _console()

        table = Table("name", "docker tag", "offline rootfs", "description")
        for name, recipe in recipes().items():
            rootfs = str(rootfs_path(name)) if rootfs_ready(name) else "not built"
            table.add_row(name, recipe.tag, rootfs, recipe.description)
        console.print(table)

    @group.command()
    def build(name: str = typer.Argument(..., help="Image recipe name, e.g. python."),
              offline: bool = typer.Option(
                  False, help="debootstrap from the Debian mirror + docker import (no "
                              "registry needed); also yields the rootfs for bwrap."),
              rootfs_only: bool = typer.Option(
                  False, help="With --offline: build only the rootfs directory (no Docker)."),
              force: bool = typer.Option(False, help="Rebuild even if the cache is current."),
              ) -> None:
        """Build a sandbox image (cached: a second run is a no-op)."""
        from agentrl.sandboxes import images

        console = _console()

        def log(message: str) -> None:
            console.print(f"[cyan]build[/] {message}")

        if offline:
            with console.status(f"building {name} offline"):
                path = images.build_offline(name, docker_import=not rootfs_only, force=force,
                                            log=log)
            console.print(f"rootfs: {path}")
        else:
            if rootfs_only:
                raise typer.BadParameter("--rootfs-only needs --offline")
            with console.status(f"docker build {name}"):
                tag = images.build(name, log=log)
            console.print(f"image: {tag}")

    @group.command()
    def run(command: str = typer.Argument(..., help="Shell command to run."),
            backend: str = typer.Option("docker", help="Sandbox backend."),
            image: str = typer.Option("python", help="Image recipe, tag or rootfs."),
            timeout: float = typer.Option(60.0, help="Wall-clock limit in seconds."),
            network: bool = typer.Option(False, help="Allow network access."),
            ) -> None:
        """Run one command in a fresh sandbox and print its result."""
        from agentrl.sandboxes import SandboxConfig, create

        config = SandboxConfig(backend=backend, image=image, network=network)
        with create(config) as sandbox:
            result = sandbox.exec(command, timeout=timeout)
        if result.stdout:
            typer.echo(result.stdout, nl=False)
        if result.stderr:
            typer.echo(result.stderr, nl=False, err=True)
        note = " (timed out)" if result.timed_out else ""
        typer.echo(f"exit {result.exit_code}{note} in {result.duration_s:.3f} s", err=True)
        raise typer.Exit(0 if result.exit_code == 0 else 1)

    @group.command()
    def prune(everything: bool = typer.Option(
            False, "--all", help="Also remove sandboxes of runs that are still alive.")) -> None:
        """Remove sandboxes left behind by crashed runs (Docker containers, bwrap dirs)."""
        from agentrl.sandboxes import bwrap

        console = _console()
        removed = bwrap.prune(everything=everything)
        console.print(f"bwrap: removed {len(removed)} sandbox director"
                      f"{'y' if len(removed) == 1 else 'ies'}")
        from agentrl.errors import UserError
        from agentrl.sandboxes import docker as docker_backend

        try:
            containers = docker_backend.prune(everything=everything)
        except UserError as exc:
            console.print(f"docker: skipped ({exc})")
            return
        console.print(f"docker: removed {len(containers)} container"
                      f"{'' if len(containers) == 1 else 's'}")

    app.add_typer(group, name="sandbox")
