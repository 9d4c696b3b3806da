package hosts

import (
	"net/http"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
)

const sfAPIVersion = "2019-07-01-preview"

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
// (protocols.md §8, §15.7): Secret header (missing → 401
// SecretHeaderNotFound, wrong → 401 SecretHeaderInvalid; statuses
// unverified, §16.6), api-version 2019-07-01-preview (InvalidApiVersion),
// resource (ArgumentNullOrEmpty). The cluster fixes the identity: any
// selector is refused. expires_on is a JSON number, as in the docs.
func (s *Set) serviceFabricHandler(he *Endpoint) http.Handler {
	rules := &secretHost{path: sfTokenPath, header: "Secret", apiVersion: sfAPIVersion,
		refused:    []string{"client_id", "clientid", "object_id", "principal_id", "msi_res_id", "mi_res_id"},
		refusedWhy: "Service Fabric does not support selecting a user-assigned identity"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, resource, f := s.checkToken(r, w, he, rules)
		if f != nil {
			code, msg := sfErrors[f.check].code, sfErrors[f.check].msg
			if msg == "" {
				msg = f.msg
			}
			writeSFError(w, f.status, code, msg)
			return
		}
		id, tok, status, _ := s.tokens.Issue("", "", resource, false)
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
