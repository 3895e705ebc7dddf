# The two commands of the README:
#   make quickstart   set up .venv and run the CPU quickstart
#   make test         set up .venv and the system services the tests need, then lint and test
.PHONY: setup system-deps quickstart test test-all test-vllm lint bench

VENV := .venv/bin

setup:
	bash scripts/setup.sh

# Docker engine, bubblewrap and the offline sandbox image (needs root; idempotent).
system-deps: setup
	@if [ "$$(id -u)" -eq 0 ]; then bash scripts/install-system-deps.sh; \
	else echo "system-deps: not root, skipping Docker/bubblewrap setup (their tests will skip;" \
	          "run 'sudo make system-deps')"; fi

quickstart: setup
	$(VENV)/agentrl train configs/quickstart.yaml

lint: setup
	$(VENV)/ruff check .

# The tests cover the verl bridge, so `make test` installs the verl extra too (CPU-only; it
# needs no GPU to import), and its tests must not skip. As root the system deps (Docker,
# bubblewrap, chromium) are installed, so the browser tests must run too.
test test-all: export AGENTRL_EXTRAS := dev,verl
test: setup system-deps lint
	AGENTRL_REQUIRE_VERL=1 AGENTRL_REQUIRE_BROWSER=$$([ "$$(id -u)" -eq 0 ] && echo 1) \
		$(VENV)/pytest -q
	$(MAKE) --no-print-directory test-vllm

# The vllm policy on a real vLLM engine. vLLM pins its own torch and transformers, so its tests
# run in .venv-vllm, on vLLM's CPU build (x86-64 Linux), where they must not skip.
test-vllm:
	@if [ "$$(uname -sm)" != "Linux x86_64" ]; then \
		echo "test-vllm: vLLM's CPU build needs x86-64 Linux; skipped"; exit 0; fi; \
	bash scripts/setup-vllm.sh && \
	AGENTRL_REQUIRE_VLLM=1 .venv-vllm/bin/pytest -q -p no:cacheprovider tests/policies/test_vllm.py

# Everything, including tests marked slow.
test-all: setup system-deps lint
	AGENTRL_REQUIRE_VERL=1 AGENTRL_REQUIRE_BROWSER=$$([ "$$(id -u)" -eq 0 ] && echo 1) \
		$(VENV)/pytest -q -m ""
	$(MAKE) --no-print-directory test-vllm

# Every benchmark (speed, then learning), then benchmarks/results/SUMMARY.md and plots.
bench: setup
	$(VENV)/python -m benchmarks
