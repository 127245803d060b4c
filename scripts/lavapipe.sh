#!/usr/bin/env bash
# Fetches lavapipe, Mesa 25's software Vulkan driver, from Debian bookworm-backports into a cache
# folder (no system package is installed or upgraded) and prints the path of an ICD file for it:
#
#   CAROUSEL_F16_ICD="$(scripts/lavapipe.sh)" && export CAROUSEL_F16_ICD
#
# The WebGPU f16 tests need it: SwiftShader (the rest of the WebGPU suite's driver) has no
# 'shader-f16', lavapipe has. Plain bookworm's Mesa 22 lavapipe is rejected by Dawn, so the ICD file
# names the extracted library by its absolute path (the packaged file's bare name would load the
# system's). Idempotent: a second run only prints the path. Cache: $CAROUSEL_LAVAPIPE_DIR, default
# .cache/lavapipe in the repository (gitignored). Needs apt-get and dpkg-deb (Debian bookworm), and
# the libraries the driver links (libllvm15, xcb, …): with --install-deps, missing ones are installed
# from the package's Depends (as root, or with sudo). Fails (non-zero, message on stderr) when
# anything is missing.
set -euo pipefail
INSTALL_DEPS=0
if [ "${1:-}" = "--install-deps" ]; then INSTALL_DEPS=1; fi
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${CAROUSEL_LAVAPIPE_DIR:-$ROOT/.cache/lavapipe}"
ICD="$CACHE/lvp_icd.json"
SUITE=bookworm-backports
PACKAGE=mesa-vulkan-drivers

fail() {
  echo "lavapipe.sh: $*" >&2
  exit 1
}

# The packages of the driver's Depends (versions and alternatives dropped), saved at download.
depends() { sed 's/([^)]*)//g; s/|[^,]*//g; s/,/ /g' "$CACHE/depends.txt"; }

# Checks that the driver's libraries resolve, installing its Depends first with --install-deps.
check_libraries() {
  if ! ldd "$1" | grep -q 'not found'; then return 0; fi
  if [ "$INSTALL_DEPS" = 1 ]; then
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    # shellcheck disable=SC2046 # one word per package
    $sudo apt-get update -qq >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(depends) >&2 ||
      fail "installing lavapipe's dependencies failed"
  fi
  if missing=$(ldd "$1" | grep 'not found'); then
    fail "libraries lavapipe needs are missing (rerun with --install-deps, or apt-get install$(printf ' %s' $(depends))):
$missing"
  fi
}

if [ -f "$ICD" ] && lib=$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' "$ICD") && [ -f "$lib" ]; then
  check_libraries "$lib"
  echo "$ICD"
  exit 0
fi

command -v apt-get >/dev/null || fail "apt-get not found: this script fetches Debian's $PACKAGE ($SUITE)"
command -v dpkg-deb >/dev/null || fail "dpkg-deb not found"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
ICD="$CACHE/lvp_icd.json"
APT="$CACHE/apt"
rm -rf "$APT" "$CACHE/extract"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/deb" "$CACHE/extract"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $SUITE main" >"$APT/sources.list"
# A scratch source list and private state: the system's apt configuration and lists are untouched.
OPTS=(
  -o "Dir::Etc::SourceList=$APT/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$APT/lists"
  -o "Dir::Cache=$APT/cache"
  -o APT::Sandbox::User="$(id -un)"
)
apt-get "${OPTS[@]}" -qq update >&2 || fail "apt-get update of $SUITE failed (network?)"
(cd "$APT/deb" && apt-get "${OPTS[@]}" -qq download "$PACKAGE/$SUITE" >&2) || fail "downloading $PACKAGE/$SUITE failed"
deb=$(find "$APT/deb" -name '*.deb' -print -quit)
[ -n "$deb" ] || fail "no .deb downloaded"
dpkg-deb -x "$deb" "$CACHE/extract"
dpkg-deb -f "$deb" Depends >"$CACHE/depends.txt"
found=$(find "$CACHE/extract" -name libvulkan_lvp.so -print -quit)
[ -n "$found" ] || fail "libvulkan_lvp.so not found in $deb"
packaged=$(find "$CACHE/extract" -name 'lvp_icd*.json' -print -quit)
api=""
if [ -n "$packaged" ]; then api=$(sed -n 's/.*"api_version": *"\([^"]*\)".*/\1/p' "$packaged"); fi
# only the driver is kept (~10 MB): the package's other drivers, the .deb and the lists go
lib="$CACHE/libvulkan_lvp.so"
mv "$found" "$lib"
rm -rf "$APT" "$CACHE/extract"
check_libraries "$lib"
cat >"$ICD" <<JSON
{
  "file_format_version": "1.0.0",
  "ICD": { "library_path": "$lib", "api_version": "${api:-1.3.0}" }
}
JSON
echo "$ICD"
