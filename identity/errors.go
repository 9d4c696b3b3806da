package identity

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrUnavailable is matched (errors.Is) by every error meaning "there is no
// managed-identity endpoint here": connection refused, no route, dial
// timeout, an answer that is not from a managed-identity endpoint (an HTML
// page, a proxy's 403), or a VM without the system-assigned identity. Callers
// trying several credentials move on to the next one on this error.
var ErrUnavailable = errors.New("managed identity is unavailable")

// AuthError is an error response from a managed-identity endpoint. Its
// message is actionable and never contains a token or a secret.
type AuthError struct {
	Source      string // "IMDS", later "App Service", "Azure Arc", …
	StatusCode  int
	Code        string // wire "error"
	Description string // wire "error_description" (sanitized, clipped)
	RequestID   string // x-ms-request-id response header, if any
	ID          ID     // the identity requested
	Resource    string
	Attempts    int // requests sent before giving up (1 when the status is not retried)

	host        string // "VM", "app", … for messages
	unavailable bool   // also matches ErrUnavailable
	explained   string // the source's own message (errorExplainer), if any
}

// Unwrap returns ErrUnavailable when the response means managed identity is
// not usable here (e.g. no system-assigned identity on this VM).
func (e *AuthError) Unwrap() error {
	if e.unavailable {
		return ErrUnavailable
	}
	return nil
}

// Error explains what went wrong and what to do.
func (e *AuthError) Error() string {
	if e.explained != "" {
		return e.explained
	}
	host := e.host
	if host == "" {
		host = "host"
	}
	wire := e.wire()
	switch {
	case e.StatusCode == 400 && e.ID.IsUserAssigned() && isIdentityNotFound(e.Code, e.Description):
		return fmt.Sprintf("user-assigned identity with %s is not assigned to this %s (%s); assign it to the %s or check the ID", e.ID, host, wire, host)
	case e.StatusCode == 400 && isIdentityNotFound(e.Code, e.Description):
		return fmt.Sprintf("no system-assigned identity is enabled on this %s (%s); enable it, or select a user-assigned identity with ClientID, ObjectID or ResourceID", host, wire)
	case e.StatusCode == 400 && strings.EqualFold(e.Code, "invalid_resource"):
		return fmt.Sprintf("%s does not know resource %q (%s); check the scope or resource URI", e.Source, e.Resource, wire)
	case e.StatusCode == 400 && strings.HasPrefix(strings.ToLower(e.Code), "bad_request_102"):
		return fmt.Sprintf("%s rejected the request as not coming from a metadata client (%s); something between this program and the endpoint strips the Metadata header", e.Source, wire)
	case e.StatusCode == 403 || e.StatusCode == 401:
		return fmt.Sprintf("%s refused a token for resource %q to %s identity (%s)", e.Source, e.Resource, e.ID, wire)
	}
	if e.Attempts > 1 {
		return fmt.Sprintf("%s failed to issue a token for resource %q to %s identity (%s) on all %d attempts; the endpoint kept failing: try again later, or give the credential a larger retry budget (Options.RetryBudget)", e.Source, e.Resource, e.ID, wire, e.Attempts)
	}
	return fmt.Sprintf("%s failed to issue a token for resource %q to %s identity (%s)", e.Source, e.Resource, e.ID, wire)
}

// wire renders "IMDS 400 invalid_request: Identity not found, request ID x".
func (e *AuthError) wire() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d", e.Source, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.RequestID != "" {
		b.WriteString(", request ID " + e.RequestID)
	}
	return b.String()
}

func isIdentityNotFound(code, desc string) bool {
	return strings.EqualFold(code, "invalid_request") && strings.Contains(strings.ToLower(desc), "identity not found") ||
		strings.EqualFold(code, "identity_not_found")
}

// unavailableError builds an ErrUnavailable with what was seen.
func unavailableError(source, endpoint, format string, args ...any) error {
	return fmt.Errorf("%w: %s at %s: %s", ErrUnavailable, source, endpoint, fmt.Sprintf(format, args...))
}

// jwtLike matches a compact JWS (and so any MI access token) or a long opaque
// secret-looking run, which sanitize replaces.
var jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*\.?[A-Za-z0-9_\-]*|eyJ[A-Za-z0-9_\-]{8,}`)

// sanitize makes untrusted response text safe to put in an error: JWT-like
// runs redacted, control characters replaced, whitespace collapsed, clipped
// to n runes.
func sanitize(s string, n int) string {
	s = jwtLike.ReplaceAllString(s, redacted)
	var b strings.Builder
	space := false
	count := 0
	for i := 0; i < len(s) && count < n; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			r = '?'
		case unicode.IsSpace(r):
			if space {
				continue
			}
			r, space = ' ', true
		case !unicode.IsPrint(r):
			r = '?'
		}
		if r != ' ' {
			space = false
		}
		b.WriteRune(r)
		count++
		if count == n && i < len(s) {
			b.WriteString("…")
		}
	}
	return strings.TrimSpace(b.String())
}

// mayHoldToken reports whether a body that failed to parse could still carry
// a token (e.g. truncated JSON), in which case no part of it may be quoted.
func mayHoldToken(body []byte) bool {
	s := string(body)
	return strings.Contains(s, "access_token") || strings.Contains(s, "eyJ") || strings.Contains(s, "token")
}
