#!/usr/bin/env bash
# interop/run.sh — the azmsi interop suite: unmodified Azure SDK for Go,
# Python SDKs (msrestazure, azure-identity) and the Azure CLI against the
# azmsi emulator. Self-contained: installs its Debian packages, builds azmsi,
# runs every scenario and ends with "N passed, M failed[, K skipped]".
# Exit status: 0 when nothing failed.
#
# Scenarios that need the real addresses (169.254.169.254, management.azure.com)
# run inside a network namespace made here, which has only a loopback
# interface: nothing a client sends can leave it. Needs root for that.
#
# Environment knobs:
#   INTEROP_KEEP=1        keep the work directory (logs, emulator state)
#   INTEROP_ONLY=REGEX    run only scenarios whose name matches
#   INTEROP_NO_INSTALL=1  do not apt-get install (fail if something is missing)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3 # Debian's python: the python3-azure* packages live there

# The emulator's default world (emulator/internal/config/default.json).
SUB1=00000000-0000-0000-0000-000000000001
SUB2=00000000-0000-0000-0000-000000000002
TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
SUB1_GROUPS="identities rg-data rg-web"
SUB2_GROUPS="rg-sandbox"
UAMI_CID=22222222-2222-2222-2222-222222222222 # app-contributor: Contributor on SUB1, Reader on SUB2
UAMI_OID=22222222-2222-2222-2222-aaaaaaaaaaaa
UAMI_RID=/subscriptions/$SUB1/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor

NS=azmsi-interop-$$
WORK=$(mktemp -d /tmp/azmsi-interop.XXXXXX)
BIN=$WORK/bin
CLIENT_TIMEOUT=180
# The interop module follows the main module through a replace directive; when
# the main module gains a dependency, -mod=mod lets go add its checksum here
# instead of failing the suite.
INTEROP_GOFLAGS="${GOFLAGS:-} -mod=mod"
PASSED=0
FAILED=0
SKIPPED=0
FAILED_NAMES=()
EMU_PID=""
NS_MADE=""

say() { printf '[interop] %s\n' "$*"; }

# --- cleanup ----------------------------------------------------------------

stop_emulator() {
	if [ -n "$EMU_PID" ]; then
		kill "$EMU_PID" 2>/dev/null
		wait "$EMU_PID" 2>/dev/null
		EMU_PID=""
	fi
}

