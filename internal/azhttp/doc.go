// Package azhttp holds the HTTP conventions that azmsi's Azure clients
// (identity, arm) share, so that each is decided once: how a server's
// Retry-After is read, what a client request ID looks like, how a wait
// honours a context and a test clock, how long strings are clipped for
// messages, and which version the User-Agent and `azmsi version` report.
//
// It has no state beyond the version computed once, and imports only the
// standard library.
package azhttp
