#!/usr/bin/env bash
# bench/ci.sh — keeps the benchmark module compiling and every benchmark
# running (once each: -benchtime=1x; no timing is asserted), plus the
# module's unit tests (the loopback safety net, the table generator).
# Called by .ci/run. Takes well under 2 minutes on a warm build cache.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
go vet ./...
go test -count=1 -bench=. -benchtime=1x ./...
