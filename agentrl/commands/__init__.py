"""CLI commands contributed by components: each module defines ``register(app: typer.Typer)``."""
