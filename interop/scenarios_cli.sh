# interop/scenarios_cli.sh — sourced by run.sh: the Azure CLI (Debian's 2.45)
# and Debian's Python SDKs, unmodified, on the emulator's generic resources,
# role assignments, Key Vault at its real name, workload identity and the
# fixed-port hosts. Everything runs in the suite's network namespace and
# uses run.sh's helpers (start_ns_emulator, in_ns, expect_words, env_value).

CLI_WORLD=$HERE/testdata/sdk-world.json # the default world, vm-system Owner on SUB1
CLI_READER_CID=33333333-3333-3333-3333-333333333333 # app-reader: Reader on SUB1
CLI_READER_OID=33333333-3333-3333-3333-aaaaaaaaaaaa
CLI_SYS_OID=11111111-1111-1111-1111-aaaaaaaaaaaa
CLI_CONTRIBUTOR=b24988ac-6180-42a0-ab88-20f7382dd24c
CLI_SECRETS_OFFICER=b86a8fe4-44ce-4948-aee5-eccb2c155cd7
CLI_VAULT=kvcli # served at its real name, https://kvcli.vault.azure.net

# az_as PROFILE ARGS...: az with a config dir per signed-in identity, so
# several identities stay logged in side by side.
az_as() {
	local profile=$1 rc
	shift
	NS_EXTRA_ENV=(AZURE_CONFIG_DIR="$WORK/azure-$profile" AZURE_CORE_COLLECT_TELEMETRY=false
		AZURE_CORE_SURVEY_MESSAGE=false AZURE_CORE_NO_COLOR=true AZURE_CORE_ONLY_SHOW_ERRORS=true)
	in_ns "${CLI_HOST_ENV[@]}" /usr/bin/az "$@"
	rc=$?
	NS_EXTRA_ENV=()
	return $rc
}
CLI_HOST_ENV=() # env NAME=value… for a host's variables (az_as resets NS_EXTRA_ENV)

# az_refused PROFILE CODE ARGS...: az must fail and its error name CODE
# (az prints "(CODE) message" for ARM errors, az rest the error body);
# prints "refused=CODE".
az_refused() {
	local profile=$1 code=$2 out
	shift 2
	if out=$(az_as "$profile" "$@" 2>&1); then
		echo "az succeeded, want $code"
		return 1
	fi
	if grep -Eq "\\($code\\)|\"code\": *\"$code\"" <<<"$out"; then
		echo "refused=$code"
	else
		echo "$out" >&2
		return 1
	fi
}

# The Azure CLI on generic resources: a storage account (asynchronous in this
# world: az polls Azure-AsyncOperation), found by listing, shown and deleted
# by ID, its provider's registration and api-versions.
scenarios_cli_az_resources() {
	local id=/subscriptions/$SUB1/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/azclistore
	expect_words az-provider-show "Microsoft.Storage Registered 2025-01-01" \
		az_as owner provider show -n Microsoft.Storage --query "[namespace, registrationState, resourceTypes[?resourceType=='storageAccounts'].apiVersions[0] | [0]]" -o tsv
	expect_words az-resource-create "azclistore Microsoft.Storage/storageAccounts westeurope Succeeded" \
		az_as owner resource create --id "$id" --location westeurope --properties '{"minimumTlsVersion":"TLS1_2"}' \
		--query "[name, type, location, properties.provisioningState]" -o tsv
	expect_words az-resource-list-group "azclistore:Microsoft.Storage/storageAccounts" \
		az_as owner resource list -g rg-data --resource-type Microsoft.Storage/storageAccounts --query "[].join(':', [name, type])" -o tsv
	expect_words az-resource-show-ids "$id TLS1_2" \
		az_as owner resource show --ids "$id" --query "[id, properties.minimumTlsVersion]" -o tsv
	expect_words az-resource-delete-ids "" az_as owner resource delete --ids "$id"
	expect_words az-resource-show-after-delete "refused=ResourceNotFound" az_refused owner ResourceNotFound resource show --ids "$id"
}

