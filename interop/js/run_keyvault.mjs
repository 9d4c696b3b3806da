// Key Vault secrets with @azure/keyvault-secrets and @azure/identity's
// ManagedIdentityCredential, unmodified.
//
// usage: node run_keyvault.mjs VAULT_URL [CLIENT_ID]
//
// Sets secret "js-secret" and reads it back, printing "value=<value>"; a
// refused caller prints "status=<HTTP status> code=<error code>". The
// credential finds the emulator's IMDS through
// AZURE_POD_IDENTITY_AUTHORITY_HOST; NODE_EXTRA_CA_CERTS trusts its CA; the
// vault is https://{vault}.vault.localhost:PORT, whose challenge passes the
// SDK's resource verification (left on).
import { ManagedIdentityCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";

const [vaultUrl, clientId] = process.argv.slice(2);
if (!vaultUrl) {
  console.error("usage: node run_keyvault.mjs VAULT_URL [CLIENT_ID]");
  process.exit(2);
}
const credential = clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
const client = new SecretClient(vaultUrl, credential);
try {
  await client.setSecret("js-secret", "s3cr3t-js");
  const secret = await client.getSecret("js-secret");
  console.log(`name=${secret.name}`);
  console.log(`value=${secret.value}`);
} catch (e) {
  if (e.statusCode) {
    console.log(`status=${e.statusCode} code=${e.code ?? ""}`);
  } else {
    console.error(e);
    process.exit(1);
  }
}
