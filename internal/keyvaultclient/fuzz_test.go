package keyvaultclient

import (
	"strings"
	"testing"
)

// FuzzVaultURL: any --vault and suffix either fail or give an https URL
// on a host AllowedHost accepts.
func FuzzVaultURL(f *testing.F) {
	for _, s := range [][2]string{{"kv1", ""}, {"https://kv1.vault.azure.net/", ""}, {"kv1", ".vault.localhost:8443"}, {"https://a.b.vault.azure.net", "x"}, {"https://u:p@kv1.vault.azure.net", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, vault, suffix string) {
		u, err := vaultURL(vault, suffix)
		if err != nil {
			return
		}
		if u.Scheme != "https" || !AllowedHost(u.Host, suffix) || u.Path != "" || u.User != nil {
			t.Fatalf("vaultURL(%q, %q) = %s", vault, suffix, u)
		}
	})
}

// FuzzParseError: any body gives an *Error whose text is bounded.
func FuzzParseError(f *testing.F) {
	f.Add(403, []byte(`{"error":{"code":"Forbidden","message":"a\r\nb","innererror":{"code":"ForbiddenByRbac"}}}`))
	f.Add(502, []byte(`<html>`))
	f.Add(404, []byte(`{"error":{"code":""}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseError("getting secret x from kv1", status, body)
		if e == nil || e.StatusCode != status || len(e.Message) > 700 || strings.Contains(e.Message, "\r") {
			t.Fatalf("parseError: %+v", e)
		}
		_ = e.Error()
	})
}
