#!/usr/bin/env bash
# Runs the Python test suite. Without the environment (training/setup-env.sh) it skips with
# a visible reason on a developer machine, but fails in CI (CI=true).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="$here/.venv/bin/python"
if ! [ -x "$py" ] || ! "$py" -c "import torch, torchvision, cv2, onnxruntime" 2>/dev/null; then
  if [ "${CI:-}" = "true" ]; then
    echo "python tests: the trainer environment is missing (run training/setup-env.sh)" >&2
    exit 1
  fi
  echo "SKIPPED python tests: no trainer environment; run 'bash training/setup-env.sh' to enable them" >&2
  exit 0
fi
cd "$here" && exec "$py" -m pytest -q "$@"
