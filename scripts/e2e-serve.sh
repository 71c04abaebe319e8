#!/usr/bin/env bash
# End-to-end for `kycdesk serve`: start the built binary (sandbox mode) with
# an operators file, connect with the real OpenSSH client in tmux as desk-12,
# resize the window, launch iDenfy with keys, decode the QR from the
# captured pane with the project's decoder, approve as the customer, then
# SIGTERM the server and check it exits 0; start it again and find desk-12
# back on the same QR; end a removed operator's open desk with SIGHUP.
# Needs tmux, ssh (openssh-client), ssh-keygen and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
sock="$work/tmux.sock"
export XDG_STATE_HOME="$work/state" XDG_CONFIG_HOME="$work/config"
unset IDENFY_API_KEY IDENFY_API_SECRET ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET DWS_CLIENT_ID DWS_PRIVATE_KEY_FILE DWS_PUBLIC_KEY_FILE NO_COLOR
serve_pid=""
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "e2e-serve FAIL: $*" >&2
  echo "--- screen ---" >&2
  tmux -S "$sock" capture-pane -p -t desk >&2 || true
  echo "--- serve log (tail) ---" >&2
  tail -20 "$work/serve.err" >&2 || true
  exit 1
}
target=desk   # the tmux session screen, keys and wait_for look at
screen() { tmux -S "$sock" capture-pane -p -t "$target"; }
keys() { tmux -S "$sock" send-keys -t "$target" "$@"; sleep 0.25; }
typed() { tmux -S "$sock" send-keys -t "$target" -l "$1"; sleep 0.25; }
wait_for() {
  local deadline=$(( $(date +%s) + ${2:-15} ))
  until screen | grep -qE -- "$1"; do
    [ "$(date +%s)" -ge "$deadline" ] && fail "waited for /$1/"
    sleep 0.2
  done
}
enter_until() {
  for _ in $(seq 20); do
    screen | grep -qE -- "$1" && return 0
    keys Enter
  done
  screen | grep -qE -- "$1" || fail "enter never reached /$1/"
}

echo "== build"
go build -o "$work/kycdesk" .

echo "== operators file and server"
mkdir -p "$XDG_CONFIG_HOME/kycdesk"
ssh-keygen -q -t ed25519 -N "" -C alice -f "$work/alice"
ssh-keygen -q -t ed25519 -N "" -C mallory -f "$work/mallory"
cp "$work/alice.pub" "$XDG_CONFIG_HOME/kycdesk/operators"
start_serve() {
  "$work/kycdesk" serve --ssh-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
  serve_pid=$!
  for _ in $(seq 100); do grep -q "^ready" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  grep -q "^ready" "$work/serve.out" || fail "serve did not become ready"
  ssh_port=$(sed -n 's/^ssh listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/serve.out")
  http_addr=$(sed -n 's/^http listening on //p' "$work/serve.out")
  [ -n "$ssh_port" ] && [ -n "$http_addr" ] || fail "no listener lines: $(cat "$work/serve.out")"
  sshopts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -p "$ssh_port")
}
start_serve
grep -q "desks connect with: ssh -p $ssh_port DESK@127.0.0.1" "$work/serve.out" || fail "serve does not say what a desk runs"
grep -q "warning: SSH listens on loopback only" "$work/serve.err" || fail "no loopback warning"
grep -q "iDenfy dashboard webhook URL http://$http_addr/callbacks/idenfy" "$work/serve.out" || fail "no webhook URL line"
grep -q '"status":"ok"' <<<"$(curl -fsS "http://$http_addr/healthz")" || fail "/healthz is not ok"

echo "== an unlisted key is refused"
if ssh "${sshopts[@]}" -i "$work/mallory" -tt desk-9@127.0.0.1 true </dev/null >/dev/null 2>&1; then fail "mallory got in"; fi
grep -q "ssh key refused" "$work/serve.err" || fail "the refusal was not logged"
grep -q '^kycdesk_ssh_auth_refused_total 1' <<<"$(curl -fsS "http://$http_addr/metrics")" || fail "the refusal was not counted"

echo "== ssh desk-12@ at 80x24, then resized to 110x36"
tmux -S "$sock" new-session -d -s desk -x 80 -y 24 "ssh ${sshopts[*]} -i $work/alice -tt desk-12@127.0.0.1; sleep 5"
wait_for "Start a verification session"
screen | grep -q "alice@desk-12" || fail "the banner does not name the operator and desk"
tmux -S "$sock" resize-window -t desk -x 110 -y 36
sleep 0.5
wait_for "Start a verification session"

