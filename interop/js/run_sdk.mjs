// The JavaScript SDK from npm, unmodified, against whatever answers at the
// real Azure addresses: the interop suite runs this inside its network
// namespace, where 169.254.169.254, management.azure.com,
// login.microsoftonline.com and the vault names are the emulator, and
// NODE_EXTRA_CA_CERTS trusts the emulator's CA. No client option points at
// the emulator. Each subcommand prints KEY=VALUE lines the suite compares.
//
// usage: node run_sdk.mjs arm|rbac|secrets|workload|claims [ARGS]
//   arm [GROUP]               subscriptions, a group, a generic resource by ID (create, get, list, delete)
//   rbac [GROUP]              role definitions; Reader refused, Contributor assigned, write passes, revoked, refused
//   secrets VAULT VALUE       a vault through ARM; refused without a data role; set/get/list with one
//   workload                  WorkloadIdentityCredential, DefaultAzureCredential, ManagedIdentityCredential in a pod
//   claims                    ManagedIdentityCredential on the host the environment names; a claims request
import { randomUUID } from "node:crypto";
import {
  DefaultAzureCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { ResourceManagementClient } from "@azure/arm-resources";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { SecretClient } from "@azure/keyvault-secrets";
import { ManagedIdentityApplication } from "@azure/msal-node";

// The emulator's default world (emulator/internal/config/default.json).
const sub1 = "00000000-0000-0000-0000-000000000001";
const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const readerCID = "33333333-3333-3333-3333-333333333333";
const readerOID = "33333333-3333-3333-3333-aaaaaaaaaaaa";
const systemOID = "11111111-1111-1111-1111-aaaaaaaaaaaa";
const contributorRole = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const secretsOfficerRole = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
const storageAPI = "2025-01-01"; // the suite's world makes storage accounts asynchronous
const keyVaultAPI = "2024-11-01";
const armScope = "https://management.azure.com/.default";

const say = (key, value) => console.log(`${key}=${value}`);

// refusal is "STATUS:CODE" of a REST error; anything else is rethrown.
async function refusal(p) {
  try {
    await p;
  } catch (e) {
    if (e.statusCode) return `${e.statusCode}:${e.code ?? ""}`;
    throw e;
  }
  throw new Error("the request succeeded, want a refusal");
}

async function collect(iter, f) {
  const out = [];
  for await (const x of iter) out.push(f(x));
  return out.sort();
}

const roleDefinitionId = (id) => `/subscriptions/${sub1}/providers/Microsoft.Authorization/roleDefinitions/${id}`;

async function assign(auth, scope, role, principal, name = randomUUID()) {
  return auth.roleAssignments.create(scope, name, {
    roleDefinitionId: roleDefinitionId(role),
    principalId: principal,
    principalType: "ServicePrincipal",
  });
}

async function arm(group = "rg-sdk-js") {
  const cred = new ManagedIdentityCredential();
  const subs = new SubscriptionClient(cred);
  for (const s of await collect(subs.subscriptions.list(), (s) => `${s.subscriptionId}:${s.state}`)) say("subscription", s);

  const rm = new ResourceManagementClient(cred, sub1);
  const g = await rm.resourceGroups.createOrUpdate(group, { location: "westeurope" });
  say("group", `${g.name}:${g.location}:${g.properties?.provisioningState}`);

  const id = `/subscriptions/${sub1}/resourceGroups/${group}/providers/Microsoft.Storage/storageAccounts/sdkjsstore`;
  const created = await rm.resources.beginCreateOrUpdateByIdAndWait(id, storageAPI, {
    location: "westeurope",
    kind: "StorageV2",
    sku: { name: "Standard_LRS" },
    tags: { app: "interop" },
    properties: { minimumTlsVersion: "TLS1_2" },
  }, { updateIntervalInMs: 500 });
  say("created", `${created.name}:${created.type}:${created.properties?.provisioningState}`);
  const got = await rm.resources.getById(id, storageAPI);
  say("get", got.id === id);
  say("get-tag", got.tags?.app);
  say("get-sku", got.sku?.name);
  say("listed", (await collect(rm.resources.listByResourceGroup(group), (r) => `${r.name}:${r.type}`)).join(","));
  await rm.resources.beginDeleteByIdAndWait(id, storageAPI, { updateIntervalInMs: 500 });
  say("after-delete", await refusal(rm.resources.getById(id, storageAPI)));
  await rm.resourceGroups.beginDeleteAndWait(group, { updateIntervalInMs: 500 });
  say("group-exists", (await rm.resourceGroups.checkExistence(group)).body);
}

async function rbac(group = "rg-web") {
  const owner = new ManagedIdentityCredential();
  const reader = new ManagedIdentityCredential({ clientId: readerCID });
  const auth = new AuthorizationManagementClient(owner, sub1);
  const subScope = `/subscriptions/${sub1}`;
  for (const d of await collect(auth.roleDefinitions.list(subScope, { filter: "roleName eq 'Contributor'" }),
    (d) => `${d.roleName}:${d.name}:${d.roleType}`)) say("definition", d);
  const d = await auth.roleDefinitions.get(subScope, contributorRole);
  say("definition-get", `${d.roleName}:${d.permissions[0].actions[0]}`);
  say("definition-excludes-role-assignment-writes", d.permissions[0].notActions.includes("Microsoft.Authorization/*/Write"));

  const groupScope = `${subScope}/resourceGroups/${group}`;
  const rm = new ResourceManagementClient(reader, sub1);
  const write = async (tag) => {
    try {
      await rm.resourceGroups.update(group, { tags: { "written-by": tag } });
      return "ok";
    } catch (e) {
      if (e.statusCode) return `${e.statusCode}:${e.code ?? ""}`;
      throw e;
    }
  };
  say("reader-write-before", await write("reader"));
  const name = randomUUID();
  const a = await assign(auth, groupScope, contributorRole, readerOID, name);
  say("assigned", a.name === name && a.scope.toLowerCase() === groupScope.toLowerCase());
  const listed = await collect(auth.roleAssignments.listForScope(groupScope, { filter: `principalId eq '${readerOID}'` }), (x) => x.name);
  say("listed-assignment", listed.filter((n) => n === name).length);
  say("reader-write-assigned", await write("contributor"));
  await auth.roleAssignments.delete(groupScope, name);
  say("deleted-assignment", await refusal(auth.roleAssignments.get(groupScope, name)));
  say("reader-write-after", await write("reader-again"));
}

async function secrets(vault = "kvsdkjs", value = "s3cret-value") {
  const cred = new ManagedIdentityCredential();
  const rm = new ResourceManagementClient(cred, sub1);
  const id = `/subscriptions/${sub1}/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/${vault}`;
  const v = await rm.resources.beginCreateOrUpdateByIdAndWait(id, keyVaultAPI, {
    location: "westeurope",
    properties: { tenantId: tenant, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
  }, { updateIntervalInMs: 500 });
  const uri = v.properties.vaultUri;
  say("vault", `${v.name}:${new URL(uri).hostname.split(".")[0]}`);
  const client = new SecretClient(uri, cred);
  say("set-without-role", await refusal(client.setSecret("db-password", value)));
  await assign(new AuthorizationManagementClient(cred, sub1), id, secretsOfficerRole, systemOID);
  const set = await client.setSecret("db-password", value, { contentType: "text/plain" });
  await client.setSecret("api-key", "k");
  say("set", `${set.name}:${set.properties.contentType}`);
  const got = await client.getSecret("db-password");
  say("get", `${got.name}:${got.value}`);
  say("get-version", (await client.getSecret("db-password", { version: set.properties.version })).value === value);
  say("listed", (await collect(client.listPropertiesOfSecrets(), (s) => s.name)).join(","));
  const rc = new SecretClient(uri, new ManagedIdentityCredential({ clientId: readerCID }));
  say("reader-get", await refusal(rc.getSecret("db-password")));
}

async function groups(cred) {
  const rm = new ResourceManagementClient(cred, sub1);
  return (await collect(rm.resourceGroups.list(), (g) => g.name)).join(",");
}

async function workload() {
  say("workload-groups", await groups(new WorkloadIdentityCredential()));
  say("default-groups", await groups(new DefaultAzureCredential()));
  say("managed-identity-groups", await groups(new ManagedIdentityCredential({ clientId: process.env.AZURE_CLIENT_ID })));
}

async function claims() {
  const cred = new ManagedIdentityCredential();
  const first = await cred.getToken(armScope);
  const again = await cred.getToken(armScope);
  say("cached", first.token === again.token ? "same" : "new");
  const challenge = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
  const challenged = await cred.getToken(armScope, { claims: challenge });
  say("claims", first.token === challenged.token ? "same" : "new");
  say("groups", await groups(cred));

  // msal-node (what @azure/identity runs on), used directly: with claims it
  // sends token_sha256_to_refresh of its cached token where the source
  // supports revocation (Service Fabric in 7.2), and xms_cc=cp1 from
  // clientCapabilities; the host then mints a new token.
  const app = new ManagedIdentityApplication({ clientCapabilities: ["cp1"] });
  const resource = "https://management.azure.com";
  const m1 = await app.acquireToken({ resource });
  const m2 = await app.acquireToken({ resource });
  const m3 = await app.acquireToken({ resource, claims: challenge });
  say("msal-cached", m1.accessToken === m2.accessToken ? "same" : "new");
  say("msal-claims", m1.accessToken === m3.accessToken ? "same" : "new");
  say("msal-xms_cc", [].concat(JSON.parse(Buffer.from(m3.accessToken.split(".")[1], "base64url")).xms_cc ?? "none").join(","));
}

const commands = { arm, rbac, secrets, workload, claims };
const [cmd, ...args] = process.argv.slice(2);
if (!commands[cmd]) {
  console.error("usage: node run_sdk.mjs arm|rbac|secrets|workload|claims [ARGS]");
  process.exit(2);
}
try {
  await commands[cmd](...args);
} catch (e) {
  console.error(`run_sdk ${cmd}:`, e.statusCode ? `${e.statusCode} ${e.code}: ${e.message}` : e);
  process.exit(1);
}
