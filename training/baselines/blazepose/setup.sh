#!/usr/bin/env bash
# Creates the BlazePose baseline's environment: training/baselines/blazepose/.venv on
# /usr/bin/python3.11 with the exact pins of requirements.txt (mediapipe 0.10.14, whose wheel
# bundles pose_detection.tflite and pose_landmark_full.tflite; nothing is downloaded at runtime).
# Idempotent: does nothing when the environment already matches requirements.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
req="$here/requirements.txt"
PY="${PYTHON:-/usr/bin/python3.11}"

if [ ! -x "$PY" ]; then
  echo "setup: $PY not found; mediapipe 0.10.14 needs CPython 3.11 (apt-get install python3.11 python3.11-venv, or set PYTHON=...)" >&2
  exit 1
fi

wanted() { grep -Ev '^[[:space:]]*(#|$)' "$req" | tr 'A-Z_' 'a-z-' | sort; }
installed() { "$venv/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null | tr 'A-Z_' 'a-z-' | sort; }

if [ -x "$venv/bin/python" ] && [ "$(installed)" = "$(wanted)" ]; then
  echo "setup: $venv already matches requirements.txt"
else
  if [ ! -x "$venv/bin/python" ]; then
    "$PY" -m venv "$venv" || { echo "setup: '$PY -m venv' failed (Debian: apt-get install python3.11-venv)" >&2; exit 1; }
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
fi

"$venv/bin/python" - <<'PY'
import os, warnings
warnings.filterwarnings('ignore')
import mediapipe as mp
base = os.path.join(os.path.dirname(mp.__file__), 'modules')
for model in ('pose_detection/pose_detection.tflite', 'pose_landmark/pose_landmark_full.tflite'):
    assert os.path.isfile(os.path.join(base, model)), f'bundled model missing: {model}'
print(f'setup: mediapipe {mp.__version__} with pose_detection.tflite and pose_landmark_full.tflite bundled')
PY
