#!/usr/bin/env bash
# Checks deploy/kycdesk-serve.service with `systemd-analyze verify` (and
# prints its exposure score). The unit names /usr/local/bin/kycdesk, which
# verify wants to exist: a copy naming a freshly built binary is checked.
# Without systemd-analyze the check is skipped with a message, except in CI
# (CI=true), where it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=auto
if ! command -v systemd-analyze >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then echo "systemd-analyze missing: install Debian's systemd package"; exit 1; fi
  echo "systemd-analyze not installed: the unit check is skipped (apt-get install systemd)"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/kycdesk" .
sed "s#/usr/local/bin/kycdesk#$work/kycdesk#g" deploy/kycdesk-serve.service > "$work/kycdesk-serve.service"
if ! out=$(cd "$work" && systemd-analyze verify ./kycdesk-serve.service 2>&1); then
  echo "$out"; echo "systemd-analyze verify failed"; exit 1
fi
if [ -n "$out" ]; then echo "$out"; echo "systemd-analyze verify warned"; exit 1; fi
echo "systemd-analyze verify: deploy/kycdesk-serve.service ok"
(cd "$work" && systemd-analyze security --offline=true ./kycdesk-serve.service 2>/dev/null | tail -1) || true
