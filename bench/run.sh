#!/usr/bin/env bash
# bench/run.sh — reproduces BENCHMARKS.md: runs every benchmark of this
# module (azmsi vs the Azure SDK for Go on the same in-process emulator),
# compares them with benchstat and writes ../BENCHMARKS.md.
#
# Knobs (environment):
#   BENCH_COUNT=6           samples per benchmark (-count)
#   BENCH_NO_INSTALL=1      do not apt-get install the Python row's packages
#   BENCH_OUT=DIR           keep raw results here (default bench/results)
#
# Takes about 10 minutes on 2 cores, most of it in the SDK's off-Azure
# retries (measured once, in full) and the listing benchmarks.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COUNT=${BENCH_COUNT:-6}
OUT=${BENCH_OUT:-$HERE/results}
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da # golang.org/x/perf
mkdir -p "$OUT"
RAW=$OUT/raw.txt
CMDS=$OUT/commands.txt
: >"$RAW"
: >"$CMDS"
cd "$HERE"

say() { printf '[bench] %s\n' "$*" >&2; }

# The Python row needs Debian's python3-azure (azure-identity,
# azure-mgmt-resource); the benchmark skips the row without it.
if ! /usr/bin/python3 -c 'import azure.identity, azure.mgmt.resource' 2>/dev/null; then
	if [ "${BENCH_NO_INSTALL:-}" != 1 ] && [ "$(id -u)" = 0 ]; then
		say "installing python3-azure for the Python row"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-azure >/dev/null ||
			say "could not install python3-azure; the Python row will be skipped"
	else
		say "python3-azure missing; the Python row will be skipped"
	fi
fi

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# bench ARGS...: one go test invocation, recorded in commands.txt.
bench() {
	local cmd=(go test -timeout 30m -run '^$' "$@" .)
	printf '%q ' "${cmd[@]}" | sed 's/ $//' >>"$CMDS"
	echo >>"$CMDS"
	say "${cmd[*]}"
	"${cmd[@]}" | tee -a "$RAW" | grep -E '^(Benchmark|--- |FAIL|ok)' >&2
}

echo "cd bench" >>"$CMDS"
bench -bench '^Benchmark(CachedToken|ColdBurst|ListGroups)$' -count "$COUNT"
bench -bench '^BenchmarkRefresh$' -benchtime 3x -count "$COUNT"
bench -bench '^BenchmarkOffAzure$/impl=azmsi' -benchtime 20x -count "$COUNT"
# azidentity retries a refused IMDS connection for about 1.5 minutes: once.
bench -bench '^BenchmarkOffAzure$/impl=sdk' -benchtime 1x -count 1 -sdk-offazure-deadline 5m
bench -bench '^BenchmarkCLI$' -benchtime 10x -count "$COUNT"
# 1,000 processes per iteration (a fresh broker each): 3 samples suffice.
bench -bench '^BenchmarkCLIBroker$' -benchtime 1x -count 3
bench -bench '^Benchmark(Emulator|EmulatorMemory|EmulatorRBAC|EmulatorSecretGets|GenericResources|EmulatorStart)$' -benchtime 2s -count "$COUNT"

# Unmodified clients at the real addresses, inside a network namespace of
# our own (needs root): azmsi, interop's SDK program, the Python seed, az.
echo "./netns.sh results/raw.txt 10   # needs root" >>"$CMDS"
"$HERE/netns.sh" "$RAW" 10 || say "netns rows failed"

say "benchstat"
STAT=$OUT/benchstat.txt
echo "go run golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION -col /impl results/raw.txt" >>"$CMDS"
go run "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION" -col /impl "$RAW" >"$STAT" 2>&1 || say "benchstat failed (see $STAT)"

echo "go run ./cmd/benchtable -raw results/raw.txt -benchstat results/benchstat.txt ... > ../BENCHMARKS.md" >>"$CMDS"
SDK=$(go list -m -f '{{.Path}} {{.Version}}' github.com/Azure/azure-sdk-for-go/sdk/azidentity \
	github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions \
	github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources \
	github.com/AzureAD/microsoft-authentication-library-for-go | sed 's|.*/||' | paste -sd, - | sed 's/,/, /g')
go run ./cmd/benchtable -sdk "$SDK" -raw "$RAW" -benchstat "$STAT" -commands "$CMDS" -notes "$HERE/NOTES.md" -load "$LOAD" >"$ROOT/BENCHMARKS.md"
say "wrote $ROOT/BENCHMARKS.md"
