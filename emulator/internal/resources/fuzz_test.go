package resources

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func pathEscape(s string) string { return url.PathEscape(s) }

// FuzzParseFilter: no panic; a filter either parses or is a 400 with
// ARM's code; a parsed one evaluates on a record without panicking.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"resourceType eq 'Microsoft.KeyVault/vaults'",
		"tagName eq 'a' and tagValue eq 'b'",
		"startswith(tagName, 'x')",
		"substringof('w', name) or (location eq 'eastus' and name ne 'x')",
		"plan/publisher eq 'p' and identity/principalId eq 'q'",
		"name eq 'it''s'",
		"((((",
	} {
		f.Add(s)
	}
	rec := &Record{ID: widget, Type: "Contoso.Widgets/widgets", Location: "eastus", Tags: map[string]string{"a": "b"},
		Identity: json.RawMessage(`{"type":"SystemAssigned","principalId":"q"}`), Plan: json.RawMessage(`{"publisher":"p"}`)}
	f.Fuzz(func(t *testing.T, s string) {
		flt, e := parseFilter(s)
		if e != nil {
			if e.status != 400 || e.code != "InvalidFilterInQueryString" {
				t.Fatalf("%q: %d %s", s, e.status, e.code)
			}
			return
		}
		_ = flt.root.match(rec)
	})
}

// FuzzServe sends arbitrary requests: never a 5xx, always a JSON error body
// when the answer is an error with a body.
func FuzzServe(f *testing.F) {
	f.Add("PUT", "/subscriptions/"+sub1+"/resourceGroups/rg1/providers/Contoso.Widgets/widgets/w1", "api-version=2024-01-01", `{"location":"eastus","tags":{"a":"b"}}`)
	f.Add("PATCH", "/subscriptions/"+sub1+"/resourceGroups/rg1/providers/Contoso.Widgets/widgets/w1", "api-version=2024-01-01", `{"properties":{"a":null}}`)
	f.Add("GET", "/subscriptions/"+sub1+"/resources", "api-version=2025-04-01&$filter=name eq 'x'&$top=2", "")
	f.Add("DELETE", "/subscriptions/"+sub1+"/resourceGroups/rg1/providers/Contoso.Widgets/slowWidgets/s", "api-version=2024-01-01", "")
	f.Add("POST", "/subscriptions/"+sub1+"/providers/Microsoft.KeyVault/register", "api-version=2019-05-01", `{}`)
	f.Add("GET", "/metadata/endpoints", "api-version=2019-05-01", "")
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		env := newEnv(t)
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n#?") || strings.ContainsAny(method, " \r\n") || method == "" {
			return
		}
		if _, err := url.ParseQuery(query); err != nil {
			return
		}
		r := httptest.NewRequest("GET", "http://arm.test/", strings.NewReader(body))
		r.Method = method
		r.URL = &url.URL{Path: path, RawQuery: query}
		r.Header.Set("Authorization", "Bearer "+owner)
		for range 2 { // the second time the resource may exist
			w := httptest.NewRecorder()
			env.svc.ServeHTTP(w, r.Clone(r.Context()))
			if w.Code >= 500 {
				t.Fatalf("%s %s?%s: %d %s", method, path, query, w.Code, w.Body)
			}
			if w.Code >= 400 && w.Body.Len() > 0 && !json.Valid(w.Body.Bytes()) {
				t.Fatalf("error body is not JSON: %s", w.Body)
			}
			r.Body = nil
			r = httptest.NewRequest("GET", "http://arm.test/", strings.NewReader(body))
			r.Method = method
			r.URL = &url.URL{Path: path, RawQuery: query}
			r.Header.Set("Authorization", "Bearer "+owner)
		}
	})
}
