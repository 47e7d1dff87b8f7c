#!/usr/bin/env bash
# tests/tools/setup-test-deps.sh — what the S3 tests need beyond the build:
# Ceph RGW (radosgw, ceph-mon, ceph-osd) as a real S3 server on loopback and
# Debian's awscli (/usr/bin/aws) as the cross-check client. Run by `make
# test`. Idempotent; without root it only reports what is missing, and the
# S3 tests then skip with a message.
set -euo pipefail
pkgs=(radosgw ceph-mon ceph-osd awscli curl python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-test-deps: missing ${missing[*]}; the S3 tests will skip (as root: apt-get install ${missing[*]})" >&2
  exit 0
fi
echo "setup-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
