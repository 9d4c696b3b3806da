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

# IMDS at 169.254.169.254, ARM and the vaults at 127.0.0.1:443.
scenarios_sdk_go_arm() {
	if ! sdk_build_go; then
		fail go-sdk2026-build "go build ./cmd/sdk2026 failed" "$WORK/log/build-sdk2026.log"
		return
	fi
	if ! start_ns_emulator emulator-sdk --imds-addr 169.254.169.254:80 --config "$SDK_WORLD"; then
		fail go-sdk2026 "emulator did not start" "$WORK/log/emulator-sdk.log"
		return
	fi
	sdk_hosts_names
	expect_words go-armresources-v3-armsubscriptions-v2 \
		"subscription=$SUB1:Enabled group=rg-sdk-v3:westeurope:Succeeded
		created=sdkv3store:Microsoft.Storage/storageAccounts:Succeeded get=true get-tag=interop get-sku=Standard_LRS
		listed=sdkv3store:Microsoft.Storage/storageAccounts after-delete=404:ResourceNotFound group-exists=false" \
		in_ns "$BIN/sdk2026" resources rg-sdk-v3
	expect_words go-armauthorization-v2-story \
		"definition=Contributor:b24988ac-6180-42a0-ab88-20f7382dd24c:BuiltInRole definition-get=Contributor:*
		definition-excludes-role-assignment-writes=true reader-write-before=403:AuthorizationFailed assigned=true
		listed-assignment=1 reader-write-assigned=ok deleted-assignment=404:RoleAssignmentNotFound
		reader-write-after=403:AuthorizationFailed" \
		in_ns "$BIN/sdk2026" rbac rg-data
	expect_words go-azsecrets-managed-identity \
		"vault=$SDK_GO_VAULT:$SDK_GO_VAULT set-without-role=403:Forbidden set=db-password:text/plain
		get=db-password:$SDK_SECRET get-version=true listed=api-key,db-password reader-get=403:Forbidden" \
		in_ns "$BIN/sdk2026" secrets "$SDK_GO_VAULT" "$SDK_SECRET"
	stop_emulator
}

# An AKS pod: the emulator's Entra endpoint and token file from its env file.
scenarios_sdk_go_workload() {
	sdk_build_go || return
	if ! start_ns_emulator emulator-sdk-workload --host workload --imds-addr 127.0.0.1:0; then
		fail go-azidentity-workload "emulator did not start with --host workload" "$WORK/log/emulator-sdk-workload.log"
		return
	fi
	local v
	NS_EXTRA_ENV=()
	for v in AZURE_FEDERATED_TOKEN_FILE AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_AUTHORITY_HOST; do
		NS_EXTRA_ENV+=("$v=$(env_value "$v")")
	done
	expect_words go-azidentity-workload-and-default \
		"workload-groups=identities,rg-data,rg-web default-groups=identities,rg-data,rg-web" \
		in_ns "$BIN/sdk2026" workload
	NS_EXTRA_ENV=()
	stop_emulator
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

# azidentity's ManagedIdentityCredential on Service Fabric (thumbprint
# pinned), App Service and Container Apps variables: groups through sdkflow
# (armresources v1) and sdk2026 claims (armresources v3; a claims request).
scenarios_sdk_go_hosts() {
	sdk_build_go || return
	local h
	for h in servicefabric appservice containerapps; do
		if ! start_ns_emulator "emulator-sdk-$h" --host "$h" --imds-addr 127.0.0.1:0; then
			fail "go-azidentity-$h" "emulator did not start with --host $h" "$WORK/log/emulator-sdk-$h.log"
			continue
		fi
		sdk_host_env
		expect_flow "go-azidentity-$h-sdkflow" "$SUB1" "$SUB1_GROUPS" in_ns "$BIN/sdkflow"
		expect_words "go-azidentity-$h-claims" "cached=same claims=same groups=identities,rg-data,rg-web" \
			in_ns "$BIN/sdk2026" claims
		NS_EXTRA_ENV=()
		stop_emulator
	done
}

scenarios_sdk() {
	local t0=$SECONDS
	scenarios_sdk_go_arm
	scenarios_sdk_go_workload
	scenarios_sdk_go_hosts
	say "SDK scenarios (Go, JavaScript) took $((SECONDS - t0))s"
}
