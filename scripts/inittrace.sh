#!/usr/bin/env bash
# Package initialization per process: the sum of GODEBUG=inittrace=1's
# "ms clock" over every package, for `BIN version`, against a hello world
# built here, interleaved in the same run (the machine's load moves both).
# Usage: bash scripts/inittrace.sh [ROUNDS] BIN [BIN...]
# Prints each binary's median and quartiles of the sum (ms), its bytes
# allocated during init, and the five costliest packages of its median run.
set -euo pipefail
rounds=21
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [ROUNDS] BIN [BIN...]" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/hello"
cat >"$tmp/hello/main.go" <<'GO'
package main

import "fmt"

func main() { fmt.Println("hello") }
GO
(cd "$tmp/hello" && printf 'module hello\n\ngo 1.22\n' >go.mod && go build -o "$tmp/hello.bin" .)
bins=("$tmp/hello.bin" "$@")
for ((r = 0; r < rounds; r++)); do
	for i in "${!bins[@]}"; do
		GODEBUG=inittrace=1 "${bins[$i]}" version 2>"$tmp/trace.$i.$r" >/dev/null || true
		awk '/^init /{s+=$5; b+=$8} END{printf "%.3f %d\n", s, b}' "$tmp/trace.$i.$r" >>"$tmp/sum.$i"
	done
done
for i in "${!bins[@]}"; do
	name=${bins[$i]}; [ "$i" = 0 ] && name="hello world"
	sort -n "$tmp/sum.$i" | awk -v n="$name" '{s[NR]=$1; b[NR]=$2} END{
		printf "%-40s init ms p25/median/p75 %.2f / %.2f / %.2f   init bytes %d\n", n, s[int(NR/4)+1], s[int(NR/2)+1], s[int(3*NR/4)+1], b[int(NR/2)+1]}'
done
