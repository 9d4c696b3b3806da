# interop/scenarios_sdk.sh — sourced by run.sh: the newest Azure SDK for Go
# majors (cmd/sdk2026) and the JavaScript SDK from npm (js/), unmodified,
# against the emulator inside the suite's network namespace. Uses run.sh's
# helpers (start_ns_emulator, in_ns, expect_words, env_value).

SDK_WORLD=$HERE/testdata/sdk-world.json # the default world, vm-system Owner on SUB1
SDK_SECRET=interop-canary-$$            # a secret value the clients must read back
SDK_GO_VAULT=kvsdkgo
SDK_JS_VAULT=kvsdkjs

# sdk_hosts_names maps the vault names the clients use (vaultUri is
# https://{vault}.vault.localhost:443/ with ARM on 127.0.0.1:443) to
# loopback in the namespace's hosts file.
sdk_hosts_names() {
	grep -q "$SDK_GO_VAULT.vault.localhost" "/etc/netns/$NS/hosts" 2>/dev/null && return 0
	printf '127.0.0.1\t%s.vault.localhost %s.vault.localhost\n' "$SDK_GO_VAULT" "$SDK_JS_VAULT" >>"/etc/netns/$NS/hosts"
}

sdk_build_go() {
	[ -x "$BIN/sdk2026" ] && return 0
	local t0=$SECONDS
	(cd "$HERE" && GOFLAGS="$INTEROP_GOFLAGS" go build -o "$BIN/sdk2026" ./cmd/sdk2026) >"$WORK/log/build-sdk2026.log" 2>&1 || return 1
	say "built sdk2026 in $((SECONDS - t0))s"
}

# sdk_js NAME WANT ARGS...: node run_sdk.mjs ARGS in the namespace, trusting
# the emulator's CA, output compared as expect_words does.
sdk_js() {
	local name=$1 want=$2
	shift 2
	selected "$name" || return 0
	if ! js_install >"$WORK/log/npm-ci.log" 2>&1; then
		SCEN_T0=$SECONDS
		fail "$name" "npm ci failed" "$WORK/log/npm-ci.log"
		return
	fi
	NS_EXTRA_ENV+=(NODE_EXTRA_CA_CERTS="$NS_CA")
	expect_words "$name" "$want" in_ns node "$WORK/js/run_sdk.mjs" "$@"
	unset 'NS_EXTRA_ENV[-1]'
}

# IMDS at 169.254.169.254, ARM and the vaults at 127.0.0.1:443.
scenarios_sdk_arm() {
	local go_ok=1
	if ! sdk_build_go; then
		fail go-sdk2026-build "go build ./cmd/sdk2026 failed" "$WORK/log/build-sdk2026.log"
		go_ok=""
	fi
	if ! start_ns_emulator emulator-sdk --imds-addr 169.254.169.254:80 --config "$SDK_WORLD"; then
		fail go-sdk2026 "emulator did not start" "$WORK/log/emulator-sdk.log"
		return
	fi
	sdk_hosts_names
	[ -n "$go_ok" ] && expect_words go-armresources-v3-armsubscriptions-v2 \
		"subscription=$SUB1:Enabled group=rg-sdk-v3:westeurope:Succeeded
		created=sdkv3store:Microsoft.Storage/storageAccounts:Succeeded get=true get-tag=interop get-sku=Standard_LRS
		listed=sdkv3store:Microsoft.Storage/storageAccounts after-delete=404:ResourceNotFound group-exists=false" \
		in_ns "$BIN/sdk2026" resources rg-sdk-v3
	[ -n "$go_ok" ] && expect_words go-armauthorization-v2-story \
		"definition=Contributor:b24988ac-6180-42a0-ab88-20f7382dd24c:BuiltInRole definition-get=Contributor:*
		definition-excludes-role-assignment-writes=true reader-write-before=403:AuthorizationFailed assigned=true
		listed-assignment=1 reader-write-assigned=ok deleted-assignment=404:RoleAssignmentNotFound
		reader-write-after=403:AuthorizationFailed" \
		in_ns "$BIN/sdk2026" rbac rg-data
	[ -n "$go_ok" ] && expect_words go-azsecrets-managed-identity \
		"vault=$SDK_GO_VAULT:$SDK_GO_VAULT set-without-role=403:Forbidden set=db-password:text/plain
		get=db-password:$SDK_SECRET get-version=true listed=api-key,db-password reader-get=403:Forbidden" \
		in_ns "$BIN/sdk2026" secrets "$SDK_GO_VAULT" "$SDK_SECRET"

	sdk_js js-arm-resources-subscriptions \
		"subscription=$SUB1:Enabled group=rg-sdk-js:westeurope:Succeeded
		created=sdkjsstore:Microsoft.Storage/storageAccounts:Succeeded get=true get-tag=interop get-sku=Standard_LRS
		listed=sdkjsstore:Microsoft.Storage/storageAccounts after-delete=404:ResourceNotFound group-exists=false" \
		arm rg-sdk-js
	sdk_js js-arm-authorization-story \
		"definition=Contributor:b24988ac-6180-42a0-ab88-20f7382dd24c:BuiltInRole definition-get=Contributor:*
		definition-excludes-role-assignment-writes=true reader-write-before=403:AuthorizationFailed assigned=true
		listed-assignment=1 reader-write-assigned=ok deleted-assignment=404:RoleAssignmentNotFound
		reader-write-after=403:AuthorizationFailed" \
		rbac rg-web
	sdk_js js-keyvault-secrets-rbac \
		"vault=$SDK_JS_VAULT:$SDK_JS_VAULT set-without-role=403:Forbidden set=db-password:text/plain
		get=db-password:$SDK_SECRET get-version=true listed=api-key,db-password reader-get=403:Forbidden" \
		secrets "$SDK_JS_VAULT" "$SDK_SECRET"
	stop_emulator
}

