#!/usr/bin/env bash
# `sessions --json` on a store file against `sqlite3 -json` printing the same
# rows of the same file, whole processes, interleaved, ROUNDS rounds: each
# binary's median wall time and peak RSS (/usr/bin/time -v), and its ratio
# to sqlite3's median. The output goes to /dev/null.
# Usage: bash scripts/sessionsjson.sh STORE.db KEY ROUNDS BIN[=STORE2.db] [...]
# (a store from session's TestGenerateStore; cli's BenchmarkSessionsJSON
# builds one in $TMPDIR/kycdesk-bench-sessions). BIN=STORE2.db runs BIN on
# a copy with the same rows: an older build refuses a store a newer one has
# migrated.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 STORE.db KEY ROUNDS BIN [BIN...]" >&2; exit 2; }
db=$1 key=$2 rounds=$3; shift 3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
home=$tmp/home; mkdir -p "$home"
run() { # name, command...
	local name=$1; shift
	/usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	echo "$(cat "$tmp/t")" >>"$tmp/$name"
}
for ((r = 0; r < rounds; r++)); do
	run sqlite3 sqlite3 -json -readonly "$db" \
		"SELECT s.*, d.* FROM sessions s LEFT JOIN session_docs d ON d.num = s.num ORDER BY s.num DESC"
	for i in $(seq $#); do
		bin=${!i} file=$db
		if [[ "$bin" == *=* ]]; then file=${bin#*=} bin=${bin%%=*}; fi
		run "bin$i" env HOME="$home" XDG_CONFIG_HOME="$home" XDG_STATE_HOME="$home" KYCDESK_STORE_KEY="$key" \
			"$bin" sessions --json --store "$file"
	done
done
med() { sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
base=$(cut -d' ' -f1 "$tmp/sqlite3" | med)
printf '%-32s median %6.2f s  peak RSS median %4d MB  (runs: %s)\n' "sqlite3 -json" "$base" \
	"$(( $(cut -d' ' -f2 "$tmp/sqlite3" | med) / 1024 ))" "$(cut -d' ' -f1 "$tmp/sqlite3" | tr '\n' ' ')"
for i in $(seq $#); do
	bin=${!i}
	t=$(cut -d' ' -f1 "$tmp/bin$i" | med)
	printf '%-32s median %6.2f s  peak RSS median %4d MB, max %4d MB  %.2fx sqlite3  (runs: %s)\n' "$bin" "$t" \
		"$(( $(cut -d' ' -f2 "$tmp/bin$i" | med) / 1024 ))" "$(( $(cut -d' ' -f2 "$tmp/bin$i" | sort -n | tail -1) / 1024 ))" \
		"$(echo "$t $base" | awk '{printf "%.2f", $1/$2}')" "$(cut -d' ' -f1 "$tmp/bin$i" | tr '\n' ' ')"
done
