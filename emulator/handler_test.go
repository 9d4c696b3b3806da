package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Handler serves IMDS, control and ARM without a socket: a token from the
// IMDS route authenticates an ARM list through the same handler, even with
// both listeners' addresses set to other ports.
func TestHandlerWithoutSockets(t *testing.T) {
	s := startIdentityServer(t, Options{})
	h := s.Handler()
	do := func(method, target string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := do("GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource="+armRes, metaHeader)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || w.Code != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	w = do("GET", "/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, map[string]string{"Authorization": "Bearer " + tok.AccessToken})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"name":"rg-web"`) {
		t.Fatalf("ARM list: %d %s", w.Code, w.Body)
	}
	if w := do("GET", "/_emulator/healthz", nil); w.Code != 200 {
		t.Errorf("healthz: %d", w.Code)
	}
	if w := do("GET", "/metadata/nope", metaHeader); w.Code != http.StatusUnauthorized {
		// Not an IMDS route: ARM answers, and asks for a token.
		t.Errorf("unknown path: %d %s", w.Code, w.Body)
	}
	if c1, c2 := s.HTTPClient(), s.HTTPClient(); c1 != c2 {
		t.Error("HTTPClient is not memoised")
	}
}
