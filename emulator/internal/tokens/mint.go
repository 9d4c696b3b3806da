package tokens

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azmsi/azmsi/emulator/internal/config"
)

// Minted is a signed token and the times the IMDS response reports.
type Minted struct {
	Raw               string
	Issued, ExpiresAt time.Time
}

// Mint signs a token for id and resource following the recipe of
// protocols.md §11.
func (a *Authority) Mint(cfg *config.Config, id *config.Identity, resource string) (Minted, error) {
	return a.mint(cfg, id, resource, false)
}

// mint is Mint; cp1 adds xms_cc: ["cp1"] (a client that declared it can
// answer claims challenges, protocols-2026 §23.2).
func (a *Authority) mint(cfg *config.Config, id *config.Identity, resource string, cp1 bool) (Minted, error) {
	now := a.now().Truncate(time.Second)
	exp := now.Add(a.lifetime)
	iss := "https://sts.windows.net/" + cfg.TenantID + "/"
	uti := make([]byte, 16)
	if _, err := rand.Read(uti); err != nil {
		return Minted{}, err
	}
	mirid := id.ResourceID
	if id.Kind == config.KindSystem {
		// Real tokens carry the VM id with "resourcegroups" in lower case.
		mirid = lowerRGKeyword(mirid)
	}
	claims := jwt.MapClaims{
		"aud":       resource,
		"iss":       iss,
		"idp":       iss,
		"iat":       now.Unix(),
		"nbf":       now.Unix(),
		"exp":       exp.Unix(),
		"appid":     id.ClientID,
		"appidacr":  "2",
		"idtyp":     "app",
		"oid":       id.ObjectID,
		"sub":       id.ObjectID,
		"tid":       cfg.TenantID,
		"uti":       base64.RawURLEncoding.EncodeToString(uti),
		"ver":       "1.0",
		"xms_mirid": mirid,
	}
	if cp1 {
		claims["xms_cc"] = []string{"cp1"}
	}
	if err := a.keys.Wait(); err != nil {
		return Minted{}, err
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = a.keys.kid
	t.Header["x5t"] = a.keys.kid
	raw, err := t.SignedString(a.keys.key)
	if err != nil {
		return Minted{}, fmt.Errorf("emulator: signing token: %w", err)
	}
	a.stats.TokensMinted.Add(1)
	return Minted{Raw: raw, Issued: now, ExpiresAt: exp}, nil
}

// lowerRGKeyword rewrites the "/resourceGroups/" keyword of an ARM id in
// lower case, leaving names alone.
func lowerRGKeyword(id string) string {
	parts := strings.Split(id, "/")
	if len(parts) > 3 && strings.EqualFold(parts[3], "resourceGroups") {
		parts[3] = "resourcegroups"
	}
	return strings.Join(parts, "/")
}
