#!/usr/bin/env bash
# bench/netns.sh OUT.txt [RUNS] — the CLI flow with UNMODIFIED clients at the
# real addresses, timed: azmsi, the interop suite's Azure SDK for Go program
# (interop/cmd/sdkflow), the seed's Python program (msrestazure,
# interop/python/run_seed.py) and `az group list`.
#
# They run inside a network namespace of our own whose only interface is lo,
# carrying 169.254.169.254 and 127.0.0.1; management.azure.com resolves to
# 127.0.0.1 there. The azmsi emulator serves IMDS on 169.254.169.254:80 and
# ARM on 127.0.0.1:443 inside it. Nothing can leave the namespace: the script
# refuses to go on if it sees any other interface or route.
#
# Appends `go test -bench`-style lines (BenchmarkCLINetns/groups-list/impl=X)
# to OUT.txt: wall time per run (ns/op) and the largest peak RSS
# (/usr/bin/time's %M). Needs root, iproute2 and /usr/bin/time; rows whose
# client is missing are left out with a message on stderr.
set -uo pipefail
OUT=$1
RUNS=${2:-10}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
say() { printf '[netns] %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || [ ! -x /usr/bin/time ]; then
	say "needs root, iproute2 and /usr/bin/time (apt-get install -y iproute2 time); skipping the namespace rows"
	exit 0
fi

NS=azmsi-bench-$$
WORK=$(mktemp -d /tmp/azmsi-bench-netns.XXXXXX)
EMU_PID=""
cleanup() {
	[ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "/etc/netns/$NS" "$WORK"
}
trap cleanup EXIT

set -e
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 169.254.169.254/32 dev lo
mkdir -p "/etc/netns/$NS"
printf '127.0.0.1\tlocalhost\n127.0.0.1\tmanagement.azure.com\n' >"/etc/netns/$NS/hosts"
: >"/etc/netns/$NS/resolv.conf"
set +e
links=$(ip -n "$NS" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort -u | tr '\n' ' ')
others=$( (ip -n "$NS" -4 route show table all; ip -n "$NS" -6 route show table all) | grep -v ' dev lo\b')
if [ "$links" != "lo " ] || [ -n "$others" ]; then
	say "SAFETY: namespace has interfaces '$links' or routes off lo; aborting"
	exit 1
fi

BIN=$WORK/bin
mkdir -p "$BIN"
go build -C "$ROOT" -o "$BIN/" ./cmd/azmsi || exit 1
HAVE_SDKFLOW=0
if go build -C "$ROOT/interop" -o "$BIN/" ./cmd/sdkflow 2>"$WORK/sdkflow-build.log"; then
	HAVE_SDKFLOW=1
else
	say "interop/cmd/sdkflow does not build; no SDK row"
fi

ip netns exec "$NS" "$BIN/azmsi" emulator --allow-non-loopback --imds-addr 169.254.169.254:80 \
	--arm-addr 127.0.0.1:443 --tls-hostname management.azure.com --state "$WORK/state" \
	--env-file "$WORK/emu.env" -q >"$WORK/emu.out" 2>"$WORK/emu.log" &
EMU_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/emu.env" ] && break; sleep 0.1; done
CA=$(sed -n 's/^SSL_CERT_FILE=//p' "$WORK/emu.env")
if [ -z "$CA" ]; then
	say "emulator did not start:"
	cat "$WORK/emu.log" >&2
	exit 1
fi

# in_ns CMD...: a clean environment, only the CA added; no endpoint override.
in_ns() {
	ip netns exec "$NS" env -i PATH=/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8 \
		SSL_CERT_FILE="$CA" REQUESTS_CA_BUNDLE="$CA" AZURE_CONFIG_DIR="$WORK/azure" \
		AZURE_CORE_COLLECT_TELEMETRY=false AZURE_CORE_SURVEY_MESSAGE=false AZURE_CORE_ONLY_SHOW_ERRORS=true \
		timeout 120 "$@"
}
mkdir -p "$WORK/home"

# measure IMPL CMD...: RUNS timed runs, each must exit 0 and print rg-web.
measure() {
	local impl=$1 total=0 rss=0 t0 t1 m i
	shift
	for i in $(seq 1 "$RUNS"); do
		t0=$(date +%s%N)
		if ! in_ns /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >"$WORK/out" 2>"$WORK/err"; then
			say "$impl failed:"
			tail -5 "$WORK/err" >&2
			return
		fi
		t1=$(date +%s%N)
		if ! grep -q rg-web "$WORK/out"; then
			say "$impl printed no rg-web:"
			head -5 "$WORK/out" >&2
			return
		fi
		total=$((total + t1 - t0))
		m=$(tail -n 1 "$WORK/rss")
		[ "$m" -gt "$rss" ] && rss=$m
	done
	printf 'BenchmarkCLINetns/groups-list/impl=%s-%d\t%d\t%d ns/op\t%s peak-RSS-MB\n' "$impl" "$(nproc)" "$RUNS" \
		$((total / RUNS)) "$(awk -v k="$rss" 'BEGIN{printf "%.2f", k/1024}')" | tee -a "$OUT" >&2
}

measure azmsi "$BIN/azmsi" groups list
[ "$HAVE_SDKFLOW" = 1 ] && measure sdk "$BIN/sdkflow"
if /usr/bin/python3 -c 'import msrestazure, azure.mgmt.resource' 2>/dev/null; then
	measure python-seed /usr/bin/python3 "$ROOT/interop/python/run_seed.py" system
else
	say "python3-msrestazure missing; no Python seed row"
fi
if [ -x /usr/bin/az ]; then
	if in_ns /usr/bin/az login --identity -o none >"$WORK/az-login.out" 2>&1; then
		measure az /usr/bin/az group list --query '[].name' -o tsv
	else
		say "az login --identity failed:"
		tail -5 "$WORK/az-login.out" >&2
	fi
else
	say "az is not installed; no az row"
fi
