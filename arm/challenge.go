package arm

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// maxClaimsChallenge bounds the claims= value read from a 401: a real
// challenge is a few hundred bytes.
const maxClaimsChallenge = 8 << 10

// claimsChallenge returns the claims of a Bearer challenge carrying
// claims="<base64 JSON>" (a CAE revocation or conditional-access
// challenge, e.g. error="insufficient_claims"), decoded; ok is false when no
// WWW-Authenticate value has a usable one.
func claimsChallenge(values []string) (claims string, ok bool) {
	for _, v := range values {
		if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "bearer") {
			continue
		}
		raw, found := authParam(v, "claims")
		if !found || raw == "" || len(raw) > maxClaimsChallenge {
			continue
		}
		if c, ok := decodeClaims(raw); ok {
			return c, true
		}
	}
	return "", false
}

// decodeClaims accepts standard or URL base64, padded or not, holding a
// JSON object.
func decodeClaims(raw string) (string, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(raw)
		if err != nil {
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(b, &obj) != nil {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

// authParam finds name="value" (or name=token) among the comma-separated
// parameters of one challenge, ignoring case in the name.
func authParam(challenge, name string) (string, bool) {
	s := challenge
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[i+1:]
	} else {
		return "", false
	}
	for s != "" {
		s = strings.TrimLeft(s, " \t,")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return "", false
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return "", false
			}
			val, s = s[1:1+end], s[2+end:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val, s = strings.TrimSpace(s[:end]), s[end:]
		}
		if strings.EqualFold(key, name) {
			return val, true
		}
	}
	return "", false
}
