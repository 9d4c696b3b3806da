// Package tokentest signs JWTs by hand for the tests of the token
// authority and of ARM over HTTP: forged, tampered and edge-case tokens.
package tokentest

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Identities of the default configuration (internal/config/default.json) that ValidClaims names.
const (
	TenantID            = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	ContributorClientID = "22222222-2222-2222-2222-222222222222"
	ContributorObjectID = "22222222-2222-2222-2222-aaaaaaaaaaaa"
)

// SignClaims signs claims with key, setting kid when not empty.
func SignClaims(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	raw, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// ValidClaims are the claims of a valid ARM token of default.json's
// app-contributor, valid for an hour from now.
func ValidClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"aud": "https://management.azure.com/", "iss": "https://sts.windows.net/" + TenantID + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"oid": ContributorObjectID, "tid": TenantID, "appid": ContributorClientID,
	}
}

// DecodeSegment decodes one base64url segment of a JWT.
func DecodeSegment(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
