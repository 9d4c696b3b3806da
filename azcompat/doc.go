// Package azcompat makes an azmsi managed-identity credential usable wherever
// the Azure SDK for Go expects an azcore.TokenCredential, so every SDK client
// (armresources, armsubscriptions, azblob, azkeys, ...) can authenticate with
// azmsi's host detection, retry and caching.
//
// It is the only package of azmsi that imports azcore: identity and arm stay
// free of the SDK, and programs that do not use the SDK do not pay for it.
//
// The adapter is thin on purpose. Caching, single-flight and proactive refresh
// already live in identity.Credential; a second cache here would only hide
// a force-refresh request from the one that matters.
//
// How azcore's token request options are handled:
//
//   - Scopes: exactly one scope is required (managed identity speaks the v1
//     "resource" dialect); the trailing "/.default" is removed by identity.
//   - Claims: a non-empty value means a resource rejected the current token
//     with a claims challenge (CAE revocation, conditional access). Managed
//     identity endpoints cannot embed claims, so the adapter does what it can:
//     it bypasses the cache and fetches a fresh token (TokenOptions.ForceRefresh).
//   - EnableCAE: ignored; managed identity endpoints issue no CAE tokens on
//     request, as in azidentity's ManagedIdentityCredential.
//   - TenantID: ignored; a managed identity belongs to exactly one tenant and
//     its endpoint takes no tenant parameter (azidentity ignores it too).
package azcompat
