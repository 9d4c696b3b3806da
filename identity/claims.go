package identity

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Claims is the unverified payload of a managed-identity access token
// (protocols.md §11). It is for diagnostics and for checking that an
// endpoint answered for the identity that was asked for; it proves nothing
// about the token's authenticity — the signature is not checked.
type Claims struct {
	Audience     string // aud (the first entry when aud is an array)
	Issuer       string // iss
	TenantID     string // tid
	ObjectID     string // oid: the identity's principal ID
	AppID        string // appid: the identity's client ID
	MIResourceID string // xms_mirid: ARM ID of the identity (user-assigned) or its host (system-assigned)
	IssuedAt     time.Time
	NotBefore    time.Time
	ExpiresAt    time.Time
	Raw          map[string]any // every claim, as decoded by encoding/json
}

// ErrNotJWT is returned by ParseClaims for a string that is not a compact
// JWS/JWT.
var ErrNotJWT = errors.New("identity: the access token is not a JWT")

// ParseClaims decodes the payload of a JWT without verifying it. Errors
// never quote the token.
func ParseClaims(accessToken string) (Claims, error) {
	parts := strings.Split(accessToken, ".")
	if len(parts) != 3 || parts[1] == "" {
		return Claims{}, fmt.Errorf("%w (it has %d dot-separated parts, want 3)", ErrNotJWT, len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, fmt.Errorf("%w (the payload is not base64url)", ErrNotJWT)
	}
	var raw map[string]any
	if err := json.Unmarshal(payload, &raw); err != nil || raw == nil {
		return Claims{}, fmt.Errorf("%w (the payload is not a JSON object)", ErrNotJWT)
	}
	c := Claims{Raw: raw}
	c.Audience = claimString(raw["aud"])
	c.Issuer = claimString(raw["iss"])
	c.TenantID = claimString(raw["tid"])
	c.ObjectID = claimString(raw["oid"])
	c.AppID = claimString(raw["appid"])
	if c.AppID == "" {
		c.AppID = claimString(raw["azp"]) // v2.0 tokens carry the client ID here
	}
	c.MIResourceID = claimString(raw["xms_mirid"])
	c.IssuedAt = claimTime(raw["iat"])
	c.NotBefore = claimTime(raw["nbf"])
	c.ExpiresAt = claimTime(raw["exp"])
	return c, nil
}

func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		if len(v) > 0 {
			s, _ := v[0].(string)
			return s
		}
	}
	return ""
}

// claimTime reads NumericDate (a JSON number, or leniently a string of digits).
func claimTime(v any) time.Time {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case string:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return time.Time{}
		}
		f = n
	default:
		return time.Time{}
	}
	if math.IsNaN(f) || f <= 0 || f > maxEpoch {
		return time.Time{}
	}
	return time.Unix(int64(f), 0).UTC()
}
