package keyvault

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRouter sends arbitrary methods, hosts, paths, queries and bodies
// through the handler: it must never panic, must answer with a known
// status and a Key Vault error envelope on failures, and must never echo a
// value it was given in an error.
func FuzzRouter(f *testing.F) {
	seeds := []struct{ method, host, path, query, body string }{
		{"PUT", "kv1.vault.azure.net", "/secrets/db-password", "api-version=2026-04-01", `{"value":"s"}`},
		{"GET", "kv1.vault.localhost:8443", "/secrets/db-password/", "api-version=7.5", ""},
		{"GET", "kv1.vault.azure.net", "/secrets", "maxresults=1&$skiptoken=YQ&api-version=2026-04-01", ""},
		{"PATCH", "kv1.vault.azure.net", "/secrets/a/0123456789abcdef0123456789abcdef", "api-version=2025-07-01", `{"attributes":{"enabled":false}}`},
		{"POST", "kv1.vault.azure.net", "/deletedsecrets/a/recover", "api-version=7.6", ""},
		{"DELETE", "KV1.VAULT.AZURE.NET.", "/deletedsecrets/a", "api-version=2026-04-01", ""},
		{"GET", "kv1.vault.azure.net", "/secrets/a/versions", "maxresults=26&api-version=2026-04-01", ""},
		{"GET", "127.0.0.1", "//secrets/%00", "api-version=x", "{"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.host, s.path, s.query, s.body, true)
	}
	e := newEnv(f)
	e.set(base+"/secrets/a"+av, "seeded")
	f.Fuzz(func(t *testing.T, method, host, path, query, body string, auth bool) {
		if !validMethod(method) {
			return
		}
		req := httptest.NewRequest("GET", "https://kv1.vault.azure.net/", strings.NewReader(body))
		req.Method = method
		req.Host = host
		req.URL.Path = path
		req.URL.RawQuery = query
		if auth {
			req.Header.Set("Authorization", "Bearer "+tokOwner)
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		switch w.Code {
		case 200, 204:
			return
		case 400, 401, 403, 404, 405, 409, 500, 501:
		default:
			t.Fatalf("status %d", w.Code)
		}
		var eb errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			t.Fatalf("status %d without a Key Vault error: %q", w.Code, w.Body.Bytes())
		}
		var in setIn
		if json.Unmarshal([]byte(body), &in) == nil && in.Value != nil && len(*in.Value) >= 8 &&
			strings.Contains(w.Body.String(), *in.Value) && !strings.Contains(path+query+host, *in.Value) {
			t.Fatalf("error echoes the body's value: %s", w.Body.Bytes())
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", rune(c)) {
			return false
		}
	}
	return m != http.MethodConnect
}

// FuzzVaultService sends arbitrary control-plane paths and bodies: no
// panic, known statuses, ARM's error envelope on failures.
func FuzzVaultService(f *testing.F) {
	f.Add("PUT", kvPath, "api-version=2026-04-01", armBody)
	f.Add("PATCH", kvPath, "api-version=2024-11-01", `{"properties":{"accessPolicies":[{}]}}`)
	f.Add("PUT", kvPath+"/accessPolicies/add", "api-version=2026-04-01", `{"properties":{"accessPolicies":null}}`)
	f.Add("POST", "/subscriptions/"+sub+"/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv1/purge", "api-version=2026-04-01", "")
	f.Add("POST", "/subscriptions/"+sub+"/providers/Microsoft.KeyVault/checkNameAvailability", "api-version=2026-04-01", `{"name":"kv1","type":"Microsoft.KeyVault/vaults"}`)
	f.Add("GET", "/subscriptions/"+sub+"/providers/Microsoft.KeyVault/deletedVaults", "api-version=x", "")
	ve := newVaultEnv(f, nil)
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") {
			return
		}
		req := httptest.NewRequest("GET", "https://127.0.0.1/", strings.NewReader(body))
		req.Method, req.URL.Path, req.URL.RawQuery = method, path, query
		req.Header.Set("Authorization", "Bearer arm-"+ownerOID)
		w := httptest.NewRecorder()
		ve.svc.ServeHTTP(w, req)
		switch w.Code {
		case 200, 201, 204:
			return
		case 400, 401, 403, 404, 405, 409, 413, 500:
		default:
			t.Fatalf("status %d", w.Code)
		}
		var eb struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" {
			t.Fatalf("status %d without an ARM error: %q", w.Code, w.Body.Bytes())
		}
	})
}
