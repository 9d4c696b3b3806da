// Package broker is an IMDS-compatible caching token endpoint for a whole
// host: run one broker (azmsi broker) and point every process at it instead
// of the managed-identity endpoint, and they share one cache.
//
// The broker serves GET /metadata/identity/oauth2/token exactly as IMDS
// does (protocols.md §3: api-version, resource, client_id / object_id /
// msi_res_id / mi_res_id, the "Metadata: true" check, string-valued
// expires_in / expires_on / not_before, the resource and selector echoed).
// Behind it, one identity.Credential per identity — for whatever host the
// broker runs on — does the caching (one token per identity and resource),
// the single-flight and the on-demand refresh; the broker adds:
//
//   - proactive refresh: a goroutine refreshes every token RefreshAhead
//     before its RefreshOn, so no client waits for a refresh;
//   - an upstream limiter shared by every credential: at most UpstreamRate
//     requests started in any second and UpstreamConcurrency in flight
//     (IMDS's documented 20/s and 5), however many clients ask;
//   - pass-through of upstream errors (status, error, error_description);
//     still-valid cached tokens keep being served while upstream is down;
//   - GET /_broker/stats: counters and token timing, never a token.
//
// # Security
//
// Anyone who can reach the broker gets its tokens, exactly as anyone on a
// VM can ask IMDS. The broker therefore listens only on loopback TCP or on
// a Unix socket, whose file mode (0660 by default) is the access control;
// it refuses non-loopback TCP peers, requests carrying X-Forwarded-For or
// Forwarded (a proxy in the path) and requests without "Metadata: true"
// (which a browser cannot send cross-origin without a preflight the broker
// never grants). AllowIdentities limits which identities it hands out. It
// never logs a token.
package broker
