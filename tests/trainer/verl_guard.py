"""Imported first by the verl bridge tests: verl missing skips the importing test module, or
fails it when ``AGENTRL_REQUIRE_VERL`` is set (``make test`` installs the extra and sets it)."""

from __future__ import annotations

from tests.optional import require_module

require_module("verl", "AGENTRL_REQUIRE_VERL", "the verl bridge tests",
               "pip install -e '.[verl]'")
