// Package arm is a small Azure Resource Manager client for managed identities.
//
// It covers what azmsi needs and no more: listing and reading subscriptions,
// the resource-group lifecycle (list, get, exists, create or update, update
// tags, delete as a long-running operation), raw requests for `azmsi rest`
// (Do, DoPages, PollerFromResponse) and a resource ID parser.
//
// A Client sends every request with a bearer token for the cloud's ARM
// audience (not for the endpoint URL, so a token from the emulator or the real
// service has the audience ARM expects), an x-ms-client-request-id, a
// User-Agent and an api-version. It refuses to send a token over plain HTTP
// except to a loopback address when Options.AllowInsecureLoopback is set, and
// it never follows a nextLink or polling URL to another host.
//
// Transient failures (408, 429, 5xx, connection resets) are retried with
// exponential back-off and full jitter, honouring Retry-After; a 401 that says
// the token expired or is invalid causes exactly one forced token refresh.
// Failures come back as *ResponseError, whose message says what to do, and
// never contain the token.
package arm
