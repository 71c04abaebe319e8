#!/usr/bin/env bash
# The session store's budgets on whole processes, an empty store against a
# large one (default 1M sessions, the store's synthetic year of a busy
# desk) in the same run:
#   - the console's first frame (scripts/firstframe.py, through a pty;
#     printed as "bare" = the empty store, "kycdesk" = the large one): the
#     store's figure is "filled" (home with the store read); the first
#     frame itself is drawn before the store is read (ui.Preview);
#   - `kycdesk sessions --json`: wall time and peak RSS (/usr/bin/time),
#     three runs each.
# usage: scripts/storebench.sh [SESSIONS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
runs=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME="$work/state" XDG_CONFIG_HOME="$work/config" HOME="$work"
KYCDESK_STORE_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export KYCDESK_STORE_KEY
# Nothing answers here: both consoles start the same in-process sandbox.
export KYCDESK_SANDBOX_URL="http://127.0.0.1:1"
unset KYCDESK_STORE

go build -o "$work/kycdesk" .
KYCDESK_GEN_STORE="$work/empty.db" KYCDESK_GEN_SESSIONS=0 go test -count=1 -run '^TestGenerateStore$' ./session/ >/dev/null
KYCDESK_GEN_STORE="$work/large.db" KYCDESK_GEN_SESSIONS="$n" go test -count=1 -timeout 60m -run '^TestGenerateStore$' -v ./session/ |
  grep -o '[0-9]* sessions written.*'
ls -la "$work"/*.db

for s in empty large; do
  printf '#!/bin/sh\nexec %s --store %s\n' "$work/kycdesk" "$work/$s.db" >"$work/console-$s"
  chmod +x "$work/console-$s"
done
echo "== first frame (bare = the empty store, kycdesk = $n sessions)"
python3 scripts/firstframe.py "$work/console-large" "$work/console-empty" "$runs"

echo "== sessions --json (three runs each)"
for s in empty large; do
  for _ in 1 2 3; do
    /usr/bin/time -f "$s: %e s, peak RSS %M KB" "$work/kycdesk" sessions --json --store "$work/$s.db" >"$work/out.json"
  done
  echo "   $(grep -c '"session":' "$work/out.json") sessions printed"
done
