package hosts

import (
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
)

const (
	// sfAPIVersion is what MSAL.NET sends (protocols-2026 §23.1):
	// principalId selects a user-assigned identity by object ID.
	sfAPIVersion = "2020-05-01"
	// sfOldAPIVersion is the Learn page's, MSAL Go's and the variable
	// IDENTITY_API_VERSION's version: no selector.
	sfOldAPIVersion = "2019-07-01-preview"
)

// sfErrors are Service Fabric's code and wording for the failed checks
// (protocols.md §8); an empty msg keeps the check's own.
var sfErrors = [...]struct{ code, msg string }{
	checkPath:          {"NotFound", ""},
	checkMethod:        {"MethodNotAllowed", ""},
	checkNoSecret:      {"SecretHeaderNotFound", "Secret is not found in the request headers."},
	checkSecret:        {"SecretHeaderInvalid", "The Secret header does not match the application's secret."},
	checkQuery:         {"InvalidRequest", ""},
	checkVersion:       {"InvalidApiVersion", ""},
	checkResource:      {"ArgumentNullOrEmpty", "The parameter 'resource' should not be null or empty string."},
	checkResourceValue: {"InvalidParameter", ""},
	checkSelector:      {"InvalidParameter", ""},
}

func writeSFError(w http.ResponseWriter, status int, code, msg string) {
	httpx.WriteJSON(w, status, map[string]any{"error": map[string]string{"correlationId": httpx.NewGUID(), "code": code, "message": msg}})
}

// serviceFabricHandler serves GET /metadata/identity/oauth2/token over HTTPS
// (protocols.md §8, §15.7; protocols-2026 §23.1): Secret header (missing →
// 401 SecretHeaderNotFound, wrong → 401 SecretHeaderInvalid; statuses
// unverified, §16.6), api-version 2020-05-01 or 2019-07-01-preview
// (InvalidApiVersion), resource (ArgumentNullOrEmpty). 2020-05-01 selects a
// user-assigned identity by principalId (its object ID); every other
// selector, and principalId on 2019-07-01-preview, is refused with
// InvalidParameter (the real code is unverified, U23-1). Both versions
// take the revocation parameters (revocation.go), as MSAL Python sends them
// on the old one. expires_on is a JSON number, as in the docs.
func (s *Set) serviceFabricHandler(he *Endpoint) http.Handler {
	rules := &secretHost{path: sfTokenPath, header: "Secret", apiVersion: sfAPIVersion, alsoServes: []string{sfOldAPIVersion},
		refused:    []string{"client_id", "clientid", "object_id", "principal_id", "msi_res_id", "mi_res_id"},
		refusedWhy: "Service Fabric selects a user-assigned identity only by principalId (api-version 2020-05-01)"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, resource, f := s.checkToken(r, w, he, rules)
		if f == nil && q.Has("principalId") && q.Get("api-version") != sfAPIVersion {
			f = &tokenFailure{check: checkSelector, status: http.StatusBadRequest, msg: "principalId needs api-version " + sfAPIVersion}
		}
		if f != nil {
			code, msg := sfErrors[f.check].code, sfErrors[f.check].msg
			if msg == "" {
				msg = f.msg
			}
			writeSFError(w, f.status, code, msg)
			return
		}
		sel, val := "", ""
		if q.Has("principalId") {
			if sel, val = "object_id", q.Get("principalId"); strings.TrimSpace(val) == "" {
				writeSFError(w, http.StatusBadRequest, "InvalidParameter", "principalId is empty")
				return
			}
		}
		id, tok, status, _ := s.tokens.IssueWith(sel, val, resource, revocationOptions(q))
		if id == nil {
			if status == http.StatusInternalServerError {
				writeSFError(w, status, "InternalServerError", "An error occurred.")
				return
			}
			writeSFError(w, http.StatusNotFound, "ManagedIdentityNotFound", "Managed identity not found for the specified application host.")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, http.StatusOK, map[string]any{
			"token_type": "Bearer", "access_token": tok.Raw, "expires_on": tok.ExpiresAt.Unix(), "resource": resource,
		})
	})
}
