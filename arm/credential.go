package arm

import (
	"context"
	"time"
)

// AccessToken is a bearer token for ARM. Its String method never reveals it.
type AccessToken struct {
	Token     string
	ExpiresOn time.Time
}

// String redacts the token so that printing an AccessToken by accident is safe.
func (t AccessToken) String() string {
	return "AccessToken{Token:<redacted>, ExpiresOn:" + t.ExpiresOn.UTC().Format(time.RFC3339) + "}"
}

// GoString redacts the token for %#v too.
func (t AccessToken) GoString() string { return t.String() }

// TokenCredential supplies ARM bearer tokens.
type TokenCredential interface {
	// ARMToken returns a token for resource, an ARM audience such as
	// "https://management.core.windows.net/". forceRefresh is true after ARM
	// answered 401 because the token was expired or invalid: the credential
	// must bypass its cache.
	ARMToken(ctx context.Context, resource string, forceRefresh bool) (AccessToken, error)
}

// ClaimsTokenCredential is a TokenCredential that can replace a token ARM
// rejected with a claims challenge (401, WWW-Authenticate: Bearer …
// claims="<base64>": a revoked token or changed permissions under
// continuous access evaluation). The client calls ARMTokenForClaims with
// the decoded claims and the rejected token instead of a forced refresh,
// once per request. FromIdentity's credential implements it.
type ClaimsTokenCredential interface {
	TokenCredential
	ARMTokenForClaims(ctx context.Context, resource, claims, rejected string) (AccessToken, error)
}

// TokenCredentialFunc adapts a function to TokenCredential.
type TokenCredentialFunc func(ctx context.Context, resource string, forceRefresh bool) (AccessToken, error)

// ARMToken calls f.
func (f TokenCredentialFunc) ARMToken(ctx context.Context, resource string, forceRefresh bool) (AccessToken, error) {
	return f(ctx, resource, forceRefresh)
}
