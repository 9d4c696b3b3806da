#!/usr/bin/env bash
# emulator/container/build.sh — build the emulator's container image with
# podman (or docker), then check it without running a container (these
# machines build images but cannot run them): the image's /azmsi is
# extracted from `podman save`'s archive and run on the host, where it must
# serve a token at the fixed App Service address of config.json.
#
#   emulator/container/build.sh [IMAGE]       default IMAGE: localhost/azmsi-emulator:dev
#   BUILD_ONLY=1 emulator/container/build.sh  build, skip the check
#   AZMSI_BIN=/path/azmsi                     use this static binary instead of building one
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
IMAGE=${1:-localhost/azmsi-emulator:dev}
ENGINE=${ENGINE:-$(command -v podman || command -v docker || true)}
[ -n "$ENGINE" ] || { echo "build.sh: neither podman nor docker is installed (apt-get install podman)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/azmsi-image.XXXXXX)
EMU_PID=
cleanup() {
	if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/ctx/empty"
if [ -n "${AZMSI_BIN:-}" ]; then
	cp "$AZMSI_BIN" "$WORK/ctx/azmsi"
else
	(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -o "$WORK/ctx/azmsi" ./cmd/azmsi)
fi
cp "$HERE/Containerfile" "$HERE/config.json" "$WORK/ctx/"
"$ENGINE" build --quiet -f "$WORK/ctx/Containerfile" -t "$IMAGE" "$WORK/ctx" >/dev/null
echo "built $IMAGE"
[ -z "${BUILD_ONLY:-}" ] || exit 0

# Extract /azmsi from the image's layers (docker-archive: manifest.json
# lists the layer tarballs).
"$ENGINE" save --quiet --format docker-archive -o "$WORK/image.tar" "$IMAGE" >/dev/null 2>&1
mkdir -p "$WORK/image" "$WORK/root"
tar -xf "$WORK/image.tar" -C "$WORK/image"
# manifest.json: [{"Config":…,"RepoTags":[…],"Layers":["<digest>.tar",…]}]
layers=$(grep -o '"Layers":\[[^]]*\]' "$WORK/image/manifest.json" | sed 's/^"Layers":\[//; s/\]$//' | tr ',' '\n' | tr -d '"')
[ -n "$layers" ] || { echo "build.sh: no layers in the image archive" >&2; exit 1; }
for layer in $layers; do
	tar -xf "$WORK/image/$layer" -C "$WORK/root" 2>/dev/null || true
done
[ -x "$WORK/root/azmsi" ] || { echo "build.sh: the image has no executable /azmsi" >&2; exit 1; }
cmp -s "$WORK/root/azmsi" "$WORK/ctx/azmsi" || { echo "build.sh: the image's /azmsi is not the binary just built" >&2; exit 1; }
cmp -s "$WORK/root/etc/azmsi/config.json" "$HERE/config.json" || { echo "build.sh: the image's config.json differs" >&2; exit 1; }

# Run the extracted binary on loopback with the image's config and check the
# fixed App Service endpoint answers with the fixed secret.
"$WORK/root/azmsi" emulator --config "$WORK/root/etc/azmsi/config.json" --imds-addr 127.0.0.1:0 --arm-addr - \
	--host appservice --env-file "$WORK/emulator.env" --quiet >"$WORK/emulator.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 100); do [ -s "$WORK/emulator.env" ] && break; sleep 0.1; done
[ -s "$WORK/emulator.env" ] || { cat "$WORK/emulator.log" >&2; echo "build.sh: the extracted emulator did not start" >&2; exit 1; }
grep -qx 'IDENTITY_ENDPOINT=http://127.0.0.1:41056/msi/token' "$WORK/emulator.env" || { echo "build.sh: App Service is not at its fixed address" >&2; exit 1; }
grep -qx 'IDENTITY_HEADER=emulator-appservice-secret-0001' "$WORK/emulator.env" || { echo "build.sh: App Service does not have its fixed secret" >&2; exit 1; }
# AZURE_POD_IDENTITY_AUTHORITY_HOST: should detection ever fall through to
# IMDS, it reaches a closed loopback port, never 169.254.169.254.
tok=$(env -i PATH="$PATH" AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:1 $(grep -E '^(IDENTITY_ENDPOINT|IDENTITY_HEADER)=' "$WORK/emulator.env") "$WORK/root/azmsi" token -o tsv)
[ "$(printf %s "$tok" | tr -cd . | wc -c)" = 2 ] || { echo "build.sh: no JWT from the extracted emulator" >&2; exit 1; }
echo "image ok: /azmsi extracted from $IMAGE serves App Service at 127.0.0.1:41056"