cleanup() {
	stop_emulator
	if [ -n "$NS_MADE" ]; then
		# Processes still inside would keep it alive; ours are all waited for.
		ip netns pids "$NS" 2>/dev/null | while read -r p; do kill "$p" 2>/dev/null; done
		ip netns del "$NS" 2>/dev/null
		rm -rf "/etc/netns/$NS"
	fi
	if [ "${INTEROP_KEEP:-}" = 1 ]; then
		say "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- result bookkeeping -------------------------------------------------------

selected() { [ -z "${INTEROP_ONLY:-}" ] || [[ $1 =~ $INTEROP_ONLY ]]; }

SCEN_T0=$SECONDS
took() { echo "$((SECONDS - SCEN_T0))s"; }

pass() {
	PASSED=$((PASSED + 1))
	say "PASS $1 ($(took))"
}

# fail NAME REASON [LOGFILE...]: the logs' tails help whoever reads CI output.
fail() {
	local name=$1 reason=$2 f
	shift 2
	FAILED=$((FAILED + 1))
	FAILED_NAMES+=("$name")
	say "FAIL $name: $reason ($(took))"
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "    --- $(basename "$f") (last 25 lines)"
		tail -n 25 "$f" | sed 's/^/    /'
	done
}

skip() {
	SKIPPED=$((SKIPPED + 1))
	say "SKIP $1: $2"
}

sorted_words() { tr ' \t' '\n\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }

# Commands given to expect_* bring their own time limit (in_ns wraps
# clients in timeout(1)).

# expect_flow NAME WANT_SUB "WANT GROUPS" CMD...: CMD prints one group name per
# line and then "subscription_id=<id>"; both must match exactly.
expect_flow() {
	local name=$1 want_sub=$2 want_groups=$3 rc got_sub got_groups
	shift 3
	selected "$name" || return 0
	local out=$WORK/log/$name.out err=$WORK/log/$name.err
	SCEN_T0=$SECONDS
	"$@" >"$out" 2>"$err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$name" "exit status $rc" "$out" "$err"
		return
	fi
	got_sub=$(sed -n 's/^subscription_id=//p' "$out")
	got_groups=$(grep -v '^subscription_id=' "$out" | sorted_words)
	want_groups=$(echo "$want_groups" | sorted_words)
	if [ "$got_sub" != "$want_sub" ]; then
		fail "$name" "subscription '$got_sub', want '$want_sub'" "$out" "$err"
	elif [ "$got_groups" != "$want_groups" ]; then
		fail "$name" "groups '$got_groups', want '$want_groups'" "$out" "$err"
	else
		pass "$name"
	fi
}

# expect_words NAME "WANT WORDS" CMD...: CMD's output, as a sorted set of
# words, must equal WANT (for az --query ... -o tsv).
expect_words() {
	local name=$1 want rc got
	want=$(echo "$2" | sorted_words)
	shift 2
	selected "$name" || return 0
	local out=$WORK/log/$name.out err=$WORK/log/$name.err
	SCEN_T0=$SECONDS
	"$@" >"$out" 2>"$err"
	rc=$?
	got=$(sorted_words <"$out")
	if [ $rc -ne 0 ]; then
		fail "$name" "exit status $rc" "$out" "$err"
	elif [ "$got" != "$want" ]; then
		fail "$name" "output '$got', want '$want'" "$out" "$err"
	else
		pass "$name"
	fi
}

# --- setup: packages, builds ---------------------------------------------------

install_packages() {
	local need=()
	command -v ip >/dev/null || need+=(iproute2)
	command -v openssl >/dev/null || need+=(openssl)
	[ -x /usr/bin/az ] || need+=(azure-cli)
	[ -x "$PY" ] && "$PY" -c 'import msrestazure' 2>/dev/null || need+=(python3-msrestazure)
	[ -x "$PY" ] && "$PY" -c 'import azure.identity, azure.mgmt.resource' 2>/dev/null || need+=(python3-azure)
	command -v node >/dev/null || need+=(nodejs)
	command -v npm >/dev/null || need+=(npm)
	if [ ${#need[@]} -eq 0 ]; then
		say "Debian packages already installed"
		return 0
	fi
	if [ "${INTEROP_NO_INSTALL:-}" = 1 ]; then
		say "missing packages: ${need[*]} (INTEROP_NO_INSTALL=1)"
		return 1
	fi
	local t0=$SECONDS
	say "installing ${need[*]} (apt-get, takes about 2 minutes)"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get update >"$WORK/log/apt.log" 2>&1 ||
		! apt-get install -y --no-install-recommends "${need[@]}" >>"$WORK/log/apt.log" 2>&1; then
		tail -n 20 "$WORK/log/apt.log"
		return 1
	fi
	say "installed in $((SECONDS - t0))s"
}

build() {
	local t0=$SECONDS
	(cd "$ROOT" && go build -o "$BIN/azmsi" ./cmd/azmsi) >"$WORK/log/build.log" 2>&1 &&
		(cd "$HERE" && GOFLAGS="$INTEROP_GOFLAGS" go build -o "$BIN/sdkflow" ./cmd/sdkflow) >>"$WORK/log/build.log" 2>&1 &&
		(cd "$HERE" && GOFLAGS="$INTEROP_GOFLAGS" go build -o "$BIN/kvflow" ./cmd/kvflow) >>"$WORK/log/build.log" 2>&1 ||
		{
			cat "$WORK/log/build.log"
			return 1
		}
	say "built azmsi and sdkflow in $((SECONDS - t0))s"
}


# --- scenarios without a namespace ---------------------------------------------

# azcompat + armsubscriptions/armresources, in-process emulator (Go test).
scenario_go_tests() {
	local name=go-azcompat-armclients
	selected "$name" || return 0
	SCEN_T0=$SECONDS
	if (cd "$HERE" && GOFLAGS="$INTEROP_GOFLAGS" go test -race -count=1 ./...) >"$WORK/log/$name.out" 2>&1; then
		pass "$name"
	else
		fail "$name" "go test failed" "$WORK/log/$name.out"
	fi
}

# start_emulator LOGNAME [ip netns exec NS] -- FLAGS...: starts the emulator in the
# background, waits for its env file; sets EMU_PID and EMU_ENV.
start_emulator() {
	local logname=$1 prefix=() env_file
	shift
	while [ "$1" != "--" ]; do
		prefix+=("$1")
		shift
	done
	shift
	env_file=$WORK/$logname.env
	rm -f "$env_file"
	"${prefix[@]}" "$BIN/azmsi" emulator --env-file "$env_file" "$@" \
		>"$WORK/log/$logname.out" 2>"$WORK/log/$logname.log" &
	EMU_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -s "$env_file" ] && break
		if ! kill -0 "$EMU_PID" 2>/dev/null; then
			EMU_PID=""
			say "emulator exited:"
			sed 's/^/    /' "$WORK/log/$logname.log"
			return 1
		fi
		sleep 0.1
	done
	[ -s "$env_file" ] || {
		say "emulator did not write $env_file within 10s"
		return 1
	}
	EMU_ENV=$env_file
}

# env_value NAME: a variable from the emulator's env file (NAME=value lines).
env_value() { sed -n "s/^$1=//p" "$EMU_ENV" | tail -n 1; }

# --- the network namespace -------------------------------------------------------

make_netns() {
	if [ "$(id -u)" != 0 ]; then
		say "not root: cannot create a network namespace"
		return 1
	fi
	ip netns add "$NS" || return 1
	NS_MADE=1
	ip -n "$NS" link set lo up || return 1
	ip -n "$NS" addr add 169.254.169.254/32 dev lo || return 1
	mkdir -p "/etc/netns/$NS" || return 1
	# Only the ARM host is mapped. login.microsoftonline.com & co. stay
	# unresolvable: a client that calls them fails inside the namespace.
	# kvpy.vault.localhost and kvgo.vault.azure.net: the emulator's vaults
	# for the Key Vault scenarios (glibc resolves *.localhost only through hosts).
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\tmanagement.azure.com\n127.0.0.1\tkvpy.vault.localhost\n127.0.0.1\tkvgo.vault.azure.net\n' >"/etc/netns/$NS/hosts"
	# No resolver inside either: names not in hosts fail without a packet.
	: >"/etc/netns/$NS/resolv.conf"
	verify_netns
}

# verify_netns aborts the namespace scenarios unless the only interface is lo
# and every route of every table goes through lo (so no default route).
verify_netns() {
	local links routes
	links=$(ip -n "$NS" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort -u | tr '\n' ' ')
	if [ "$links" != "lo " ]; then
		say "SAFETY: namespace $NS has interfaces '$links', want only lo; aborting"
		return 1
	fi
	routes=$( (ip -n "$NS" -4 route show table all; ip -n "$NS" -6 route show table all) | grep -v ' dev lo\b' || true)
	if [ -n "$routes" ]; then
		say "SAFETY: namespace $NS has routes not via lo, aborting:"
		echo "$routes" | sed 's/^/    /'
		return 1
	fi
	# (captured, not piped into grep -q: with pipefail an early grep exit could
	# turn a found route into a failed pipeline, i.e. into "no route")
	if [ -n "$(ip -n "$NS" route show default)$(ip -n "$NS" -6 route show default)" ]; then
		say "SAFETY: namespace $NS has a default route; aborting"
		return 1
	fi
	say "namespace $NS: only lo (127.0.0.1, 169.254.169.254), no route off it"
}

# in_ns CMD...: run CMD inside the namespace with a clean environment plus
# the CA. Nothing from the caller's environment (IDENTITY_ENDPOINT, proxies,
# AZURE_*) leaks in.
in_ns() {
	ip netns exec "$NS" env -i PATH=/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin \
		HOME="$WORK/home" LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 \
		SSL_CERT_FILE="$NS_CA" REQUESTS_CA_BUNDLE="$NS_CA" "${NS_EXTRA_ENV[@]}" \
		timeout "$CLIENT_TIMEOUT" "$@"
}
NS_EXTRA_ENV=()

start_ns_emulator() {
	local name=$1
	shift
	start_emulator "$name" ip netns exec "$NS" -- \
		--allow-non-loopback --arm-addr 127.0.0.1:443 --tls-hostname management.azure.com \
		--state "$WORK/state-$name" "$@" || return 1
	NS_CA=$(env_value REQUESTS_CA_BUNDLE)
	[ -s "$NS_CA" ] || {
		say "emulator env file names no CA"
		return 1
	}
}

# azure-identity through AZURE_POD_IDENTITY_AUTHORITY_HOST, ARM via base_url:
# the emulator on its default loopback ports, as a user without root runs it.
# Run inside the namespace anyway: were the override ignored, the client
# would try 169.254.169.254, which must never be reached from the host.
scenarios_python_env() {
	if ! start_emulator emulator-loopback ip netns exec "$NS" -- \
		--imds-addr 127.0.0.1:0 --arm-addr 127.0.0.1:0 --state "$WORK/state-loopback"; then
		fail python-azure-identity-env "emulator did not start" "$WORK/log/emulator-loopback.log"
		return
	fi
	local arm
	arm=$(env_value AZMSI_ARM_ENDPOINT)
	NS_CA=$(env_value REQUESTS_CA_BUNDLE)
	NS_EXTRA_ENV=(AZURE_POD_IDENTITY_AUTHORITY_HOST="$(env_value AZURE_POD_IDENTITY_AUTHORITY_HOST)")
	local run=(in_ns "$PY" "$HERE/python/run_identity.py")
	expect_flow python-azure-identity-env-system "$SUB1" "$SUB1_GROUPS" "${run[@]}" system "$arm"
	expect_flow python-azure-identity-env-client_id "$SUB1" "$SUB1_GROUPS" "${run[@]}" "client_id=$UAMI_CID" "$arm"
	expect_flow python-azure-identity-env-object_id "$SUB1" "$SUB1_GROUPS" "${run[@]}" "object_id=$UAMI_OID" "$arm"
	expect_flow python-azure-identity-env-resource_id "$SUB1" "$SUB1_GROUPS" "${run[@]}" "resource_id=$UAMI_RID" "$arm"
	scenario_python_keyvault "$arm"
	scenario_js_keyvault "$arm"
	NS_EXTRA_ENV=()
	stop_emulator
}

# make_sdk_vault ARM: vault kvpy through the emulated ARM, with an access
# policy for the system identity (a re-PUT when it exists).
make_sdk_vault() {
	local body='{"location":"westeurope","properties":{"tenantId":"'$TENANT'","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,"accessPolicies":[{"tenantId":"'$TENANT'","objectId":"11111111-1111-1111-1111-aaaaaaaaaaaa","permissions":{"secrets":["get","set"]}}]}}'
	in_ns env AZMSI_ARM_ENDPOINT="$1" "$BIN/azmsi" rest -X PUT "/subscriptions/$SUB1/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kvpy" \
		--api-version 2026-04-01 --body "$body"
}

# azure-keyvault-secrets, unmodified: a vault made through the emulated ARM
# (an access policy for the system identity), then set and get as the VM's
# identity, and a refusal (403) for app-contributor, who has no policy.
scenario_python_keyvault() {
	local arm=$1 name=python-azure-keyvault-secrets out vault
	selected "$name" || return 0
	SCEN_T0=$SECONDS
	out=$WORK/log/$name.out
	if ! make_sdk_vault "$arm" >"$out" 2>&1; then
		fail "$name" "creating the vault failed" "$out"
		return
	fi
	vault="https://kvpy$(env_value AZMSI_KEYVAULT_DNS_SUFFIX)"
	if ! in_ns "$PY" "$HERE/python/run_keyvault.py" "$vault" >"$out" 2>&1 || ! grep -qx 'value=s3cr3t-python' "$out"; then
		fail "$name" "set/get did not round-trip" "$out"
		return
	fi
	if ! in_ns "$PY" "$HERE/python/run_keyvault.py" "$vault" "client_id=$UAMI_CID" >"$out" 2>&1 || ! grep -qx 'status=403 code=Forbidden' "$out"; then
		fail "$name" "a caller without an access policy was not refused with 403" "$out"
		return
	fi
	pass "$name"
}

# Go azsecrets + azidentity, unmodified, at the vault's real name
# (kvgo.vault.azure.net:443 is the emulator here; challenge resource
# https://vault.azure.net): set/get as the VM, 403 for app-contributor.
scenario_go_keyvault_real_name() {
	local name=go-azidentity-azsecrets-real-name out
	selected "$name" || return 0
	SCEN_T0=$SECONDS
	out=$WORK/log/$name.out
	local body='{"location":"westeurope","properties":{"tenantId":"'$TENANT'","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,"accessPolicies":[{"tenantId":"'$TENANT'","objectId":"11111111-1111-1111-1111-aaaaaaaaaaaa","permissions":{"secrets":["get","set"]}}]}}'
	if ! in_ns "$BIN/azmsi" rest -X PUT "/subscriptions/$SUB1/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kvgo" --api-version 2026-04-01 --body "$body" >"$out" 2>&1; then
		fail "$name" "creating the vault failed" "$out"
	elif ! in_ns "$BIN/kvflow" https://kvgo.vault.azure.net >"$out" 2>&1 || ! grep -qx 'value=s3cr3t-go' "$out"; then
		fail "$name" "set/get did not round-trip" "$out"
	elif ! in_ns "$BIN/kvflow" -client-id "$UAMI_CID" https://kvgo.vault.azure.net >"$out" 2>&1 || ! grep -qx 'status=403 code=Forbidden' "$out"; then
		fail "$name" "a caller without an access policy was not refused with 403" "$out"
	else
		pass "$name"
	fi
}

# js_install: the JavaScript clients, exact versions from js/package-lock.json,
# installed once per run with npm ci into $WORK/js (node_modules is never
# committed; npm's own cache keeps repeated runs fast).
JS_INSTALLED=""
js_install() {
	[ -n "$JS_INSTALLED" ] && return 0
	local js=$WORK/js t0=$SECONDS
	mkdir -p "$js" && cp "$HERE"/js/package.json "$HERE"/js/package-lock.json "$HERE"/js/*.mjs "$js/" || return 1
	(cd "$js" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || return 1
	JS_INSTALLED=1
	JS_VERSIONS="node $(node --version), npm ci in $((SECONDS - t0))s: $(cd "$js" && npm ls --depth=0 2>/dev/null | sed -n 's/.*── //p' | tr '\n' ' ')"
}

# @azure/keyvault-secrets with @azure/identity, unmodified, from the npm
# registry (exact versions in js/package.json) into the work directory;
# same vault and checks as the Python scenario.
scenario_js_keyvault() {
	local arm=$1 name=js-azure-keyvault-secrets out vault js=$WORK/js
	selected "$name" || return 0
	SCEN_T0=$SECONDS
	out=$WORK/log/$name.out
	if ! js_install >"$out" 2>&1; then
		fail "$name" "npm ci failed" "$out"
		return
	fi
	if ! make_sdk_vault "$arm" >"$out" 2>&1; then
		fail "$name" "creating the vault failed" "$out"
		return
	fi
	vault="https://kvpy$(env_value AZMSI_KEYVAULT_DNS_SUFFIX)"
	NS_EXTRA_ENV+=(NODE_EXTRA_CA_CERTS="$NS_CA")
	if ! in_ns node "$js/run_keyvault.mjs" "$vault" >"$out" 2>&1 || ! grep -qx 'value=s3cr3t-js' "$out"; then
		fail "$name" "set/get did not round-trip" "$out"
	elif ! in_ns node "$js/run_keyvault.mjs" "$vault" "$UAMI_CID" >"$out" 2>&1 || ! grep -qx 'status=403 code=Forbidden' "$out"; then
		fail "$name" "a caller without an access policy was not refused with 403" "$out"
	else
		pass "$name"
	fi
	unset 'NS_EXTRA_ENV[-1]'
}

scenarios_netns_imds() {
	if ! start_ns_emulator emulator-netns --imds-addr 169.254.169.254:80; then
		fail netns-emulator "emulator did not start in the namespace" "$WORK/log/emulator-netns.log"
		return
	fi
	say "emulator in $NS: IMDS http://169.254.169.254, ARM https://management.azure.com (127.0.0.1:443)"

	# Azure SDK for Go, unmodified.
	expect_flow go-azidentity-imds-system "$SUB1" "$SUB1_GROUPS" in_ns "$BIN/sdkflow"
	expect_flow go-azidentity-imds-client_id "$SUB1" "$SUB1_GROUPS" in_ns "$BIN/sdkflow" -client-id "$UAMI_CID"
	expect_flow go-azidentity-imds-object_id "$SUB1" "$SUB1_GROUPS" in_ns "$BIN/sdkflow" -object-id "$UAMI_OID"
	expect_flow go-azidentity-imds-resource_id "$SUB1" "$SUB1_GROUPS" in_ns "$BIN/sdkflow" -resource-id "$UAMI_RID"
	scenario_go_keyvault_real_name

	# The seed sample: msrestazure + Debian's track-2 clients, lines unchanged.
	local seed=("$PY" "$HERE/python/run_seed.py")
	expect_flow python-seed-msrestazure-system "$SUB1" "$SUB1_GROUPS" in_ns "${seed[@]}" system
	expect_flow python-seed-msrestazure-client_id "$SUB1" "$SUB1_GROUPS" in_ns "${seed[@]}" "client_id=$UAMI_CID"
	expect_flow python-seed-msrestazure-object_id "$SUB1" "$SUB1_GROUPS" in_ns "${seed[@]}" "object_id=$UAMI_OID"
	expect_flow python-seed-msrestazure-msi_res_id "$SUB1" "$SUB1_GROUPS" in_ns "${seed[@]}" "msi_res_id=$UAMI_RID"

	# azure-identity, unmodified (real IMDS address, built-in ARM URL).
	local ident=("$PY" "$HERE/python/run_identity.py")
	expect_flow python-azure-identity-imds-system "$SUB1" "$SUB1_GROUPS" in_ns "${ident[@]}" system
	expect_flow python-azure-identity-imds-client_id "$SUB1" "$SUB1_GROUPS" in_ns "${ident[@]}" "client_id=$UAMI_CID"

	scenarios_az
	stop_emulator
}

# az runs with a throwaway config dir; telemetry and survey prompts off.
az_ns() {
	NS_EXTRA_ENV=(AZURE_CONFIG_DIR="$WORK/azure" AZURE_CORE_COLLECT_TELEMETRY=false
		AZURE_CORE_SURVEY_MESSAGE=false AZURE_CORE_NO_COLOR=true AZURE_CORE_ONLY_SHOW_ERRORS=true)
	in_ns /usr/bin/az "$@"
	local rc=$?
	NS_EXTRA_ENV=()
	return $rc
}

scenarios_az() {
	local rg=rg-interop-cli-$$
	rm -rf "$WORK/azure"
	expect_words az-login-identity-system "$SUB1" az_ns login --identity --query "[].id" -o tsv
	expect_words az-account-show "$SUB1 $TENANT systemAssignedIdentity MSI" az_ns account show --query "[id, tenantId, user.name, user.assignedIdentityInfo]" -o tsv
	expect_words az-account-get-access-token "Bearer $SUB1 $TENANT" az_ns account get-access-token --query "[tokenType, subscription, tenant]" -o tsv
	expect_words az-group-list "$SUB1_GROUPS" az_ns group list --query "[].name" -o tsv
	expect_words az-group-create "$rg eastus Succeeded" az_ns group create -n "$rg" -l eastus --query "[name, location, properties.provisioningState]" -o tsv
	expect_words az-group-list-after-create "$SUB1_GROUPS $rg" az_ns group list --query "[].name" -o tsv
	expect_words az-group-delete "" az_ns group delete -n "$rg" --yes
	expect_words az-group-exists-after-delete "false" az_ns group exists -n "$rg"
	expect_words az-group-list-after-delete "$SUB1_GROUPS" az_ns group list --query "[].name" -o tsv
	# A vault through az rest. (az keyvault secret … cannot run here: Debian's
	# azure-cli 2.45 lacks its azure.keyvault.v7_0 module and fails on import.)
	local kv_body='{"location":"westeurope","properties":{"tenantId":"'$TENANT'","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,"accessPolicies":[{"tenantId":"'$TENANT'","objectId":"11111111-1111-1111-1111-aaaaaaaaaaaa","permissions":{"secrets":["get","list","set"]}}]}}'
	expect_words az-rest-create-vault "kvaz" az_ns rest --method put --url "https://management.azure.com/subscriptions/$SUB1/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kvaz?api-version=2026-04-01" --body "$kv_body" --query name -o tsv

	rm -rf "$WORK/azure"
	expect_words az-login-identity-client_id "$SUB1 $SUB2" az_ns login --identity --username "$UAMI_CID" --query "[].id" -o tsv
	expect_words az-account-show-client_id "$SUB1 MSIClient-$UAMI_CID" az_ns account show --query "[id, user.assignedIdentityInfo]" -o tsv
	expect_words az-group-list-client_id-sub2 "$SUB2_GROUPS" az_ns group list --subscription "$SUB2" --query "[].name" -o tsv
	rm -rf "$WORK/azure"
	# --username with an object id: az tries client_id= first and falls back to
	# object_id= only on "400 ... Bad Request" (protocols.md §18).
	expect_words az-login-identity-object_id "$SUB1 $SUB2" az_ns login --identity --username "$UAMI_OID" --query "[].id" -o tsv
	rm -rf "$WORK/azure"
	expect_words az-login-identity-resource_id "$SUB1 $SUB2" az_ns login --identity --username "$UAMI_RID" --query "[].id" -o tsv
}

# A certificate the user brings (--tls-cert/--tls-key, as Azurite has): a CA
# and leaf made here with openssl; clients trust only that CA.
scenarios_netns_user_cert() {
	local d=$WORK/usercert
	mkdir -p "$d"
	if ! {
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
			-subj "/CN=azmsi interop test CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
			openssl req -newkey rsa:2048 -nodes -keyout "$d/leaf.key" -out "$d/leaf.csr" -subj "/CN=management.azure.com" &&
			printf 'subjectAltName=DNS:management.azure.com,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$d/ext" &&
			openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
				-out "$d/leaf.pem" -days 2 -extfile "$d/ext"
	} >"$WORK/log/usercert-openssl.log" 2>&1; then
		fail user-cert "openssl could not make the test certificate" "$WORK/log/usercert-openssl.log"
		return
	fi
	if ! start_ns_emulator emulator-usercert --imds-addr 169.254.169.254:80 \
		--tls-cert "$d/leaf.pem" --tls-key "$d/leaf.key"; then
		fail user-cert "emulator did not start with --tls-cert/--tls-key" "$WORK/log/emulator-usercert.log"
		return
	fi
	NS_CA=$d/ca.pem
	expect_flow user-cert-go-azidentity "$SUB1" "$SUB1_GROUPS" in_ns "$BIN/sdkflow"
	expect_flow user-cert-python-seed-msrestazure "$SUB1" "$SUB1_GROUPS" in_ns "$PY" "$HERE/python/run_seed.py" system
	stop_emulator
}

# App Service (2019-08-01) variables, Azure SDK for Go unmodified. Needs the
# emulator's App Service host (issue 4: `azmsi emulator --host appservice`).
scenarios_netns_appservice() {
	local name=go-azidentity-appservice
	selected "$name" || return 0
	if ! start_ns_emulator emulator-appservice --host appservice --imds-addr 127.0.0.1:0; then
		fail "$name" "emulator did not start with --host appservice" "$WORK/log/emulator-appservice.log"
		return
	fi
	local ie ih
	ie=$(env_value IDENTITY_ENDPOINT)
	ih=$(env_value IDENTITY_HEADER)
	if [ -z "$ie" ] || [ -z "$ih" ]; then
		fail "$name" "the emulator's env file has no IDENTITY_ENDPOINT/IDENTITY_HEADER" "$EMU_ENV"
		stop_emulator
		return
	fi
	NS_EXTRA_ENV=(IDENTITY_ENDPOINT="$ie" IDENTITY_HEADER="$ih")
	expect_flow "$name-system" "$SUB1" "$SUB1_GROUPS" in_ns "$BIN/sdkflow"
	expect_flow "$name-client_id" "$SUB1" "$SUB1_GROUPS" in_ns "$BIN/sdkflow" -client-id "$UAMI_CID"
	expect_flow "$name-resource_id" "$SUB1" "$SUB1_GROUPS" in_ns "$BIN/sdkflow" -resource-id "$UAMI_RID"
	NS_EXTRA_ENV=()
	stop_emulator
}

# AKS workload identity with the Azure CLI, unmodified: `az login
# --service-principal --federated-token` against the real authority
# (login.microsoftonline.com, mapped in the namespace to 127.0.0.2 where the
# emulator's Entra endpoint listens on 443 with a certificate for that name),
# then ARM at management.azure.com as in the other az scenarios. The mapping
# exists only for this scenario; elsewhere the name stays unresolvable.
scenarios_netns_workload() {
	local name=az-workload
	selected "$name" || return 0
	local hosts=/etc/netns/$NS/hosts
	cp "$hosts" "$WORK/hosts.saved"
	printf '127.0.0.2\tlogin.microsoftonline.com\n' >>"$hosts"
	if ! start_ns_emulator emulator-workload --host workload --workload-addr 127.0.0.2:443 \
		--tls-hostname login.microsoftonline.com --imds-addr 127.0.0.1:0; then
		fail "$name" "emulator did not start with --host workload" "$WORK/log/emulator-workload.log"
		cp "$WORK/hosts.saved" "$hosts"
		return
	fi
	local tf cid tid
	tf=$(env_value AZURE_FEDERATED_TOKEN_FILE)
	cid=$(env_value AZURE_CLIENT_ID)
	tid=$(env_value AZURE_TENANT_ID)
	if [ ! -s "$tf" ] || [ "$cid" != "$UAMI_CID" ] || [ "$tid" != "$TENANT" ]; then
		fail "$name" "the emulator's env file lacks the workload variables or the token file" "$EMU_ENV"
	else
		rm -rf "$WORK/azure"
		expect_words "$name-login-federated-token" "$SUB1 $SUB2" \
			az_ns login --service-principal -u "$cid" -t "$tid" --federated-token "$(cat "$tf")" --query "[].id" -o tsv
		expect_words "$name-account-show" "$UAMI_CID servicePrincipal $TENANT" \
			az_ns account show --query "[user.name, user.type, tenantId]" -o tsv
		expect_words "$name-group-list" "$SUB1_GROUPS" az_ns group list --query "[].name" -o tsv
		rm -rf "$WORK/azure"
	fi
	stop_emulator
	cp "$WORK/hosts.saved" "$hosts"
}

# The seed sample's code lines must be in python/seed_sample.py unchanged and
# in order (comments aside); shared/seed/example.py sits beside the repo.
# The broker (issue 8) in front of the emulator, asked by an unmodified
# azure-identity through AZURE_POD_IDENTITY_AUTHORITY_HOST. Run inside the
# namespace so that an ignored override could not reach the real address.
scenario_netns_broker() {
	local name=python-azure-identity-via-broker rc
	selected "$name" || return 0
	local out=$WORK/log/$name.out err=$WORK/log/$name.err
	SCEN_T0=$SECONDS
	ip netns exec "$NS" timeout "$CLIENT_TIMEOUT" "$ROOT/broker/testdata/broker_python.sh" "$BIN/azmsi" >"$out" 2>"$err"
	rc=$?
	case $rc in
	0) pass "$name" ;;
	77) skip "$name" "$(tail -n 1 "$err")" ;;
	*) fail "$name" "exit status $rc" "$out" "$err" ;;
	esac
}

scenario_seed_unchanged() {
	# python/seed_original.py is the sample as it came (shared/seed/example.py
	# in the project's workspace); the sample's code lines must stand
	# unchanged in python/seed_sample.py. Where the workspace copy is beside
	# the checkout, the committed original must still match it.
	local name=seed-sample-unchanged original=$HERE/python/seed_original.py workspace=$ROOT/../shared/seed/example.py
	selected "$name" || return 0
	SCEN_T0=$SECONDS
	if [ -f "$workspace" ] && ! cmp -s "$workspace" "$original"; then
		fail "$name" "python/seed_original.py is not the workspace's shared/seed/example.py"
		return
	fi
	local code='/^[[:space:]]*#/d; /^[[:space:]]*$/d'
	if diff <(sed "$code" "$original") <(sed "$code" "$HERE/python/seed_sample.py") >"$WORK/log/$name.out" 2>&1; then
		pass "$name"
	else
		fail "$name" "python/seed_sample.py differs from the seed sample" "$WORK/log/$name.out"
	fi
}

# Namespaces left by a run that was killed (named after its pid) are removed.
remove_stale_namespaces() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^azmsi-interop-[0-9]*$'); do
		pid=${ns#azmsi-interop-}
		if ! kill -0 "$pid" 2>/dev/null; then
			say "removing stale namespace $ns"
			ip netns del "$ns" 2>/dev/null
			rm -rf "/etc/netns/$ns"
		fi
	done
}

# shellcheck source=scenarios_sdk.sh
. "$HERE/scenarios_sdk.sh"
# shellcheck source=scenarios_cli.sh
. "$HERE/scenarios_cli.sh"

# --- main ------------------------------------------------------------------------

main() {
	mkdir -p "$WORK/log" "$WORK/home" "$BIN"
	local t0=$SECONDS
	if ! install_packages; then
		fail setup-packages "could not install the Debian packages"
	elif ! build; then
		fail setup-build "go build failed"
	else
		say "versions: $(/usr/bin/az version --query '"azure-cli"' -o tsv 2>/dev/null | sed 's/^/azure-cli /'); $("$PY" -c 'import msrestazure, azure.identity; print("msrestazure", msrestazure.__version__, "azure-identity", azure.identity.__version__)' 2>&1)"
		scenario_seed_unchanged
		scenario_go_tests
		remove_stale_namespaces
		if make_netns; then
			scenarios_python_env
			scenarios_netns_imds
			scenarios_netns_user_cert
			scenarios_netns_appservice
			scenarios_netns_workload
			scenario_netns_broker
			scenarios_sdk
			scenarios_cli
		else
			fail netns-setup "could not create a safe network namespace (needs root and iproute2)"
		fi
	fi
	say "finished in $((SECONDS - t0))s"
	[ ${#FAILED_NAMES[@]} -eq 0 ] || say "failed: ${FAILED_NAMES[*]}"
	if [ "$SKIPPED" -gt 0 ]; then
		echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	else
		echo "$PASSED passed, $FAILED failed"
	fi
	[ "$FAILED" -eq 0 ]
}

main "$@"
