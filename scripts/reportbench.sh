#!/usr/bin/env bash
# kycdesk report's budget on whole processes: `report --by desk --since
# 30d` against a large store (default 1M sessions, the store's synthetic
# year of a busy network: 40 desks, 60 operators, a launch every 30 s)
# and, in the same run, the same command against an empty store (the
# baseline: starting the process and opening a store). Wall time and peak
# RSS (/usr/bin/time), three runs each; then the whole year (--since 365d)
# for scale.
# usage: scripts/reportbench.sh [SESSIONS]
# KYCDESK_BENCH_STORE=FILE (with its KYCDESK_STORE_KEY) uses a store made
# before (TestGenerateStore) instead of generating one.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME="$work/state" XDG_CONFIG_HOME="$work/config" HOME="$work"
KYCDESK_STORE_KEY=${KYCDESK_STORE_KEY:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}
export KYCDESK_STORE_KEY
unset KYCDESK_STORE

go build -o "$work/kycdesk" .
KYCDESK_GEN_STORE="$work/empty.db" KYCDESK_GEN_SESSIONS=0 go test -count=1 -run '^TestGenerateStore$' ./session/ >/dev/null
large="$work/large.db"
if [ -n "${KYCDESK_BENCH_STORE:-}" ]; then
  large=$KYCDESK_BENCH_STORE
else
  KYCDESK_GEN_STORE="$large" KYCDESK_GEN_SESSIONS="$n" go test -count=1 -timeout 60m -run '^TestGenerateStore$' -v ./session/ |
    grep -o '[0-9]* sessions written.*'
fi
ls -la "$work/empty.db" "$large"

for range in 30d 365d; do
  echo "== report --by desk --since $range (three runs each)"
  for s in empty large; do
    for _ in 1 2 3; do
      /usr/bin/time -f "$s: %e s, peak RSS %M KB" "$work/kycdesk" report --by desk --since "$range" --store "$([ "$s" = large ] && echo "$large" || echo "$work/empty.db")" >"$work/out.txt"
    done
  done
  sed -n '1,6p' "$work/out.txt"
done
