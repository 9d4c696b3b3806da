#!/usr/bin/env bash
# Run every fuzz target of the main module for a while each.
#   scripts/fuzz.sh [TIME] [PACKAGE...]     e.g. scripts/fuzz.sh 30s ./emulator/
# TIME is a go test -fuzztime value (default 30s). Targets are discovered
# with `go test -list '^Fuzz'`. A crash leaves its input under
# PACKAGE/testdata/fuzz/TARGET/: fix the bug and commit that file as a seed
# (CI runs every seed as a unit test).
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-30s}"
shift || true
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
	mapfile -t pkgs < <(go list ./...)
fi
failed=0
total=0
for pkg in "${pkgs[@]}"; do
	targets="$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)"
	for target in $targets; do
		total=$((total + 1))
		echo "== $pkg $target ($fuzztime)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
			failed=$((failed + 1))
			echo "!! $pkg $target failed; the input is in $(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$target/" >&2
		fi
	done
done
echo "$total fuzz targets, $failed failed"
[ "$failed" -eq 0 ]
