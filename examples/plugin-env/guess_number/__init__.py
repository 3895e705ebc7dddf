"""An example agentrl plugin: registers ``example/GuessNumber-v0``.

agentrl calls :func:`register` once, through the ``agentrl.environments`` entry point declared in
this package's pyproject.toml.
"""

from agentrl.envs import register as _register


def register() -> None:
    """Register this package's environments with agentrl."""
    _register(
        id="example/GuessNumber-v0",
        entry_point="guess_number.env:GuessNumberEnv",
        max_turns=10,
        description="Guess a hidden number; the game says higher or lower.",
    )
