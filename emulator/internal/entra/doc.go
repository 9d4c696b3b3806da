// Package entra emulates the two parties of AKS workload identity that sit
// outside the pod: the cluster's OIDC issuer, which signs the projected
// service-account token the kubelet writes into the pod, and Microsoft Entra
// ID's v2 token endpoint, which exchanges that token (a federated client
// assertion) for an access token of a user-assigned identity that trusts it.
//
// The parts are built from explicit dependencies and never reach into the
// rest of the emulator:
//
//   - Issuer holds its own RSA key, serves the OIDC discovery document and
//     JWKS, and mints projected tokens (iss, sub=system:serviceaccount:NS:NAME,
//     aud=api://AzureADTokenExchange, a one-hour exp, the kubernetes.io claim).
//   - Projector writes such a token to a file (mode 0600, atomically by
//     rename) and rewrites it at 80 % of its lifetime, as the kubelet does,
//     from a goroutine its owner stops with Close.
//   - Endpoint serves /{tenant}/oauth2/v2.0/token and the discovery documents
//     MSAL-based clients fetch first. It verifies the assertion against keys
//     found through an injected KeyLookup (never over HTTP) and the
//     identity's federated credentials found through an injected AppLookup,
//     and answers with a token from an injected MintFunc, or with Entra's
//     error shape and AADSTS codes.
//
// Faults (SetFaults on Projector and Endpoint) reproduce the failures users
// meet: an expired token file, rotation that stopped, a token for the wrong
// audience, an identity without a matching federated credential, and Entra
// answering 429 or 5xx.
//
// Where Entra's behaviour is not documented the choice made here is marked
// "unverified" (see docs/workload-identity.md and the project's
// protocols-2026.md §24).
package entra
