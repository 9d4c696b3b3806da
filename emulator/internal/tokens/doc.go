// Package tokens is the emulator's token authority: the RS256 signing key
// (kept under the state directory across restarts) and its JWKS, minting
// of managed-identity access tokens, the per-identity token cache that
// IMDS-style hosts share, identity selection by client id, object id or
// resource id, and verification of bearer tokens the way ARM checks them,
// with a cache of tokens whose signature was already checked.
package tokens
