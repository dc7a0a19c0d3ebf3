#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks before `npm ci && npm test`:
#   - for the synthetic-data renderer (packages/synth): the build tools and X/GL headers that the
#     optional native package `gl` (headless WebGL) compiles against during `npm ci`, and Xvfb +
#     Mesa (llvmpipe) to run it without a screen;
#   - the trainer's Python environment (training/setup-env.sh).
# Idempotent. Without root (or apt) it prints what is missing; outside CI the affected tests then
# skip with a visible reason, in CI (CI=true) it fails.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
RENDER_PACKAGES=(python3 make g++ pkg-config libx11-dev libxext-dev libxi-dev libgl-dev
  libgl1-mesa-dri libglx-mesa0 xvfb xauth)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${RENDER_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing Debian packages for the renderer: ${missing[*]}" >&2
    echo "setup: install them as root (apt-get install -y ${missing[*]}), then run 'npm rebuild gl'" >&2
    [ "${CI:-}" = "true" ] && exit 1
  else
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

bash "$here/training/setup-env.sh"
