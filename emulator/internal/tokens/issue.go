package tokens

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/config"
)

// Issue returns a token for the identity a selector names (name is one of
// client_id, object_id, msi_res_id, mi_res_id, or "" for the default
// identity), from the shared token cache (unless bypassCache) or freshly
// minted, and counts it. On failure id is nil and status/desc say why
// ("identity not found", "several identities", or a signing failure as
// 500).
func (a *Authority) Issue(selName, selValue, resource string, bypassCache bool) (id *config.Identity, tok Minted, status int, desc string) {
	return a.IssueWith(selName, selValue, resource, IssueOptions{BypassCache: bypassCache})
}

// IssueOptions adjusts IssueWith.
type IssueOptions struct {
	BypassCache bool
	// ReplaceSHA256 is a host's token_sha256_to_refresh (protocols-2026
	// §23.2): the cached token is replaced by a new one only when this is
	// the lower-case hex SHA-256 of that token; otherwise it is served as
	// usual (a host never bypasses its cache without the hash).
	ReplaceSHA256 string
	// CP1 (xms_cc contained cp1) adds the claim xms_cc: ["cp1"] to a token
	// minted for this request.
	CP1 bool
}

// IssueWith is Issue with options.
func (a *Authority) IssueWith(selName, selValue, resource string, o IssueOptions) (id *config.Identity, tok Minted, status int, desc string) {
	cfg := a.config()
	id, status, desc = Select(cfg, selName, selValue)
	if id == nil {
		return nil, Minted{}, status, desc
	}
	cached := false
	if !o.BypassCache {
		tok, cached = a.tokens.get(id.ObjectID, resource, a.now())
		if cached && o.ReplaceSHA256 != "" && strings.EqualFold(o.ReplaceSHA256, SHA256Hex(tok.Raw)) {
			cached = false
		}
	}
	if !cached {
		var err error
		if tok, err = a.mint(cfg, id, resource, o.CP1); err != nil {
			a.logger.Error("minting a token failed", "identity", id.Name, "err", err)
			return nil, Minted{}, http.StatusInternalServerError, "The emulator could not sign a token"
		}
		a.tokens.put(id.ObjectID, resource, tok)
	}
	a.stats.TokenServed(id.Name, resource)
	return id, tok, 0, ""
}

// SHA256Hex is the token_sha256_to_refresh of a token: SHA-256 of its
// bytes, lower-case hex.
func SHA256Hex(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// ExpiresIn is the whole seconds tok has left.
func (a *Authority) ExpiresIn(tok Minted) int64 {
	return max(int64(tok.ExpiresAt.Sub(a.now()).Seconds()), 0)
}

// Select resolves the selector; on failure it returns nil and the error
// response. "Identity not found" must be a plain 400 Bad Request: the
// Azure CLI branches on the standard reason phrase (protocols.md §18).
func Select(cfg *config.Config, name, value string) (id *config.Identity, status int, desc string) {
	match := func(f func(*config.Identity) bool) (*config.Identity, int, string) {
		for i := range cfg.Identities {
			if f(&cfg.Identities[i]) {
				return &cfg.Identities[i], 0, ""
			}
		}
		return nil, http.StatusBadRequest, "Identity not found"
	}
	switch name {
	case "client_id":
		return match(func(i *config.Identity) bool { return strings.EqualFold(i.ClientID, value) })
	case "object_id":
		return match(func(i *config.Identity) bool { return strings.EqualFold(i.ObjectID, value) })
	case "msi_res_id", "mi_res_id":
		return match(func(i *config.Identity) bool {
			return i.Kind == config.KindUser && strings.EqualFold(i.ResourceID, value)
		})
	}
	if sys := cfg.SystemIdentity(); sys != nil {
		return sys, 0, ""
	}
	if len(cfg.Identities) == 1 {
		// Only user-assigned identities remain; with exactly one, IMDS uses it.
		return &cfg.Identities[0], 0, ""
	}
	// Wording as reported for real IMDS; unverified.
	return nil, http.StatusBadRequest, "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"
}