# An AKS pod. Go: the authority the emulator's env file names (loopback;
# instance discovery off, as for any authority MSAL Go does not know). JS:
# the real authority, login.microsoftonline.com, mapped in the namespace to
# the emulator's Entra endpoint on 127.0.0.2:443 for this scenario only.
scenarios_sdk_workload() {
	local hosts=/etc/netns/$NS/hosts v
	cp "$hosts" "$WORK/hosts.sdk-saved"
	printf '127.0.0.2\tlogin.microsoftonline.com\n' >>"$hosts"
	if ! start_ns_emulator emulator-sdk-workload --host workload --workload-addr 127.0.0.2:443 \
		--tls-hostname login.microsoftonline.com --imds-addr 127.0.0.1:0; then
		fail sdk-workload "emulator did not start with --host workload" "$WORK/log/emulator-sdk-workload.log"
		cp "$WORK/hosts.sdk-saved" "$hosts"
		return
	fi
	NS_EXTRA_ENV=()
	for v in AZURE_FEDERATED_TOKEN_FILE AZURE_CLIENT_ID AZURE_TENANT_ID; do
		NS_EXTRA_ENV+=("$v=$(env_value "$v")")
	done
	local groups=identities,rg-data,rg-web
	if sdk_build_go; then
		NS_EXTRA_ENV+=(AZURE_AUTHORITY_HOST="$(env_value AZURE_AUTHORITY_HOST)")
		expect_words go-azidentity-workload-and-default "workload-groups=$groups default-groups=$groups" \
			in_ns "$BIN/sdk2026" workload
		unset 'NS_EXTRA_ENV[-1]'
	fi
	# What the AKS webhook injects.
	NS_EXTRA_ENV+=(AZURE_AUTHORITY_HOST=https://login.microsoftonline.com/)
	sdk_js js-identity-workload-default-managed \
		"workload-groups=$groups default-groups=$groups managed-identity-groups=$groups" workload
	NS_EXTRA_ENV=()
	stop_emulator
	cp "$WORK/hosts.sdk-saved" "$hosts"
}

# sdk_host_env HOST: NS_EXTRA_ENV from the identity variables of the env file.
sdk_host_env() {
	local v val
	NS_EXTRA_ENV=()
	for v in IDENTITY_ENDPOINT IDENTITY_HEADER IDENTITY_SERVER_THUMBPRINT IDENTITY_API_VERSION \
		MSI_ENDPOINT MSI_SECRET CONTAINER_APP_NAME CONTAINER_APP_JOB_NAME; do
		val=$(env_value "$v")
		[ -n "$val" ] && NS_EXTRA_ENV+=("$v=$val")
	done
}

# ManagedIdentityCredential (Go azidentity, JS @azure/identity) on Service
# Fabric (thumbprint pinned), App Service and Container Apps, at the fixed
# endpoints of emulator/container/config.json: App Service and Container
# Apps clients get the committed emulator/container/env/*.env lines, not the
# env file of this start. Go: groups through sdkflow (armresources v1) and
# sdk2026 claims; JS: run_sdk.mjs claims. Neither credential sends
# token_sha256_to_refresh with a claims request (azidentity v1.15 passes the
# claims to MSAL Go, which only skips its cache; @azure/identity 4.14 does
# not pass them), so the host answers with the token it cached: "same".
#
# Service Fabric's endpoint certificate is self-signed. azidentity pins it
# by IDENTITY_SERVER_THUMBPRINT; msal-node (inside @azure/identity 4.14)
# neither pins nor skips verification, so Node must trust the certificate:
# the suite makes one (the config's servicefabric.certificate, as on a
# cluster whose MITS certificate is known) and adds it to NODE_EXTRA_CA_CERTS.
sdk_sf_config() {
	local d=$WORK/sdk-sf
	mkdir -p "$d" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=servicefabric \
			-addext subjectAltName=IP:127.0.0.1 -keyout "$d/sf.pem" -out "$d/sf.pem" >"$d/openssl.log" 2>&1 &&
		openssl x509 -in "$d/sf.pem" -out "$d/sf-cert.pem" &&
		"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["hosts"]["servicefabric"]["certificate"]=sys.argv[2]; json.dump(c,open(sys.argv[3],"w"))' \
			"$ROOT/emulator/container/config.json" "$d/sf.pem" "$d/config.json"
}

scenarios_sdk_hosts() {
	local h fixed config msal
	for h in servicefabric appservice containerapps; do
		config=$ROOT/emulator/container/config.json
		if [ "$h" = servicefabric ]; then
			if ! sdk_sf_config; then
				fail sdk-servicefabric "could not make the Service Fabric certificate" "$WORK/sdk-sf/openssl.log"
				continue
			fi
			config=$WORK/sdk-sf/config.json
		fi
		if ! start_ns_emulator "emulator-sdk-$h" --config "$config" --host "$h" --imds-addr 127.0.0.1:0; then
			fail "sdk-$h" "emulator did not start with --host $h" "$WORK/log/emulator-sdk-$h.log"
			continue
		fi
		if [ "$h" = servicefabric ]; then
			sdk_host_env
			fixed=127.0.0.1:2377
		else
			NS_EXTRA_ENV=()
			while IFS= read -r line; do
				NS_EXTRA_ENV+=("$line")
			done < <(grep '^[A-Z_]*=' "$ROOT/emulator/container/env/$h.env")
			fixed=$(sed -n 's#^IDENTITY_ENDPOINT=https*://\([^/]*\)/.*#\1#p' "$ROOT/emulator/container/env/$h.env")
		fi
		SCEN_T0=$SECONDS
		if [[ $(env_value IDENTITY_ENDPOINT) != *"//$fixed/"* ]]; then
			fail "sdk-$h-fixed-endpoint" "IDENTITY_ENDPOINT $(env_value IDENTITY_ENDPOINT) is not at $fixed" "$EMU_ENV"
		else
			pass "sdk-$h-fixed-endpoint"
		fi
		if sdk_build_go; then
			expect_flow "go-azidentity-$h-sdkflow" "$SUB1" "$SUB1_GROUPS" in_ns "$BIN/sdkflow"
			expect_words "go-azidentity-$h-claims" "cached=same claims=same groups=identities,rg-data,rg-web" \
				in_ns "$BIN/sdk2026" claims
		fi
		if [ "$h" = servicefabric ]; then
			cat "$NS_CA" "$WORK/sdk-sf/sf-cert.pem" >"$WORK/sdk-sf/node-ca.pem"
			NS_CA=$WORK/sdk-sf/node-ca.pem
		fi
		# msal-node directly: on Service Fabric a claims request carries
		# token_sha256_to_refresh (and xms_cc=cp1), so the host mints a new
		# token with the xms_cc claim; App Service is not among msal-node
		# 7.2's revocation sources, so the host's cached token comes back.
		if [ "$h" = servicefabric ]; then
			msal="msal-cached=same msal-claims=new msal-xms_cc=cp1"
		else
			msal="msal-cached=same msal-claims=same msal-xms_cc=none"
		fi
		sdk_js "js-identity-$h-claims" "cached=same claims=same groups=identities,rg-data,rg-web $msal" claims
		NS_EXTRA_ENV=()
		stop_emulator
	done
}

scenarios_sdk() {
	local t0=$SECONDS
	scenarios_sdk_arm
	scenarios_sdk_workload
	scenarios_sdk_hosts
	[ -n "${JS_VERSIONS:-}" ] && say "JavaScript: $JS_VERSIONS"
	say "SDK scenarios (Go, JavaScript) took $((SECONDS - t0))s"
}
