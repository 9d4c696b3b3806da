// Package keyvault is the emulator's Key Vault secrets data plane: an
// http.Handler that serves set, get, list, update, delete, recover and
// purge of secrets for every vault a Registry knows, with Key Vault's own
// authentication (the 401 challenge the SDKs parse), its authorization
// (RBAC data actions or access policies) and its error shape.
//
// A vault is named by the request's Host header, in one of two forms:
//
//   - {vault}.vault.azure.net — the real name, for clients in a network
//     namespace that resolves it to the emulator; the challenge names the
//     resource https://vault.azure.net.
//   - {vault}.vault.localhost[:port] — the loopback form; the challenge
//     names the resource https://vault.localhost[:port], so the challenge
//     verification of azsecrets (Go), @azure/keyvault-secrets (JS) and
//     azure-keyvault-secrets (Python), which require the vault host to end
//     with "." + the resource's host, passes without any client option.
//
// A path form (https://127.0.0.1:port/{vault}/secrets/…) was rejected: the
// SDKs parse a secret's name from the second path segment of its id, and
// Python refuses ids with more than three segments. See docs/keyvault.md.
//
// The handler depends on four small interfaces the emulator provides:
// TokenVerifier (bearer token → principal), Authorizer (RBAC data
// actions), Registry (vault name → tenant, RBAC flag, access policies) and
// Persister (durable secret records). Secret values never appear in a log
// line, an error message or a panic.
package keyvault
