#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks before `npm ci && npm test`:
#   - for the synthetic-data renderer (packages/synth): the build tools and X/GL headers that the
#     optional native package `gl` (headless WebGL) compiles against during `npm ci`, and Xvfb +
#     Mesa (llvmpipe) to run it without a screen;
#   - for the browser app's end-to-end test (packages/web): Debian's Chromium, driven by
#     playwright-core (never `npx playwright install`);
#   - the trainer's Python environment (training/setup-env.sh).
# Idempotent. Without root (or apt) it prints what is missing; outside CI the affected tests then
# skip with a visible reason, in CI (CI=true) it fails.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/apt.sh
source "$here/scripts/apt.sh"

if ! apt_install_missing "the renderer (then run 'npm rebuild gl')" python3 make g++ pkg-config \
  libx11-dev libxext-dev libxi-dev libgl-dev libgl1-mesa-dri libglx-mesa0 xvfb xauth; then
  [ "${CI:-}" = "true" ] && exit 1
fi

if ! apt_install_missing "the browser tests" chromium; then
  [ "${CI:-}" = "true" ] && exit 1
fi

# The batch queue (packages/server, BullMQ): its tests start a private Debian redis-server.
if ! apt_install_missing "the batch queue tests" redis-server; then
  [ "${CI:-}" = "true" ] && exit 1
fi

bash "$here/training/setup-env.sh"
