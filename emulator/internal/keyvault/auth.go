package keyvault

import (
	"net/http"
	"strings"
)

// Principal is who a verified bearer token names.
type Principal struct {
	TenantID string // tid
	ObjectID string // oid
	AppID    string // appid (or azp)
	Audience string // aud
}

// TokenVerifier checks a bearer token's signature, issuer and validity
// window and returns its principal. It does not judge the audience: the
// vault does. Its errors must never contain the token.
type TokenVerifier interface {
	VerifyToken(raw string) (Principal, error)
}

// Authorizer answers RBAC questions: may objectID perform the data action
// at scope (an ARM id: the vault's, or a secret's below it)?
type Authorizer interface {
	DataAllowed(objectID, action, scope string) bool
}

// DefaultAuthority is the login authority named in challenges unless
// Options.Authority overrides it.
const DefaultAuthority = "https://login.microsoftonline.com"

// challenge is the WWW-Authenticate value of every 401: the vault's
// tenant (the first path segment, which Go azsecrets reads by position)
// and the resource whose host the vault host must end with.
func (h *Handler) challenge(vh vaultHost, v Vault) string {
	return `Bearer authorization="` + h.authority + "/" + v.TenantID + `", resource="` + vh.resource + `"`
}

func (h *Handler) unauthorized(w http.ResponseWriter, vh vaultHost, v Vault, message string) {
	w.Header().Set("WWW-Authenticate", h.challenge(vh, v))
	writeError(w, kvError{status: http.StatusUnauthorized, code: "Unauthorized", message: message})
}

// authenticate verifies the bearer token for vault v; on failure it has
// written the 401. The token is never logged or echoed.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, vh vaultHost, v Vault) (Principal, bool) {
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
		h.unauthorized(w, vh, v, "AKV10000: Request is missing a Bearer or PoP token.")
		return Principal{}, false
	}
	scheme, raw, found := strings.Cut(strings.TrimSpace(vals[0]), " ")
	raw = strings.TrimSpace(raw)
	if len(vals) > 1 || !found || !strings.EqualFold(scheme, "Bearer") || raw == "" || strings.ContainsAny(raw, " \t") {
		// Text unverified.
		h.unauthorized(w, vh, v, "AKV10001: The Authorization header must be 'Bearer <token>'.")
		return Principal{}, false
	}
	p, err := h.tokens.VerifyToken(raw)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), raw, "[token]")
		h.unauthorized(w, vh, v, "AKV10010: Token validation failed: "+clip(msg))
		return Principal{}, false
	}
	if !contains(vh.audiences, p.Audience) {
		h.unauthorized(w, vh, v, "AKV10022: Invalid audience. Expected "+vh.resource+", found: "+clip(p.Audience)+".")
		return Principal{}, false
	}
	if !strings.EqualFold(p.TenantID, v.TenantID) {
		h.unauthorized(w, vh, v, "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/"+v.TenantID+"/, found https://sts.windows.net/"+clip(p.TenantID)+"/.")
		return Principal{}, false
	}
	return p, true
}

// authorize decides op on vault v (secret name "" for vault-wide
// operations); on refusal it has written the 403.
func (h *Handler) authorize(w http.ResponseWriter, v Vault, p Principal, op operation, name string) bool {
	scope := v.ResourceID
	if op.secretScoped && name != "" {
		scope += "/secrets/" + name
	}
	if v.RBAC {
		if h.authz != nil && h.authz.DataAllowed(p.ObjectID, op.action, scope) {
			return true
		}
		writeError(w, kvError{status: http.StatusForbidden, code: "Forbidden", inner: "ForbiddenByRbac", message: strings.Join([]string{
			"Caller is not authorized to perform action on resource.",
			"If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
			"Caller: appid=" + clip(p.AppID) + ";oid=" + clip(p.ObjectID) + ";iss=https://sts.windows.net/" + clip(p.TenantID) + "/",
			"Action: '" + op.action + "'",
			"Resource: '" + strings.ToLower(scope) + "'",
			"Assignment: (not found)",
			"DenyAssignmentId: null",
			"DecisionReason: 'DeniedWithNoValidRBAC' ",
			"Vault: " + v.Name + ";location=" + v.Location,
			"",
		}, "\r\n")})
		return false
	}
	if v.policyAllows(p, op.policyPerm) {
		return true
	}
	writeError(w, kvError{status: http.StatusForbidden, code: "Forbidden", inner: "AccessDenied",
		message: "The user, group or application 'appid=" + clip(p.AppID) + ";oid=" + clip(p.ObjectID) + ";iss=https://sts.windows.net/" + clip(p.TenantID) +
			"/' does not have secrets " + op.policyPerm + " permission on key vault '" + v.Name + ";location=" + v.Location +
			"'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287"})
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
