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
//     with a claims challenge (CAE revocation, conditional access). It is
//     passed on as identity.TokenOptions.Claims: identity bypasses its cache
//     and, on hosts that cache tokens themselves and can replace one (Service
//     Fabric; App Service with api-version 2025-03-30), sends xms_cc=cp1 and
//     the SHA-256 of the rejected token so that the host issues a new one;
//     elsewhere it is a forced refresh. The claims text itself goes nowhere:
//     managed-identity endpoints take none.
//   - EnableCAE: ignored; the client capability (xms_cc=cp1) is declared
//     only on the request that replaces a rejected token, where the host
//     supports it.
//   - TenantID: ignored; a managed identity belongs to exactly one tenant and
//     its endpoint takes no tenant parameter (azidentity ignores it too).
package azcompat