# Role definitions and assignments through az rest (Debian's az 2.45 cannot
# run az role: its role module reads .config from azure-mgmt-authorization
# 3.0.0's operation groups, which have only ._config, and fails before
# sending a request), and the story with az's own commands: app-reader
# (Reader) is refused a write on rg-data; the Owner assigns it Contributor
# on the group; the same write succeeds; the assignment is deleted; refused
# again.
scenarios_cli_az_roles() {
	local rg=/subscriptions/$SUB1/resourceGroups/rg-data api=api-version=2022-04-01
	local ra=$rg/providers/Microsoft.Authorization/roleAssignments/6f0c1c43-5a1b-4c55-9d3e-1e2f3a4b5c6d
	local arm=https://management.azure.com
	local write=(group update -n rg-data --set tags.touched-by=app-reader --query "tags.\"touched-by\"" -o tsv)
	local body='{"properties":{"roleDefinitionId":"/subscriptions/'$SUB1'/providers/Microsoft.Authorization/roleDefinitions/'$CLI_CONTRIBUTOR'","principalId":"'$CLI_READER_OID'","principalType":"ServicePrincipal"}}'
	expect_words az-rest-role-definition-list "Contributor $CLI_CONTRIBUTOR BuiltInRole" \
		az_as owner rest --url "$arm/subscriptions/$SUB1/providers/Microsoft.Authorization/roleDefinitions?$api&\$filter=roleName%20eq%20'Contributor'" \
		--query "value[].[properties.roleName, name, properties.type]" -o tsv
	expect_words az-role-story-reader-refused "refused=AuthorizationFailed" az_refused reader AuthorizationFailed "${write[@]}"
	expect_words az-rest-role-assignment-create "$CLI_READER_OID ServicePrincipal $rg" \
		az_as owner rest --method put --url "$arm$ra?$api" --body "$body" \
		--query "[properties.principalId, properties.principalType, properties.scope]" -o tsv
	expect_words az-rest-role-assignment-exists "refused=RoleAssignmentExists" \
		az_refused owner RoleAssignmentExists rest --method put --url "$arm$rg/providers/Microsoft.Authorization/roleAssignments/7a1d2d54-6b2c-4d66-8e4f-2f3a4b5c6d7e?$api" --body "$body"
	expect_words az-rest-role-assignment-list "$ra" \
		az_as owner rest --url "$arm$rg/providers/Microsoft.Authorization/roleAssignments?$api&\$filter=assignedTo('$CLI_READER_OID')" \
		--query "value[?ends_with(properties.roleDefinitionId, '$CLI_CONTRIBUTOR')].id" -o tsv
	expect_words az-role-story-reader-allowed "app-reader" az_as reader "${write[@]}"
	expect_words az-rest-role-assignment-delete "$ra" az_as owner rest --method delete --url "$arm$ra?$api" --query id -o tsv
	expect_words az-rest-role-assignment-get-after-delete "refused=RoleAssignmentNotFound" \
		az_refused owner RoleAssignmentNotFound rest --url "$arm$ra?$api"
	expect_words az-role-story-reader-refused-again "refused=AuthorizationFailed" az_refused reader AuthorizationFailed "${write[@]}"
}

# Debian's azure-mgmt-resource and azure-mgmt-authorization with
# ManagedIdentityCredential, unmodified (IMDS and management.azure.com).
scenarios_cli_python_mgmt() {
	local py=("$PY" "$HERE/python/run_mgmt.py") rg=/subscriptions/$SUB1/resourceGroups/rg-web
	expect_words python-azure-mgmt-resource-generic \
		"created=pystore:Microsoft.Storage/storageAccounts:Succeeded get=True:python:TLS1_2 listed=pystore
		after-delete=404:ResourceNotFound" \
		in_ns "${py[@]}" resources "$rg/providers/Microsoft.Storage/storageAccounts/pystore"
	expect_words python-azure-mgmt-authorization-story \
		"definitions=Contributor:$CLI_CONTRIBUTOR:BuiltInRole reader-write-before=403:AuthorizationFailed
		assigned=True:$CLI_READER_OID:$rg listed=True reader-write-assigned=ok:python-reader deleted=True
		after-delete=404:RoleAssignmentNotFound reader-write-after=403:AuthorizationFailed" \
		in_ns "${py[@]}" rbac "$rg" "$CLI_READER_CID" "$CLI_READER_OID"
}

# Key Vault at its real name (https://kvcli.vault.azure.net, mapped to
# loopback in the namespace; the emulator serves vaults there on its ARM
# listener): an RBAC vault made with az resource create, azure-keyvault-secrets
# refused while the system identity (Owner, no data actions) lacks a data
# role, the role assigned at the vault with az rest, then set/get, and the
# reader refused.
scenarios_cli_keyvault() {
	local name=python-azure-keyvault-secrets-rbac-real-name
	local id=/subscriptions/$SUB1/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/$CLI_VAULT
	local url=https://$CLI_VAULT.vault.azure.net
	grep -q "$CLI_VAULT.vault.azure.net" "/etc/netns/$NS/hosts" ||
		printf '127.0.0.1\t%s.vault.azure.net\n' "$CLI_VAULT" >>"/etc/netns/$NS/hosts"
	# vaultUri names the loopback form (the emulator does not know that this
	# client reaches it at the real names); the data plane answers both.
	expect_words az-resource-create-vault "$CLI_VAULT https://$CLI_VAULT$(env_value AZMSI_KEYVAULT_DNS_SUFFIX)/ true" \
		az_as owner resource create --id "$id" --location westeurope \
		--properties '{"tenantId":"'$TENANT'","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":true}' \
		--query "[name, properties.vaultUri, properties.enableRbacAuthorization]" -o tsv
	local kv=("$PY" "$HERE/python/run_keyvault.py" "$url")
	expect_words "$name-without-role" "status=403 code=Forbidden" in_ns "${kv[@]}"
	expect_words az-rest-role-assignment-vault "$CLI_SYS_OID $id" \
		az_as owner rest --method put --url "https://management.azure.com$id/providers/Microsoft.Authorization/roleAssignments/8b2e3e65-7c3d-4e77-9f50-3a4b5c6d7e8f?api-version=2022-04-01" \
		--body '{"properties":{"roleDefinitionId":"/subscriptions/'$SUB1'/providers/Microsoft.Authorization/roleDefinitions/'$CLI_SECRETS_OFFICER'","principalId":"'$CLI_SYS_OID'","principalType":"ServicePrincipal"}}' \
		--query "[properties.principalId, properties.scope]" -o tsv
	expect_words "$name-set-get" "name=py-secret value=s3cr3t-python" in_ns "${kv[@]}"
	expect_words "$name-reader-refused" "status=403 code=Forbidden" in_ns "${kv[@]}" "client_id=$CLI_READER_CID"
}

