package tokens

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/httpx"
)

// ARMAudiences are the audiences ARM accepts in the public cloud
// (protocols.md §12.6).
var ARMAudiences = []string{
	"https://management.core.windows.net/",
	"https://management.core.windows.net",
	"https://management.azure.com/",
	"https://management.azure.com",
}

// Verified is a bearer token ARM accepted.
type Verified struct {
	Identity *config.Identity // from the current config, matched by oid
	Claims   map[string]any
	Audience string
}

// Error is why ARM rejects a token; Code is ARM's error code.
type Error struct {
	Code, Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ARM error codes for rejected tokens.
const (
	CodeInvalidToken    = "InvalidAuthenticationToken"
	CodeExpiredToken    = "ExpiredAuthenticationToken"
	CodeInvalidAudience = "InvalidAuthenticationTokenAudience"
	CodeInvalidTenant   = "InvalidAuthenticationTokenTenant"
)

// Verify checks a bearer token (without the "Bearer " prefix) the way
// ARM does: RS256 only, signed by our key, issued by our tenant, for an ARM
// audience, within its validity window, for a configured identity. The
// messages never contain the token.
func (a *Authority) Verify(raw string) (*Verified, *Error) {
	return a.VerifyFor(raw, func(aud string) bool { return slices.Contains(ARMAudiences, aud) })
}

// VerifyFor is Verify for a service with audiences of its own (Key Vault):
// accept judges the audience, nil accepts any (the caller then judges it,
// answering in its own error shape).
func (a *Authority) VerifyFor(raw string, accept func(aud string) bool) (*Verified, *Error) {
	invalid := func(msg string) *Error {
		return &Error{Code: CodeInvalidToken, Message: msg}
	}
	if raw == "" || strings.Count(raw, ".") != 2 {
		return nil, invalid("The access token is invalid: it is not a JWS compact serialization (header.payload.signature).")
	}
	claims, ok := a.verified.get(raw)
	if !ok {
		var terr *Error
		if claims, terr = a.verifySignature(raw); terr != nil {
			return nil, terr
		}
		a.verified.put(raw, claims)
	}
	cfg := a.config()
	iss, _ := claims["iss"].(string)
	wantIss := "https://sts.windows.net/" + cfg.TenantID + "/"
	if iss != wantIss {
		return nil, &Error{Code: CodeInvalidTenant, Message: fmt.Sprintf("The access token is from the wrong issuer '%s'. It must match the tenant 'https://sts.windows.net/%s/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/%s' to get the token.", httpx.Clip(iss), cfg.TenantID, cfg.TenantID)}
	}
	aud, _ := claims["aud"].(string)
	if accept != nil && !accept(aud) {
		return nil, &Error{Code: CodeInvalidAudience, Message: fmt.Sprintf("The access token has been obtained for wrong audience or resource '%s'. It should exactly match with one of the allowed audiences '%s'.", httpx.Clip(aud), strings.Join(ARMAudiences, "','"))}
	}
	now := a.now()
	exp, ok := numericClaim(claims, "exp")
	if !ok {
		return nil, invalid("The access token has no valid 'exp' claim.")
	}
	if !now.Before(exp) {
		return nil, &Error{Code: CodeExpiredToken, Message: fmt.Sprintf("The access token expiry UTC time '%s' is earlier than current UTC time '%s'.", armTime(exp), armTime(now))}
	}
	if nbf, ok := numericClaim(claims, "nbf"); ok && now.Before(nbf) {
		return nil, invalid(fmt.Sprintf("The access token is not yet valid: not before UTC time '%s', current UTC time '%s'.", armTime(nbf), armTime(now)))
	} else if _, present := claims["nbf"]; present && !ok {
		return nil, invalid("The access token has an invalid 'nbf' claim.")
	}
	oid, _ := claims["oid"].(string)
	id := cfg.IdentityByObjectID(oid)
	if oid == "" || id == nil {
		return nil, invalid("The access token's principal (oid) is not known to this tenant.")
	}
	return &Verified{Identity: id, Claims: claims, Audience: aud}, nil
}

func unverifiableReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "signing method"):
		return "only RS256 tokens are accepted."
	case strings.Contains(msg, "kid"):
		return "the signing key is not known."
	}
	return "unsupported token."
}

// numericClaim reads a NumericDate claim decoded with UseNumber.
func numericClaim(c jwt.MapClaims, name string) (time.Time, bool) {
	n, ok := c[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// armTime formats like ARM's error messages: "11/26/2025 11:12:13".
func armTime(t time.Time) string { return t.UTC().Format("01/02/2006 15:04:05") }

// verifySignature parses raw and checks its RS256 signature against the
// server's signing key; the claims are returned unvalidated.
func (a *Authority) verifySignature(raw string) (jwt.MapClaims, *Error) {
	invalid := func(msg string) *Error {
		return &Error{Code: CodeInvalidToken, Message: msg}
	}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation(), jwt.WithJSONNumber())
	claims := jwt.MapClaims{}
	_, err := p.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("the token header has no kid")
		}
		if err := a.keys.Wait(); err != nil {
			return nil, err
		}
		if kid != a.keys.kid {
			return nil, errors.New("the signing key (kid) is not known")
		}
		return &a.keys.key.PublicKey, nil
	})
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return nil, invalid("The access token signature is invalid.")
		case errors.Is(err, jwt.ErrTokenUnverifiable):
			return nil, invalid("The access token could not be verified: " + unverifiableReason(err))
		default:
			return nil, invalid("The access token is invalid: it could not be parsed.")
		}
	}
	return claims, nil
}
