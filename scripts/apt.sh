# Sourced by the setup scripts: `apt_install_missing WHAT PACKAGE...` installs the Debian
# packages that are not installed yet (as root, with apt-get). Without root or apt it says what
# is missing and returns 1 — the caller decides whether that is fatal (in CI it is).
apt_install_missing() {
  local what="$1"
  shift
  local missing=()
  command -v dpkg-query >/dev/null 2>&1 || return 0
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing Debian packages for $what: ${missing[*]}" >&2
    echo "setup: install them as root: apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  echo "setup: installing ${missing[*]} ($what)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
