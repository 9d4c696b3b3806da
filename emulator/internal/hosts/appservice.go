package hosts

import (
	"net/http"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/imds"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

const (
	appServiceAPIVersion = "2019-08-01"
	// appServiceRevocationAPIVersion adds the revocation parameters
	// (protocols-2026 §23.3; whether App Service serves it is unverified,
	// U23-2). Container Apps serves 2019-08-01 only.
	appServiceRevocationAPIVersion = "2025-03-30"
)

// appServiceError is App Service's error body (protocols.md §5.1).
type appServiceError struct {
	StatusCode    int    `json:"statusCode"`
	Message       string `json:"message"`
	CorrelationID string `json:"correlationId"`
}

func writeAppServiceError(w http.ResponseWriter, code int, msg string) {
	id := httpx.NewGUID()
	w.Header().Set("X-CORRELATION-ID", id)
	httpx.WriteJSON(w, code, appServiceError{StatusCode: code, Message: msg, CorrelationID: id})
}

// appServiceToken is the 2019-08-01 success body: expires_on as a string
// of epoch seconds, no expires_in (protocols.md §15.3).
type appServiceToken struct {
	AccessToken string `json:"access_token"`
	ExpiresOn   string `json:"expires_on"`
	NotBefore   string `json:"not_before"`
	Resource    string `json:"resource"`
	TokenType   string `json:"token_type"`
	ClientID    string `json:"client_id"`
}

// appServiceHandler serves GET /msi/token?api-version=2019-08-01 (App
// Service also 2025-03-30, with the revocation parameters) with
// X-IDENTITY-HEADER; Container Apps uses it too. Checks, in order: path, method, header (missing or
// wrong → 401; the real status is unverified, protocols.md §16.3),
// api-version, resource, at most one of client_id / principal_id (alias
// object_id) / mi_res_id. An unknown identity, or several user-assigned
// identities and no selector, is the documented 400 "Unable to load the
// proper Managed Identity.".
func (s *Set) appServiceHandler(he *Endpoint) http.Handler {
	rules := &secretHost{path: appServiceTokenPath, header: "X-IDENTITY-HEADER", apiVersion: appServiceAPIVersion}
	if he.Name == AppService {
		rules.alsoServes = []string{appServiceRevocationAPIVersion}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, resource, f := s.checkToken(r, w, he, rules)
		if f != nil {
			writeAppServiceError(w, f.status, f.msg)
			return
		}
		sel, val, bad := imds.SingleSelector(q, "client_id", "principal_id", "object_id", "mi_res_id")
		if bad != "" {
			writeAppServiceError(w, http.StatusBadRequest, bad)
			return
		}
		switch sel {
		case "principal_id":
			sel = "object_id"
		case "mi_res_id":
			sel = "msi_res_id"
		}
		var opts tokens.IssueOptions
		if q.Get("api-version") == appServiceRevocationAPIVersion {
			opts = revocationOptions(q)
		}
		id, tok, status, _ := s.tokens.IssueWith(sel, val, resource, opts)
		if id == nil {
			if status == http.StatusInternalServerError {
				writeAppServiceError(w, status, "An error occurred")
				return
			}
			writeAppServiceError(w, http.StatusBadRequest, "Unable to load the proper Managed Identity.")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, http.StatusOK, appServiceToken{
			AccessToken: tok.Raw, ExpiresOn: httpx.Epoch(tok.ExpiresAt.Unix()), NotBefore: httpx.Epoch(tok.Issued.Unix()),
			Resource: resource, TokenType: "Bearer", ClientID: id.ClientID,
		})
	})
}
