package hosts

import (
	"mime"
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// cloudShellError is Cloud Shell's error body (protocols.md §6).
func writeCloudShellError(w http.ResponseWriter, status int, code, msg string) {
	httpx.WriteJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// maxFormBody bounds a Cloud Shell form body.
const maxFormBody = 64 << 10

// cloudShellHandler serves POST /oauth2/token with Metadata: true and a
// form body resource=<resource> (protocols.md §6, §15.5). Cloud Shell has
// no user-assigned identities: any selector is refused. The answer is
// IMDS-like with every number as a string (shape unverified, §16.4).
func (s *Set) cloudShellHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if httpx.CleanPath(r.URL.Path) != cloudShellTokenPath {
			writeCloudShellError(w, http.StatusNotFound, "NotFound", "Not found; the token path is "+cloudShellTokenPath)
			return
		}
		s.stats.TokenRequests.Add(1)
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeCloudShellError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Use POST with a form body resource=<resource>")
			return
		}
		if !strings.EqualFold(strings.TrimSpace(r.Header.Get("Metadata")), "true") {
			writeCloudShellError(w, http.StatusBadRequest, "BadRequest", "Required metadata header not specified")
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
			writeCloudShellError(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "The body must be application/x-www-form-urlencoded")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		if err := r.ParseForm(); err != nil {
			writeCloudShellError(w, http.StatusBadRequest, "BadRequest", "The form body is malformed")
			return
		}
		for _, p := range []string{"client_id", "clientid", "object_id", "principal_id", "msi_res_id", "mi_res_id"} {
			if r.Form.Has(p) {
				writeCloudShellError(w, http.StatusBadRequest, "BadRequest", "Cloud Shell does not support user-assigned identities ("+p+")")
				return
			}
		}
		if len(r.PostForm["resource"]) > 1 {
			writeCloudShellError(w, http.StatusBadRequest, "BadRequest", "resource is specified more than once")
			return
		}
		resource := r.PostForm.Get("resource")
		if strings.TrimSpace(resource) == "" {
			writeCloudShellError(w, http.StatusBadRequest, "BadRequest", "The form field 'resource' is required")
			return
		}
		if err := tokens.CheckResource(resource); err != nil {
			writeCloudShellError(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		_, tok, status, desc := s.tokens.Issue("", "", resource, false)
		if tok.Raw == "" {
			if status == 0 {
				status = http.StatusBadRequest
			}
			writeCloudShellError(w, status, "BadRequest", desc)
			return
		}
		in := s.tokens.ExpiresIn(tok)
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, http.StatusOK, map[string]string{
			"access_token": tok.Raw, "refresh_token": "", "expires_in": httpx.Epoch(in),
			"expires_on": httpx.Epoch(tok.ExpiresAt.Unix()), "not_before": httpx.Epoch(tok.Issued.Unix()),
			"resource": resource, "token_type": "Bearer",
		})
	})
}
