// Package keyvaultclient is the small Key Vault secrets client behind
// `azmsi secret`: get, list and set a secret with a managed-identity token
// for https://vault.azure.net. Programs use the SDK's azsecrets with
// azcompat instead; this package exists so the CLI stays free of the SDK.
//
// A vault is named by its name (kv1 → https://kv1.vault.azure.net, or the
// suffix in $AZMSI_KEYVAULT_DNS_SUFFIX, which the emulator's env file
// sets) or by its URL. A token is only ever sent to a host of the Key
// Vault family: one ending in .vault.azure.net or in the configured
// suffix (AllowedHost); a nextLink elsewhere is refused. Hosts under
// .localhost are dialled on the loopback address (RFC 6761), since Go's
// resolver does not resolve them. Secret values never appear in an error
// or a log line.
package keyvaultclient
