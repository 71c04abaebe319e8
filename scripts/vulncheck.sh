#!/usr/bin/env bash
# govulncheck with no internet: the vulnerability database comes from the
# golang.org/x/vulndb module (served by the Go module proxy), indexed into
# the v1 layout that `govulncheck -db file://` reads.
set -euo pipefail
cd "$(dirname "$0")/.."
VULNDB=golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018
GOVULNCHECK=golang.org/x/vuln/cmd/govulncheck@v1.9.0
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
go mod download "$VULNDB"
src="$(go env GOMODCACHE)/$VULNDB"
go run "golang.org/x/vulndb/cmd/indexdb@${VULNDB#*@}" -vulns "$src/data/osv" -out "$db/db" >/dev/null
go run "$GOVULNCHECK" -db "file://$db/db" ./...