echo "== iDenfy: keys to the QR"
keys 7   # iDenfy's explorer key
wait_for "iDenfy — essentials"
typed "e2e-serve-1"
keys Enter
typed "John"
enter_until "Review: the exact request"
keys Enter
wait_for "scanRef"
want=$("$work/kycdesk" sessions --json | python3 -c "import json,sys; s=json.load(sys.stdin)['sessions'][0]; assert s['operator']=='alice' and s['desk']=='desk-12', s; print(s['url'])") \
  || fail "sessions --json does not name alice at desk-12"
got=$(screen | go run ./tools/qrscan) || fail "no decodable QR on the screen"
[ "$got" = "$want" ] || fail "QR decodes to $got, session URL is $want"
echo "ok: the QR on the served desk decodes to $got"

echo "== the customer approves; the desk shows it with no key pressed"
token=$(python3 -c "import sys,urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)['authToken'][0])" "$want")
curl -fsS -o /dev/null -d "authToken=$token" "http://$http_addr/api/v2/redirect/approve" || fail "approve"
wait_for "APPROVED" 10
grep -q 'kycdesk_callbacks_accepted_total{provider="idenfy"} 1' <<<"$(curl -fsS "http://$http_addr/metrics")" || fail "the webhook was not counted"

stop_serve() {
  kill -TERM "$serve_pid"
  rc=0
  wait "$serve_pid" || rc=$?
  serve_pid=""
  [ "$rc" = 0 ] || fail "serve exited $rc after SIGTERM"
  grep -q "stopped" "$work/serve.err" || fail "no 'stopped' in the log"
}

echo "== SIGTERM: the desk is told, the server exits 0"
stop_serve
echo "ok: serve stopped with exit 0"

echo "== restart: desk-12 connects again and is back on its session"
tmux -S "$sock" kill-session -t desk 2>/dev/null || true
start_serve
tmux -S "$sock" new-session -d -s desk -x 110 -y 36 "ssh ${sshopts[*]} -i $work/alice -tt desk-12@127.0.0.1; sleep 5"
wait_for "URL http"
# Approved, so no QR any more (the link is used): the same URL and status.
screen | grep -qF "URL $want" || fail "after the restart the desk does not show the session's URL $want"
screen | grep -q "APPROVED" || fail "the resumed session does not show its status"
echo "ok: the reconnected desk is back on its session (same URL, APPROVED)"

echo "== revocation: bob's open desk ends when his key is removed"
ssh-keygen -q -t ed25519 -N "" -C bob -f "$work/bob"
cat "$work/alice.pub" "$work/bob.pub" > "$XDG_CONFIG_HOME/kycdesk/operators.new"
mv "$XDG_CONFIG_HOME/kycdesk/operators.new" "$XDG_CONFIG_HOME/kycdesk/operators"
kill -HUP "$serve_pid"
for _ in $(seq 50); do grep -q "operators reloaded.*keys=2" "$work/serve.err" && break; sleep 0.1; done
grep -q "operators reloaded.*keys=2" "$work/serve.err" || fail "bob was not added"
tmux -S "$sock" new-session -d -s bob -x 100 -y 30 "ssh ${sshopts[*]} -i $work/bob -tt desk-13@127.0.0.1; sleep 30"
target=bob
wait_for "bob@desk-13"
cp "$work/alice.pub" "$XDG_CONFIG_HOME/kycdesk/operators.new"
mv "$XDG_CONFIG_HOME/kycdesk/operators.new" "$XDG_CONFIG_HOME/kycdesk/operators"
kill -HUP "$serve_pid"
wait_for "your operator key was removed" 10
grep -q "ending their session.*operator=bob" "$work/serve.err" || fail "the revocation was not logged"
target=desk
screen | grep -q "alice@desk-12" || fail "alice's desk did not stay"
echo "ok: bob's session ended at once, alice's stayed"

stop_serve

echo "== the record: served desks' actions, a revocation, and the chain is intact"
out=$("$work/kycdesk" audit verify) || fail "audit verify: $out"
echo "$out" | grep -qE "^ok: [0-9]+ events, [0-9]+ sessions, chain intact" || fail "audit verify said: $out"
echo "$out" | head -1
echo "e2e-serve: all ok"
