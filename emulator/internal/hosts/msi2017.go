package hosts

import (
	"net/http"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
)

const msi2017APIVersion = "2017-09-01"

// msi2017OAuthCodes are Azure ML's error codes for the failed checks.
var msi2017OAuthCodes = [...]string{
	checkPath: "not_found", checkMethod: "method_not_allowed", checkNoSecret: "unauthorized", checkSecret: "unauthorized",
	checkQuery: "invalid_request", checkVersion: "invalid_request", checkResource: "invalid_request", checkResourceValue: "invalid_request", checkSelector: "invalid_request",
}

// msi2017Handler serves the 2017-09-01 protocol on GET /msi/token (the path
// is matched case-insensitively; docs spell it /MSI/token) with the
// "secret" header, for legacy App Service and for Azure ML. They differ in
// the answer: App Service writes expires_on as a Linux-style UTC date
// string ("MM/dd/yyyy HH:mm:ss +00:00", protocols.md §5.2), Azure ML as an
// integer with an integer expires_in (§9). Only clientid selects; an empty
// clientid means the default identity. Errors use App Service's shape for
// App Service and the OAuth shape for Azure ML (whose errors are
// undocumented, §16.5).
func (s *Set) msi2017Handler(he *Endpoint) http.Handler {
	ml := he.Name == AzureML
	fail := func(w http.ResponseWriter, code int, oauthCode, msg string) {
		if ml {
			httpx.WriteJSON(w, code, httpx.OAuthError{Error: oauthCode, Description: msg})
			return
		}
		writeAppServiceError(w, code, msg)
	}
	rules := &secretHost{path: appServiceTokenPath, foldPath: true, header: "secret", apiVersion: msi2017APIVersion,
		refused:    []string{"client_id", "object_id", "principal_id", "mi_res_id", "msi_res_id"},
		refusedWhy: "The 2017-09-01 protocol selects an identity by clientid only"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, resource, f := s.checkToken(r, w, he, rules)
		if f != nil {
			fail(w, f.status, msi2017OAuthCodes[f.check], f.msg)
			return
		}
		sel, val := "", q.Get("clientid")
		if val != "" {
			sel = "client_id"
		}
		id, tok, status, _ := s.tokens.Issue(sel, val, resource, false)
		if id == nil {
			if status == http.StatusInternalServerError {
				fail(w, status, "server_error", "An error occurred")
				return
			}
			fail(w, http.StatusBadRequest, "invalid_request", "Unable to load the proper Managed Identity.")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if ml {
			httpx.WriteJSON(w, http.StatusOK, map[string]any{
				"access_token": tok.Raw, "expires_in": s.tokens.ExpiresIn(tok), "expires_on": tok.ExpiresAt.Unix(),
				"resource": resource, "token_type": "Bearer",
			})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]string{
			"access_token": tok.Raw, "expires_on": tok.ExpiresAt.UTC().Format("01/02/2006 15:04:05") + " +00:00",
			"resource": resource, "token_type": "Bearer",
		})
	})
}
