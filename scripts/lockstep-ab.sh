#!/usr/bin/env bash
# Lockstep bursts of 50 desks, builds against each other in the same run
# (issue 18's "50 desks in lockstep: p99 ≤ 150 ms on both stores").
#
#   scripts/lockstep-ab.sh ROUNDS sqlite|pg DESKLOAD BIN...
#
# Each round runs every BIN once, interleaved (the order reversed every
# other round), through tools/deskload:
#   deskload --kycdesk BIN --desks 50 --lockstep --period 3s --duration 21s --json
# and prints one line per run: round, build, load average at its start,
# launch-to-QR p50 and p99 (ms), launches, the server's CPU per launch and
# the load tool's (ms). pg: a fresh database per run in the cluster of
# $KYCDESK_TEST_POSTGRES (`. ENVFILE` after `bash scripts/postgres.sh start
# ENVFILE`, which keeps fsync on). Servers get one fixed KYCDESK_STORE_KEY.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 ROUNDS sqlite|pg DESKLOAD BIN..." >&2; exit 2; }
rounds=$1 store=$2 deskload=$3; shift 3
bins=("$@")
case $store in
  sqlite) ;;
  pg) [ -n "${KYCDESK_TEST_POSTGRES:-}" ] || { echo "pg: KYCDESK_TEST_POSTGRES is not set (. the ENVFILE of scripts/postgres.sh start)" >&2; exit 2; } ;;
  *) echo "store: sqlite or pg" >&2; exit 2 ;;
esac
export KYCDESK_STORE_KEY=${KYCDESK_STORE_KEY:-6b796364657368207465737420666f6f7465727072696e74206b657920303031}
for r in $(seq 1 "$rounds"); do
  order=("${bins[@]}")
  if [ $((r % 2)) = 0 ]; then
    order=()
    for ((i = ${#bins[@]} - 1; i >= 0; i--)); do order+=("${bins[$i]}"); done
  fi
  for b in "${order[@]}"; do
    args=()
    if [ "$store" = pg ]; then
      db=lockstep_$(date +%s%N)
      psql "$KYCDESK_TEST_POSTGRES" -qAt -c "CREATE DATABASE $db" >/dev/null
      args=(--store "$(printf '%s' "$KYCDESK_TEST_POSTGRES" | sed -E "s#/[^/?]+(\?|$)#/$db\1#")")
    fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    out=$("$deskload" --kycdesk "$b" --desks 50 --lockstep --period 3s --duration 21s --json "${args[@]}")
    python3 -c '
import json, sys
r, b, load = sys.argv[1:4]
d = json.loads(sys.stdin.read())
l = d["launch_to_qr"]
print(r, b, "load", load, "p50 %.1f p99 %.1f n %d cpu/launch %.1f load-tool/launch %.1f errors %d" % (
    l["p50_ms"], l["p99_ms"], l["n"], d["cpu_ms_per_launch"], d["load_cpu_ms_per_launch"], d["errors"]))
' "$r" "$b" "$load" <<<"$out"
  done
done
