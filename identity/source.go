package identity

import (
	"context"
	"net/http"
	"strings"
)

// How to add a host (App Service, Cloud Shell, Arc, Service Fabric, Azure ML…):
//
//  1. Create source_<host>.go with a type implementing source. It only knows
//     its wire protocol: how to build a token request for a resource and an
//     ID (URL, query names such as client_id vs clientid, secret headers),
//     which ID kinds the host accepts, its retry policy, and the noun used in
//     messages ("app", "Arc machine").
//  2. Teach selectSource (credential.go) to detect it, from Options (a future
//     Options.Host) or the environment read through Options.Getenv, and fill
//     SourceInfo.Reason with why it was chosen.
//  3. Everything else is shared and must not be duplicated: the cache,
//     single-flight, proactive refresh, the retry loop (send), reading and
//     capping bodies, parsing the token (parseTokenResponse accepts every
//     known shape), mapping errors to *AuthError / ErrUnavailable, the
//     identity check and redaction.
//  4. A host needing a second round trip (Arc's 401 challenge with a key
//     file) should add an optional interface, e.g.
//     `type challenger interface{ answer(ctx, *exchange) (*http.Request, error) }`,
//     consulted by Credential.acquire after a 401, rather than growing this one.
//  5. Secrets a source sends (IDENTITY_HEADER, Arc keys) go only in request
//     headers; send never logs headers or bodies.

// SourceInfo describes the endpoint a Credential talks to.
type SourceInfo struct {
	Name     string // "IMDS", "App Service", "Azure Arc", …
	Host     string // HostIMDS, HostAppService, … (see Hosts)
	Endpoint string // base URL, e.g. http://169.254.169.254
	Reason   string // why this source and endpoint were chosen
}

// source is one managed-identity protocol.
type source interface {
	info() SourceInfo
	// hostNoun names the host in messages: "VM", "app", …
	hostNoun() string
	// supports reports whether the host can select identities of kind k.
	supports(k IDKind) bool
	// tokenRequest builds one attempt's request. It is called again for each
	// retry, so it must not consume one-shot state.
	tokenRequest(ctx context.Context, resource string, id ID) (*http.Request, error)
	retryPolicy() retryPolicy
}

// instanceSource is implemented by sources that also serve instance metadata.
type instanceSource interface {
	instanceRequest(ctx context.Context) (*http.Request, error)
}

// secretHolder is implemented by sources that send a secret (a header
// value, an Arc key); redactSecrets removes them from any text taken from a
// response, in case an endpoint echoes them back.
type secretHolder interface {
	secrets() []string
}

func (c *Credential) redactSecrets(s string) string {
	sh, ok := c.src.(secretHolder)
	if !ok {
		return s
	}
	for _, sec := range sh.secrets() {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}
