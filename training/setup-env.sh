#!/usr/bin/env bash
# Installs the trainer's Python environment (Debian route, CPU):
#   - Debian packages: python3-torch 1.13, torchvision 0.14, OpenCV, Pillow, NumPy, PyYAML,
#     Matplotlib, pytest (about 1 minute; PyPI's torch wheel pulls ~3.8 GB of CUDA libraries)
#   - a virtual environment training/.venv on Debian's python3 with system site packages,
#     plus onnxruntime from PyPI (pinned) for the export round-trip check.
# Idempotent: re-running only installs what is missing. See training/README.md for CUDA.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
APT_PACKAGES=(python3 python3-venv python3-torch python3-torchvision python3-opencv python3-pil
  python3-numpy python3-yaml python3-matplotlib python3-pytest)
PY=/usr/bin/python3

# shellcheck source=../scripts/apt.sh
source "$here/../scripts/apt.sh"
if ! apt_install_missing "the trainer" "${APT_PACKAGES[@]}"; then
  echo "setup-env: or follow training/README.md for pip/CUDA; the Python tests are skipped until then." >&2
  # In CI this is an error; on a developer machine the TypeScript tests still run.
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi

if [ ! -x "$here/.venv/bin/python" ]; then
  "$PY" -m venv --system-site-packages "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
"$here/.venv/bin/python" -c "import torch, torchvision, cv2, onnxruntime; print('setup-env: torch', torch.__version__, '| torchvision', torchvision.__version__, '| onnxruntime', onnxruntime.__version__)"
