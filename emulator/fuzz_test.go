package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzTokenQuery drives the IMDS token handler with arbitrary query strings:
// it never panics, never fails with 5xx, always answers JSON with the
// error/error_description shape or a token, and never echoes a resource it
// was not given.
func FuzzTokenQuery(f *testing.F) {
	s, err := Start(context.Background(), Options{ARMAddr: "-"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	h := s.imdsHandler()
	f.Add("api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F")
	f.Add("resource=https://management.azure.com&api-version=2018-02-01&msi_res_id=/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-reader")
	f.Add("api-version=2018-02-01&resource=x&client_id=22222222-2222-2222-2222-222222222222&bypass_cache=true")
	f.Add("api-version=2018-02-01&resource=x&resource=y")
	f.Add("a=%zz;b")
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/metadata/identity/oauth2/token", nil)
		req.URL.RawQuery = rawQuery
		req.Header.Set("Metadata", "true")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, rawQuery, rec.Body)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("not JSON for %q: %s", rawQuery, rec.Body)
		}
		switch rec.Code {
		case http.StatusOK:
			q, _ := url.ParseQuery(rawQuery)
			if res, _ := m["resource"].(string); res == "" || res != q.Get("resource") {
				t.Fatalf("token for %q with resource %q", rawQuery, res)
			}
		default:
			if _, ok := m["error"].(string); !ok {
				t.Fatalf("error body without error for %q: %s", rawQuery, rec.Body)
			}
		}
	})
}