# IMDS at 169.254.169.254, ARM (and vaults at their real names) at
# management.azure.com / 127.0.0.1:443.
scenarios_cli_arm() {
	if ! start_ns_emulator emulator-cli --imds-addr 169.254.169.254:80 --config "$CLI_WORLD"; then
		fail cli-emulator "emulator did not start" "$WORK/log/emulator-cli.log"
		return
	fi
	rm -rf "$WORK/azure-owner" "$WORK/azure-reader"
	expect_words az-login-identity-owner "$SUB1" az_as owner login --identity --query "[].id" -o tsv
	expect_words az-login-identity-reader "$SUB1" az_as reader login --identity --username "$CLI_READER_CID" --query "[].id" -o tsv
	scenarios_cli_az_resources
	scenarios_cli_az_roles
	scenarios_cli_python_mgmt
	scenarios_cli_keyvault
	stop_emulator
}

# azure-identity 1.13.0b2 has no WorkloadIdentityCredential; its
# ManagedIdentityCredential exchanges the projected token itself (token
# exchange) when AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and
# AZURE_AUTHORITY_HOST are set. The emulator's Entra endpoint and token file.
scenarios_cli_python_workload() {
	local name=python-azure-identity-workload
	selected "$name" || return 0
	if ! start_ns_emulator emulator-cli-workload --host workload --imds-addr 127.0.0.1:0; then
		fail "$name" "emulator did not start with --host workload" "$WORK/log/emulator-cli-workload.log"
		return
	fi
	local v
	NS_EXTRA_ENV=()
	for v in AZURE_FEDERATED_TOKEN_FILE AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_AUTHORITY_HOST; do
		NS_EXTRA_ENV+=("$v=$(env_value "$v")")
	done
	expect_flow "$name" "$SUB1" "$SUB1_GROUPS" in_ns "$PY" "$HERE/python/run_identity.py" system
	NS_EXTRA_ENV=()
	stop_emulator
}

# az login --identity on the hosts az 2.45 knows besides IMDS (msrestazure's
# MSI_ENDPOINT forms: App Service 2017-09-01 with MSI_SECRET, Cloud Shell),
# at the fixed ports of emulator/container/env.
scenarios_cli_az_hosts() {
	local h addr
	for h in appservice2017=127.0.0.1:41057 cloudshell=127.0.0.1:41059; do
		addr=${h#*=}
		h=${h%%=*}
		selected "az-login-identity-$h" || continue
		if ! start_ns_emulator "emulator-cli-$h" --host "$h=$addr" --imds-addr 127.0.0.1:0; then
			fail "az-login-identity-$h" "emulator did not start with --host $h=$addr" "$WORK/log/emulator-cli-$h.log"
			continue
		fi
		local ep secret
		ep=$(env_value MSI_ENDPOINT)
		secret=$(env_value MSI_SECRET)
		case $ep in
		http://$addr/*) ;;
		*)
			fail "az-login-identity-$h" "MSI_ENDPOINT '$ep' is not at the fixed address $addr" "$EMU_ENV"
			stop_emulator
			continue
			;;
		esac
		rm -rf "$WORK/azure-$h"
		local hostenv=(env MSI_ENDPOINT="$ep") site
		site=$(env_value APPSETTING_WEBSITE_SITE_NAME) # msrestazure's App Service test
		[ -n "$secret" ] && hostenv+=(MSI_SECRET="$secret")
		[ -n "$site" ] && hostenv+=(APPSETTING_WEBSITE_SITE_NAME="$site")
		CLI_HOST_ENV=("${hostenv[@]}")
		expect_words "az-login-identity-$h" "$SUB1" az_as "$h" login --identity --query "[].id" -o tsv
		expect_words "az-group-list-$h" "$SUB1_GROUPS" az_as "$h" group list --query "[].name" -o tsv
		if [ "$h" = appservice2017 ]; then
			rm -rf "$WORK/azure-$h"
			expect_words "az-login-identity-$h-client_id" "$SUB1 $SUB2" az_as "$h" login --identity --username "$UAMI_CID" --query "[].id" -o tsv
			expect_words "az-account-show-$h-client_id" "MSIClient-$UAMI_CID" az_as "$h" account show --query "user.assignedIdentityInfo" -o tsv
		fi
		CLI_HOST_ENV=()
		stop_emulator
	done
}

scenarios_cli() {
	local t0=$SECONDS
	scenarios_cli_arm
	scenarios_cli_python_workload
	scenarios_cli_az_hosts
	say "CLI scenarios (az, Python) took $((SECONDS - t0))s"
}
