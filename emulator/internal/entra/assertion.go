package entra

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// maxAssertion bounds the assertion (a projected token is about 1 KB).
const maxAssertion = 16 << 10

// assertion is a parsed, not yet verified, client assertion.
type assertion struct {
	KeyID     string
	Issuer    string
	Subject   string
	Audiences []string
	IssuedAt  time.Time // zero when absent
	NotBefore time.Time // zero when absent
	Expiry    time.Time
	signed    []byte // header.payload, what the signature covers
	sig       []byte
}

// parseAssertion decodes a compact JWS with an RS256 header. Errors never
// quote the assertion, only what was wrong with it.
func parseAssertion(raw string) (*assertion, error) {
	if len(raw) > maxAssertion {
		return nil, fmt.Errorf("the assertion is %d bytes, longer than the %d accepted", len(raw), maxAssertion)
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("the assertion has %d dot-separated parts; a JWT has 3", len(parts))
	}
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return nil, fmt.Errorf("the assertion's header: %w", err)
	}
	if hdr.Alg != "RS256" {
		return nil, fmt.Errorf("the assertion is signed with %q; only RS256 is accepted", hdr.Alg)
	}
	if hdr.Kid == "" {
		return nil, errors.New("the assertion's header has no kid")
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp *json.Number    `json:"exp"`
		Nbf *json.Number    `json:"nbf"`
		Iat *json.Number    `json:"iat"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, fmt.Errorf("the assertion's claims: %w", err)
	}
	a := &assertion{KeyID: hdr.Kid, Issuer: claims.Iss, Subject: claims.Sub}
	if a.Issuer == "" || a.Subject == "" {
		return nil, errors.New("the assertion has no iss or no sub claim")
	}
	auds, err := parseAudience(claims.Aud)
	if err != nil {
		return nil, err
	}
	a.Audiences = auds
	if claims.Exp == nil {
		return nil, errors.New("the assertion has no exp claim")
	}
	for _, c := range []struct {
		name string
		n    *json.Number
		dst  *time.Time
	}{{"exp", claims.Exp, &a.Expiry}, {"nbf", claims.Nbf, &a.NotBefore}, {"iat", claims.Iat, &a.IssuedAt}} {
		if c.n == nil {
			continue
		}
		t, err := numericDate(*c.n)
		if err != nil {
			return nil, fmt.Errorf("the assertion's %s claim: %w", c.name, err)
		}
		*c.dst = t
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		return nil, errors.New("the assertion's signature is not base64url")
	}
	a.signed = []byte(parts[0] + "." + parts[1])
	a.sig = sig
	return a, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return errors.New("not base64url without padding")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return errors.New("not a JSON object of the expected shape")
	}
	if d.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

// parseAudience accepts aud as a string or an array of strings (RFC 7519).
func parseAudience(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("the assertion has no aud claim")
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, errors.New("the assertion's aud claim is empty")
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, errors.New("the assertion's aud claim is neither a string nor a non-empty array of strings")
	}
	return many, nil
}

// numericDate converts a JWT NumericDate (seconds, possibly fractional).
func numericDate(n json.Number) (time.Time, error) {
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1<<40 {
		return time.Time{}, errors.New("not a number of seconds since 1970")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// verify checks the RS256 signature with key.
func (a *assertion) verify(key crypto.PublicKey) error {
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("the issuer's key %q is not an RSA key", a.KeyID)
	}
	sum := sha256.Sum256(a.signed)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], a.sig); err != nil {
		return errors.New("the signature does not verify")
	}
	return nil
}
