package identity

import (
	"fmt"
	"log/slog"
	"time"
)

// Token is an access token for one resource.
//
// AccessToken is a bearer secret. String, GoString, Format (every fmt verb,
// including %v, %+v, %#v, %s and %q) and LogValue (log/slog) print
// "<redacted>" in its place, so logging or printing a Token never leaks it.
// json.Marshal deliberately keeps it (the azmsi CLI prints tokens on
// request); marshal a Token only where the token is meant to be shown.
type Token struct {
	AccessToken string
	Type        string    // "Bearer" when absent on the wire
	ExpiresOn   time.Time // absolute expiry
	RefreshOn   time.Time // when a proactive refresh is due (before ExpiresOn)
	Resource    string    // the resource the token was requested for
}

const redacted = "<redacted>"

// String returns a description of the token with AccessToken redacted.
func (t Token) String() string {
	return fmt.Sprintf("Token{Type:%s, Resource:%s, ExpiresOn:%s, RefreshOn:%s, AccessToken:%s}",
		t.Type, t.Resource, t.ExpiresOn.UTC().Format(time.RFC3339), t.RefreshOn.UTC().Format(time.RFC3339), t.redactedValue())
}

// GoString is the %#v form, with AccessToken redacted.
func (t Token) GoString() string {
	return fmt.Sprintf("identity.Token{AccessToken:%q, Type:%q, ExpiresOn:%q, RefreshOn:%q, Resource:%q}",
		t.redactedValue(), t.Type, t.ExpiresOn.UTC().Format(time.RFC3339), t.RefreshOn.UTC().Format(time.RFC3339), t.Resource)
}

// Format implements fmt.Formatter so that no verb can print AccessToken.
func (t Token) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, t.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", t.String())
	default:
		fmt.Fprint(f, t.String())
	}
}

// LogValue implements slog.LogValuer: slog.Any("token", tok) logs the
// metadata and "<redacted>" for AccessToken.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("type", t.Type),
		slog.String("resource", t.Resource),
		slog.Time("expires_on", t.ExpiresOn),
		slog.Time("refresh_on", t.RefreshOn),
		slog.String("access_token", t.redactedValue()),
	)
}

func (t Token) redactedValue() string {
	if t.AccessToken == "" {
		return ""
	}
	return redacted
}
