#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the session store's conformance suite.
#
#   scripts/postgres.sh start ENVFILE   install PostgreSQL if missing, start a cluster
#                                       on a free port of 127.0.0.1, write
#                                       "export KYCDESK_TEST_POSTGRES=postgres://…" (and
#                                       what stop needs) to ENVFILE, print the URL
#   scripts/postgres.sh stop ENVFILE    stop that cluster and delete its directory
#
# The cluster runs as an unprivileged user (postgres refuses root): the
# caller itself when not root, else $KYCDESK_PG_USER (default: nobody). Its
# data, socket and log live in one temporary directory; nothing else on the
# machine is touched.
#
# The cluster is durable as a production one is (fsync on): figures measured
# against it are durable-commit figures. KYCDESK_PG_FAST=1 turns fsync off,
# for test runs only, never for figures.
set -euo pipefail

usage() { echo "usage: $0 start|stop ENVFILE" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1 envfile=$2

# pgbin is the bin directory of the newest installed PostgreSQL.
pgbin() {
  local d best=
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
    if [ -x "$d/initdb" ]; then best=$d; fi
  done
  if [ -n "$best" ]; then echo "$best"; else return 1; fi
}

# as runs a command as the cluster's user.
as() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$pguser" -- "$@"
  else
    "$@"
  fi
}

start() {
  local bin
  if ! bin=$(pgbin); then
    if [ "$(id -u)" != 0 ]; then echo "PostgreSQL is not installed and this user cannot install it (not root)" >&2; exit 1; fi
    echo "installing PostgreSQL (Debian's postgresql package)" >&2
    (apt-get update -qq || true)
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(pgbin) || { echo "postgresql installed but no /usr/lib/postgresql/*/bin/initdb" >&2; exit 1; }
  fi
  pguser=$(id -un)
  if [ "$(id -u)" = 0 ]; then pguser=${KYCDESK_PG_USER:-nobody}; fi

  local dir password port ok= fsync=on
  if [ "${KYCDESK_PG_FAST:-}" = 1 ]; then fsync=off; fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/kycdesk-pg.XXXXXX")
  chmod 700 "$dir"
  [ "$(id -u)" = 0 ] && chown "$pguser" "$dir"
  password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" = 0 ] && chown "$pguser" "$dir/pwfile"
  as "$bin/initdb" -D "$dir/data" -U kycdesk --pwfile="$dir/pwfile" -A scram-sha-256 \
    -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/pwfile"

  # A free port: try random ones until the server binds (another process
  # may take a port between a check and the bind, so the bind is the check).
  for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    if as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=$fsync" start >/dev/null 2>&1; then
      ok=1; break
    fi
    grep -q "could not bind\|Address already in use" "$dir/server.log" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  done
  [ -n "$ok" ] || { echo "no free port for PostgreSQL after 20 tries" >&2; cat "$dir/server.log" >&2; exit 1; }

  PGPASSWORD=$password as "$bin/psql" -h 127.0.0.1 -p "$port" -U kycdesk -d postgres -qAt \
    -c "CREATE DATABASE kycdesk" >/dev/null

  local url="postgres://kycdesk:$password@127.0.0.1:$port/kycdesk?sslmode=disable"
  umask 077
  cat >"$envfile" <<EOF
export KYCDESK_TEST_POSTGRES='$url'
export KYCDESK_TEST_POSTGRES_DIR='$dir'
export KYCDESK_TEST_POSTGRES_BIN='$bin'
export KYCDESK_TEST_POSTGRES_USER='$pguser'
EOF
  echo "KYCDESK_TEST_POSTGRES=$url"
}

stop() {
  [ -f "$envfile" ] || { echo "$envfile: no such file" >&2; exit 1; }
  # shellcheck disable=SC1090
  . "$envfile"
  pguser=$KYCDESK_TEST_POSTGRES_USER
  local dir=$KYCDESK_TEST_POSTGRES_DIR
  case "$dir" in */kycdesk-pg.*) ;; *) echo "$envfile does not name a cluster of this script" >&2; exit 1 ;; esac
  as "$KYCDESK_TEST_POSTGRES_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir" "$envfile"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
