package tokens

import (
	"encoding/base64"
	"math/big"
)

// JWKS is the JSON Web Key Set published at /_emulator/keys and
// /discovery/keys.
func (a *Authority) JWKS() map[string]any {
	if a.keys.Wait() != nil {
		return map[string]any{"keys": []map[string]any{}}
	}
	pub := a.keys.key.PublicKey
	cfg := a.config()
	return map[string]any{"keys": []map[string]any{{
		"kty":    "RSA",
		"use":    "sig",
		"alg":    "RS256",
		"kid":    a.keys.kid,
		"x5t":    a.keys.kid,
		"n":      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		"x5c":    []string{base64.StdEncoding.EncodeToString(a.keys.cert.Raw)},
		"issuer": "https://sts.windows.net/" + cfg.TenantID + "/",
	}}}
}
