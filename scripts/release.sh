#!/usr/bin/env bash
# Release builds: static binaries (CGO off, -trimpath) for each target,
# the version and commit stamped into `kycdesk version`, and SHA256SUMS.
#   scripts/release.sh                     every target into dist/
#   VERSION=1.2.0 scripts/release.sh       a given version (default: git describe)
#   RELEASE_TARGETS="linux/amd64" scripts/release.sh
# The binary for this machine's platform, when built, is run to check the
# stamp.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=auto
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)}
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then commit="$commit-dirty"; fi
targets=${RELEASE_TARGETS:-"linux/amd64 linux/arm64 darwin/arm64 windows/amd64"}
out=${DIST:-dist}
mkdir -p "$out"
rm -f "$out"/kycdesk-* "$out/SHA256SUMS"
ldflags="-s -w -X github.com/kycdesk/kycdesk/cli.Version=$version -X github.com/kycdesk/kycdesk/cli.Commit=$commit"
for t in $targets; do
  os=${t%/*}; arch=${t#*/}
  name="kycdesk-$version-$os-$arch"
  [ "$os" = windows ] && name="$name.exe"
  echo "building $name"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$out/$name" .
done
(cd "$out" && sha256sum kycdesk-* > SHA256SUMS)
here="$(go env GOOS)/$(go env GOARCH)"
for t in $targets; do
  [ "$t" = "$here" ] || continue
  bin="$out/kycdesk-$version-${t%/*}-${t#*/}"
  got=$("$bin" version)
  case "$got" in
    "kycdesk $version (commit $commit,"*) echo "stamp ok: $got" ;;
    *) echo "the stamp is wrong: $got (want version $version, commit $commit)"; exit 1 ;;
  esac
  if command -v ldd >/dev/null 2>&1 && ldd "$bin" 2>&1 | grep -q "=>"; then
    echo "$bin is not static:"; ldd "$bin"; exit 1
  fi
done
echo "SHA256SUMS:"; cat "$out/SHA256SUMS"
