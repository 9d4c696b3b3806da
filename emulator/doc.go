// Package emulator is a local, in-process stand-in for the Azure endpoints a
// managed-identity client talks to: the Instance Metadata Service (tokens on
// /metadata/identity/oauth2/token, instance metadata on /metadata/instance)
// over plain HTTP, and a subset of Azure Resource Manager over HTTPS.
//
// It is a library first: Start(ctx, Options) returns a *Server with the
// endpoints' URLs, a CA certificate to trust, an *http.Client that trusts it
// and the environment variables that point unmodified clients (azmsi, the
// Azure SDKs, the Azure CLI) at it. The `azmsi emulator` command wraps it.
//
// Tokens are real RS256 JWTs shaped like managed-identity tokens (issuer
// https://sts.windows.net/<tenant>/, oid, appid, xms_mirid, …), signed with a
// key generated at start; the key is published as a JWKS at /_emulator/keys
// and /discovery/keys. ARM verifies those tokens like Azure does.
//
// The emulated world (tenant, VM, identities, subscriptions, resource groups,
// role assignments) is a JSON Config; DefaultConfig is the embedded
// default.json. Control routes under /_emulator/ on both listeners report
// health and counters, reset state and load a new configuration.
//
// The emulator hands out tokens to anyone who can reach it, so it binds to
// loopback addresses unless Options.AllowNonLoopback is set. Where the wire
// protocols are not documented the emulator's choice is marked "unverified"
// in comments; see protocols.md in the project's spec.
package emulator
