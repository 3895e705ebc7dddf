# The two commands of the README:
#   make quickstart   set up .venv and run the CPU quickstart
#   make test         set up .venv and run the linters and the test suite
.PHONY: setup quickstart test test-all lint bench

VENV := .venv/bin

setup:
	bash scripts/setup.sh

quickstart: setup
	$(VENV)/agentrl envs
	$(VENV)/agentrl check-env agentrl/Household-v0
	$(VENV)/agentrl play agentrl/Household-v0 --policy expert

lint:
	$(VENV)/ruff check .

test: setup lint
	$(VENV)/pytest -q

# Everything, including tests marked slow.
test-all: setup lint
	$(VENV)/pytest -q -m ""
