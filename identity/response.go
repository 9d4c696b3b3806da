package identity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

// looksForeign reports an answer that cannot come from a managed-identity
// endpoint: a redirect, or a non-empty body that is not a JSON object (an
// HTML captive portal or proxy page), or the 403 "unreachable" of Docker
// Desktop's proxy (protocols.md §3.3).
func looksForeign(ex *exchange) bool {
	if ex.status >= 300 && ex.status < 400 {
		return true
	}
	if ex.status == http.StatusForbidden && strings.Contains(strings.ToLower(string(ex.body)), "unreachable") {
		return true
	}
	b := bytes.TrimSpace(ex.body)
	return len(b) > 0 && b[0] != '{'
}

// describeForeign says what was seen instead of the endpoint, quoting at most
// 80 sanitized characters and nothing at all if the body might hold a token.
func describeForeign(ex *exchange, want string) string {
	if ex.status >= 300 && ex.status < 400 {
		return fmt.Sprintf("the endpoint answered %d with a redirect to %q; redirects are never followed", ex.status, sanitize(ex.header.Get("Location"), 120))
	}
	if ex.status == http.StatusForbidden && strings.Contains(strings.ToLower(string(ex.body)), "unreachable") {
		return fmt.Sprintf("the endpoint answered 403 saying the metadata address is unreachable (a local proxy such as Docker Desktop's, not IMDS): %q", sanitize(string(ex.body), 160))
	}
	ct := ex.header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	}
	if ct == "" {
		ct = "no content type"
	}
	snippet := "<body withheld>"
	if !mayHoldToken(ex.body) {
		snippet = fmt.Sprintf("%q", sanitize(string(ex.body), 80))
	}
	return fmt.Sprintf("the endpoint answered %d with %s, not %s: %s", ex.status, sanitize(ct, 60), want, snippet)
}

// wireError is the union of error bodies: IMDS/OAuth {"error",
// "error_description"}, the IMDS metadata {"error":"<message>"} and App
// Service's {"statusCode","message","correlationId"}.
type wireError struct {
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
	Message          string          `json:"message"`
	CorrelationID    string          `json:"correlationId"`
}

// authError maps a non-2xx exchange to *AuthError.
func (c *Credential) authError(ex *exchange, resource string) *AuthError {
	info := c.src.info()
	e := &AuthError{
		Source:     info.Name,
		StatusCode: ex.status,
		RequestID:  sanitize(c.redactSecrets(ex.header.Get("x-ms-request-id")), 64),
		ID:         c.id,
		Resource:   resource,
		Attempts:   ex.tries,
		host:       c.src.hostNoun(),
	}
	var w wireError
	if json.Unmarshal(ex.body, &w) == nil {
		if code, ok, _ := rawString(w.Error); ok {
			e.Code = sanitize(c.redactSecrets(code), 80)
		} else if len(w.Error) > 0 && w.Error[0] == '{' {
			// {"error":{"code":…,"message":…}} as Azure front ends send.
			// Service Fabric adds correlationId inside.
			var inner struct {
				Code, Message string
				CorrelationID string `json:"correlationId"`
			}
			if json.Unmarshal(w.Error, &inner) == nil {
				e.Code, w.Message = sanitize(c.redactSecrets(inner.Code), 80), inner.Message
				if w.CorrelationID == "" {
					w.CorrelationID = inner.CorrelationID
				}
			}
		}
		desc := w.ErrorDescription
		if desc == "" {
			desc = w.Message
		}
		// Redact before clipping: a clipped secret would no longer match.
		e.Description = sanitize(c.redactSecrets(desc), 300)
		if e.RequestID == "" {
			e.RequestID = sanitize(c.redactSecrets(w.CorrelationID), 64)
		}
	}
	if ex.status == http.StatusBadRequest && !c.id.IsUserAssigned() && isIdentityNotFound(e.Code, e.Description) {
		e.unavailable = true // a VM without system-assigned identity: no managed identity here
	}
	return e
}

// tokenFromExchange turns the final exchange of an acquisition into a token
// or an error, and checks that the token is for the requested identity.
func (c *Credential) tokenFromExchange(ex *exchange, resource string, now time.Time) (Token, error) {
	name := c.src.info().Name
	if looksForeign(ex) {
		return Token{}, unavailableError(name, c.endpoint(), "%s", c.redactSecrets(describeForeign(ex, "a token")))
	}
	if ex.status != http.StatusOK {
		return Token{}, c.authError(ex, resource)
	}
	r, err := parseTokenResponse(ex.body, now)
	if err != nil {
		return Token{}, fmt.Errorf("identity: %s at %s returned an unusable token response: %v", name, c.endpoint(), err)
	}
	if !r.ExpiresOn.After(now) {
		return Token{}, fmt.Errorf("identity: %s at %s returned a token that expired at %s (now %s); check the clock of this machine", name, c.endpoint(), r.ExpiresOn.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if ec, ok := c.src.(echoChecker); ok {
		if err := ec.checkEcho(c.id, r); err != nil {
			return Token{}, err
		}
	}
	if err := checkIdentity(c.id, r.AccessToken, name); err != nil {
		return Token{}, err
	}
	if r.Resource == "" {
		r.Resource = resource
	}
	return r.Token, nil
}

// checkIdentity verifies, without trusting it further, that a token issued
// for a user-assigned identity names that identity (appid, oid or
// xms_mirid). xms_mirid is issued only for some audiences (protocols.md
// §11), so an absent xms_mirid is accepted; absent appid/oid are not, as
// every managed-identity token carries them.
func checkIdentity(id ID, accessToken, source string) error {
	if !id.IsUserAssigned() {
		return nil
	}
	cl, err := ParseClaims(accessToken)
	if err != nil {
		return fmt.Errorf("identity: %s returned a token that is not a JWT, so it cannot be checked against the requested %s", source, id)
	}
	var got, claim string
	switch id.Kind() {
	case ClientIDKind:
		got, claim = cl.AppID, "appid"
	case ObjectIDKind:
		got, claim = cl.ObjectID, "oid"
	case ResourceIDKind:
		if cl.MIResourceID == "" {
			return nil
		}
		got, claim = cl.MIResourceID, "xms_mirid"
	}
	if !strings.EqualFold(got, id.Value()) {
		if got == "" {
			got = "none"
		}
		return fmt.Errorf("identity: %s returned a token for a different identity: asked %s, got %s %s", source, id, claim, sanitize(got, 300))
	}
	return nil
}
