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
// # Roles
//
// Every ARM request is authorized by its action (for example
// Microsoft.Resources/subscriptions/resourcegroups/write) against the role
// assignments at its scope and above, with the built-in roles' real
// permissions; Key Vault's data plane asks for data actions the same way.
// Role definitions and assignments are served at every scope
// ({scope}/providers/Microsoft.Authorization/roleDefinitions|roleAssignments),
// seeded from the Config's roleAssignments, kept in StateDir when there is
// one, and applied after Options.RBACDelay. See docs/rbac.md.
//
// # Hosts
//
// IMDS always runs. Options.Hosts adds the other managed-identity hosts,
// each on its own loopback listener with its own protocol, secret and error
// shapes: App Service (appservice: IDENTITY_ENDPOINT/IDENTITY_HEADER), its
// 2017-09-01 protocol (appservice2017) and Azure ML (azureml:
// MSI_ENDPOINT/MSI_SECRET), Cloud Shell (cloudshell: form POST), Azure Arc
// (arc: a 401 challenge naming a one-time key file in Options.ArcKeyDir)
// and Service Fabric (servicefabric: HTTPS with a self-signed certificate
// pinned by thumbprint). Hosts and HostEnv describe them; every host mints
// from the same identities, signing key and token cache.
//
// # Faults
//
// Options.Faults (ParseFaults, SetFaults, /_emulator/faults) makes any
// family — imds, each host, arm — fail on purpose: error statuses in the
// family's shape, connection resets, truncated bodies, HTML gateway pages,
// tokens for the wrong identity, latency, a 410 window and a down window
// (nothing listening). Draws are seeded per family, so a seed and a request
// order reproduce the same faults; windows follow Options.Clock. See
// docs/reliability.md.
//
// # Layout
//
// This package is a façade: each service lives in its own package under
// emulator/internal (config, tokens, imds, hosts, arm, roles, store,
// faults, tlsca) and gets its dependencies through its constructor. The
// one route table, routes.go, maps every path of every listener to its
// handler; Handler serves IMDS, ARM and the control routes without a
// socket. docs/design.md draws the import graph.
//
// The emulator hands out tokens to anyone who can reach it, so it binds to
// loopback addresses unless Options.AllowNonLoopback is set. Where the wire
// protocols are not documented the emulator's choice is marked "unverified"
// in comments; see protocols.md in the project's spec.
package emulator
