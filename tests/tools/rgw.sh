#!/bin/bash
# tests/tools/rgw.sh — a throwaway Ceph RGW (S3 server) on loopback for tests.
#
#   eval "$(tests/tools/rgw.sh start [DIR])"
#       prints shell exports: RGW_DIR S3_ENDPOINT S3_REGION S3_ACCESS_KEY S3_SECRET_KEY
#   tests/tools/rgw.sh stop DIR
#
# One monitor, one OSD keeping objects in RAM (memstore, 1 GiB), one radosgw;
# cephx off between the daemons (they only listen on 127.0.0.1), while RGW
# itself enforces S3 SigV4 for clients. Everything lives under DIR, and stop
# kills the three daemons by the PIDs they wrote there, then removes DIR.
# RGW_MEMSTORE_BYTES (default 1 GiB) caps the OSD's RAM store (benchmarks raise it).
# Needs Debian's radosgw, ceph-mon and ceph-osd (tests/tools/setup-test-deps.sh).
set -euo pipefail

ACCESS_KEY=AKIAIOSFODNN7EXAMPLE
SECRET_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# retry CMD... up to N times, half a second apart (a fresh monitor refuses its first commands)
retry() {
  local n=$1; shift
  local i
  for ((i = 0; i < n; i++)); do
    "$@" 2>>"$dir/log/setup.log" && return 0
    sleep 0.5
  done
  return 1
}

write_conf() {
  cat >"$dir/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail crit = 1
mon data avail warn = 2
osd crush chooseleaf type = 0
[mon]
mon data = $dir/mon.\$id
[osd]
osd data = $dir/osd\$id
osd objectstore = memstore
memstore device bytes = ${RGW_MEMSTORE_BYTES:-1073741824}
osd class dir = /usr/lib/x86_64-linux-gnu/rados-classes
osd crush update on start = false
osd class update on start = false
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $dir/rgw
# virtual-host requests (BUCKET.localhost) name the bucket in the Host header
rgw dns name = localhost
keyring = $dir/keyring
CONF
}

osd_up() { ceph osd stat 2>/dev/null | grep -q ' 1 up'; }

# On a failed start, show why before the directory goes away.
fail() {
  echo "rgw.sh: $1" >&2
  local f
  for f in "$dir"/log/setup.log "$dir"/log/osd.0.log "$dir"/log/client.rgw.log; do
    [ -f "$f" ] && { echo "--- tail of $f" >&2; tail -n 15 "$f" >&2; }
  done
  stop "$dir"
  return 1
}

start() {
  dir=${1:-$(mktemp -d /tmp/lh-rgw.XXXXXX)}
  if [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then echo "rgw.sh: $dir is not empty" >&2; return 1; fi
  mkdir -p "$dir"/run "$dir"/log "$dir"/mon.a "$dir"/osd0
  mon_port=$(free_port)
  rgw_port=$(free_port)
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf
  export CEPH_CONF="$dir/ceph.conf"

  ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring" >>"$dir/log/setup.log" 2>&1
  ceph-mon -i a >>"$dir/log/setup.log" 2>&1
  retry 20 ceph mon stat >/dev/null

  local uuid id attempt i
  uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(retry 20 ceph osd new "$uuid")
  ceph-osd -i "$id" --mkfs --osd-uuid "$uuid" >>"$dir/log/setup.log" 2>&1
  retry 20 ceph osd crush add "osd.$id" 1.0 root=default host=localhost >>"$dir/log/setup.log"
  # On a brand-new monitor the OSD sometimes exits during boot; start it again.
  for attempt in 1 2 3 4 5 6 7 8; do
    # a dead attempt's pid file would end the next attempt's wait at once
    rm -f "$dir/run/osd.$id.pid"
    ceph-osd -i "$id" >>"$dir/log/setup.log" 2>&1 || true
    for ((i = 0; i < 40; i++)); do
      osd_up && break 2
      local pidf="$dir/run/osd.$id.pid"
      if [ -f "$pidf" ] && ! kill -0 "$(cat "$pidf")" 2>/dev/null; then break; fi
      sleep 0.25
    done
    echo "rgw.sh: osd start attempt $attempt failed" >>"$dir/log/setup.log"
  done
  osd_up || { fail "the OSD did not come up"; return 1; }

  radosgw -n client.rgw >>"$dir/log/setup.log" 2>&1
  for ((i = 0; i < 240; i++)); do
    curl -s -o /dev/null "http://127.0.0.1:$rgw_port/" && break
    sleep 0.25
  done
  curl -s -o /dev/null "http://127.0.0.1:$rgw_port/" ||
    { fail "radosgw did not answer"; return 1; }
  retry 10 radosgw-admin user create --uid=lakehouse --display-name=lakehouse \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null ||
    { fail "could not create the S3 user"; return 1; }
  echo "export RGW_DIR='$dir' S3_ENDPOINT='http://127.0.0.1:$rgw_port' S3_REGION=us-east-1" \
       "S3_ACCESS_KEY='$ACCESS_KEY' S3_SECRET_KEY='$SECRET_KEY'"
}

# alive and not a zombie
alive() {
  local state
  state=$(sed -n 's/^State:\s*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

stop() {
  local d=$1 name pid i any
  [ -d "$d" ] || return 0
  local pids=()
  for name in client.rgw osd.0 mon.a; do
    [ -f "$d/run/$name.pid" ] || continue
    pid=$(cat "$d/run/$name.pid")
    kill "$pid" 2>/dev/null && pids+=("$pid") || true
  done
  # the data is throwaway: a second's grace, then SIGKILL (radosgw takes ~5 s on SIGTERM)
  for ((i = 0; i < 10; i++)); do
    any=0
    for pid in "${pids[@]}"; do alive "$pid" && any=1; done
    [ $any = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$d"
}

# Stop only radosgw (fault tests), leaving DIR for `stop`.
stop_rgw() {
  local d=$1 pid
  [ -f "$d/run/client.rgw.pid" ] || return 0
  pid=$(cat "$d/run/client.rgw.pid")
  kill -9 "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
}

# Start radosgw again on the same port after stop_rgw.
start_rgw() {
  local d=$1 port i
  export CEPH_CONF="$d/ceph.conf"
  port=$(sed -n 's/.*endpoint=127.0.0.1:\([0-9]*\).*/\1/p' "$d/ceph.conf")
  radosgw -n client.rgw >>"$d/log/setup.log" 2>&1
  for ((i = 0; i < 240; i++)); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    sleep 0.25
  done
  return 1
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop "$2" ;;
  stop-rgw) stop_rgw "$2" ;;
  start-rgw) start_rgw "$2" ;;
  *) echo "usage: $0 start [DIR] | stop DIR | stop-rgw DIR | start-rgw DIR" >&2; exit 2 ;;
esac
