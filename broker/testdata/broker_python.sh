#!/usr/bin/env bash
# broker_python.sh — interop scenario: an unmodified Azure SDK (Python
# azure-identity's ManagedIdentityCredential, via
# AZURE_POD_IDENTITY_AUTHORITY_HOST) gets tokens through `azmsi broker`
# running in front of `azmsi emulator`. Everything listens on 127.0.0.1.
#
# usage: broker_python.sh [path/to/azmsi]   (default: go build ./cmd/azmsi)
# Exit 0 on success, 1 on failure, 77 when python3 azure.identity is absent
# (it says so).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
SYSTEM_CID=11111111-1111-1111-1111-111111111111
UAMI_CID=22222222-2222-2222-2222-222222222222
WORK=$(mktemp -d /tmp/azmsi-broker-py.XXXXXX)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "broker_python: FAIL: $*" >&2; for f in "$WORK"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }

if ! "$PY" -c "import azure.identity" 2>/dev/null; then
	echo "broker_python: SKIP: $PY cannot import azure.identity (apt-get install python3-azure)" >&2
	exit 77
fi

AZMSI=${1:-}
if [ -z "$AZMSI" ]; then
	AZMSI=$WORK/azmsi
	(cd "$ROOT" && go build -o "$AZMSI" ./cmd/azmsi) || fail "go build"
fi

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
	for _ in $(seq 100); do "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

EMU_PORT=$(free_port)
"$AZMSI" emulator --imds-addr "127.0.0.1:$EMU_PORT" --arm-addr - -q >"$WORK/emulator.out" 2>"$WORK/emulator.log" &
PIDS+=($!)
wait_port "$EMU_PORT" || fail "the emulator did not start"

BROKER_PORT=$(free_port)
"$AZMSI" broker --listen "127.0.0.1:$BROKER_PORT" --endpoint "http://127.0.0.1:$EMU_PORT" >"$WORK/broker.out" 2>"$WORK/broker.log" &
PIDS+=($!)
wait_port "$BROKER_PORT" || fail "the broker did not start"

export AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:$BROKER_PORT NO_PROXY='*' no_proxy='*'
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy IDENTITY_ENDPOINT IDENTITY_HEADER MSI_ENDPOINT MSI_SECRET IMDS_ENDPOINT
for run in 1 2 3; do
	for who in system "$UAMI_CID"; do
		out=$("$PY" "$HERE/python_client.py" "$who" https://management.azure.com/.default https://vault.azure.net/.default 2>"$WORK/python.log") || fail "python run $run ($who)"
		want=$SYSTEM_CID; [ "$who" = system ] || want=$who
		[ "$(grep -c "^appid=$want " <<<"$out")" = 2 ] || fail "run $run ($who): $out"
	done
done

stats=$("$AZMSI" broker stats --listen "127.0.0.1:$BROKER_PORT" --query '[upstreamRequests, clientsServed, cacheHits]' -o json | tr -d ' \n')
[ "$stats" = "[4,12,8]" ] || fail "broker stats [upstreamRequests, clientsServed, cacheHits] = $stats, want [4,12,8]"
echo "broker_python: PASS: 6 azure-identity processes, 12 tokens, 4 upstream requests"
