package keyvault

import (
	"fmt"
	"strings"
	"testing"
)

func TestNameAndVersionLimits(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		path   string
		status int
	}{
		{"/secrets/" + strings.Repeat("a", 127), 200},
		{"/secrets/" + strings.Repeat("a", 128), 400},
		{"/secrets/a", 200},
		{"/secrets/with_underscore", 400},
		{"/secrets/dot.name", 400},
		{"/secrets/%C3%A9", 400},
	}
	for _, c := range cases {
		r := e.do("PUT", base+c.path+av, tokOwner, map[string]any{"value": "v"})
		if r.status != c.status {
			t.Errorf("PUT %s: %d, want %d (%s)", c.path[:min(len(c.path), 30)], r.status, c.status, r.body)
		}
		if c.status == 400 {
			if code, _ := r.errCode(t); code != "BadParameter" {
				t.Errorf("code %q", code)
			}
		}
	}
	for _, v := range []string{"0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdefa", "0123456789abcdef0123456789abcdeg"} {
		r := e.do("GET", base+"/secrets/a/"+v+av, tokOwner, nil)
		mustStatus(t, r, 400)
		if !strings.Contains(r.errMessage(t), "invalid version") {
			t.Errorf("message %q", r.errMessage(t))
		}
	}
	mustStatus(t, e.do("GET", base+"/secrets//"+av, tokOwner, nil), 400)
}

func TestValueAndMetadataLimits(t *testing.T) {
	e := newEnv(t)
	put := func(body any) resp { return e.do("PUT", base+"/secrets/big"+av, tokOwner, body) }
	r := put(map[string]any{"value": strings.Repeat("x", 25600)})
	mustStatus(t, r, 200)
	if got := e.do("GET", base+"/secrets/big"+av, tokOwner, nil).json(t)["value"].(string); len(got) != 25600 {
		t.Errorf("stored value %d bytes", len(got))
	}
	r = put(map[string]any{"value": strings.Repeat("x", 25601)})
	mustStatus(t, r, 400)
	if msg := r.errMessage(t); msg != "The secret value is 25601 bytes; Key Vault accepts at most 25600 bytes." {
		t.Errorf("message %q", msg)
	}
	// The limit counts bytes, not characters.
	mustStatus(t, put(map[string]any{"value": strings.Repeat("é", 12801)}), 400)

	tags := map[string]string{}
	for i := 0; i < 15; i++ {
		tags[fmt.Sprint("t", i)] = strings.Repeat("v", 256)
	}
	mustStatus(t, put(map[string]any{"value": "v", "tags": tags}), 200)
	tags["t15"] = "v"
	mustStatus(t, put(map[string]any{"value": "v", "tags": tags}), 400)
	mustStatus(t, put(map[string]any{"value": "v", "tags": map[string]string{strings.Repeat("k", 257): "v"}}), 400)
	mustStatus(t, put(map[string]any{"value": "v", "contentType": strings.Repeat("c", 255)}), 200)
	mustStatus(t, put(map[string]any{"value": "v", "contentType": strings.Repeat("c", 256)}), 400)
	mustStatus(t, e.do("PATCH", base+"/secrets/big/"+av, tokOwner, map[string]any{"contentType": strings.Repeat("c", 256)}), 400)

	for _, c := range []struct{ body, want string }{
		{``, "The request body is empty; it must be a JSON object."},
		{`{}`, "The request body must contain 'value' (a string)."},
		{`{"value":null}`, "The request body must contain 'value' (a string)."},
		{`{"value":5}`, "The request body has a wrong type for property 'value'."},
		{`{"value":"v","attributes":{"exp":"soon"}}`, "The request body has a wrong type for property 'attributes.exp'."},
		{`{"value":"v"`, "The request body is not a valid JSON object."},
		{`[1]`, "The request body is not a valid JSON object."},
		{`{"value":"` + strings.Repeat("x", 1<<20) + `"}`, "The request body is larger than 1 MiB."},
	} {
		r := e.do("PUT", base+"/secrets/b"+av, tokOwner, c.body)
		mustStatus(t, r, 400)
		if got := r.errMessage(t); got != c.want {
			t.Errorf("body %.20q: message %q, want %q", c.body, got, c.want)
		}
	}
}

func TestAPIVersions(t *testing.T) {
	e := newEnv(t)
	for _, v := range []string{"2026-04-01", "2025-07-01", "7.6", "7.5", "7.4"} {
		mustStatus(t, e.do("GET", base+"/secrets?api-version="+v, tokOwner, nil), 200)
	}
	r := e.do("GET", base+"/secrets?api-version=2099-01-01", tokOwner, nil)
	mustStatus(t, r, 400)
	if code, _ := r.errCode(t); code != "BadParameter" ||
		r.errMessage(t) != "The specified version (2099-01-01) is not recognized. Consider using the latest supported version (2026-04-01)." {
		t.Errorf("unknown version: %s", r.body)
	}
	mustStatus(t, e.do("GET", base+"/secrets", tokOwner, nil), 400)
}

func TestHostsAndVaults(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "https://127.0.0.1:8443/secrets"+av, tokOwner, nil)
	mustStatus(t, r, 400)
	if !strings.Contains(r.errMessage(t), "does not name a vault") {
		t.Errorf("message %q", r.errMessage(t))
	}
	for _, host := range []string{"nope.vault.azure.net", "kvgone.vault.azure.net"} {
		r := e.do("GET", "https://"+host+"/secrets"+av, "", nil)
		mustStatus(t, r, 404)
		if code, _ := r.errCode(t); code != "VaultNotFound" {
			t.Errorf("%s: code %q", host, code)
		}
	}
	r = e.do("GET", base+"/secrets"+av, tokOwner, nil)
	for h, want := range map[string]string{"x-ms-keyvault-region": "westeurope", "Content-Type": "application/json; charset=utf-8"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if id := r.header.Get("x-ms-request-id"); len(id) != 36 {
		t.Errorf("x-ms-request-id %q", id)
	}
}

func TestVaultName(t *testing.T) {
	cases := []struct {
		host, want string
		ok         bool
	}{
		{"kv1.vault.azure.net", "kv1", true},
		{"KV1.Vault.Azure.Net:443", "kv1", true},
		{"kv1.vault.azure.net.", "kv1", true},
		{"my-vault-01.vault.localhost:8443", "my-vault-01", true},
		{"kv1.vault.localhost", "kv1", true},
		{"ab.vault.azure.net", "", false},                         // too short
		{strings.Repeat("a", 25) + ".vault.azure.net", "", false}, // too long
		{"1kv.vault.azure.net", "", false},                        // starts with a digit
		{"kv-.vault.azure.net", "", false},
		{"k--v.vault.azure.net", "", false},
		{"a.b.vault.azure.net", "", false},
		{"vault.azure.net", "", false},
		{"kv1.vault.azure.net.evil.example", "", false},
		{"kv1.localhost:8443", "", false},
		{"127.0.0.1:8443", "", false},
		{"kv1.vault.azure.net:1:2", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := VaultName(c.host)
		if got != c.want || ok != c.ok {
			t.Errorf("VaultName(%q) = %q, %v; want %q, %v", c.host, got, ok, c.want, c.ok)
		}
	}
}

func TestRoutesAndMethods(t *testing.T) {
	e := newEnv(t)
	e.set(base+"/secrets/a"+av, "v")
	cases := []struct {
		method, path string
		status       int
		code         string
	}{
		{"POST", "/secrets", 405, "BadParameter"},
		{"DELETE", "/secrets/a/0123456789abcdef0123456789abcdef", 405, "BadParameter"},
		{"PUT", "/secrets/a/versions", 405, "BadParameter"},
		{"GET", "/keys/a", 404, "NotFound"},
		{"GET", "/", 404, "NotFound"},
		{"GET", "/secrets/a/b/c", 404, "NotFound"},
		{"POST", "/secrets/a/backup", 501, "NotSupported"},
		{"POST", "/secrets/restore", 501, "NotSupported"},
		{"GET", "/deletedsecrets/a/recover", 405, "BadParameter"},
		{"PUT", "/deletedsecrets", 405, "BadParameter"},
	}
	for _, c := range cases {
		r := e.do(c.method, base+c.path+av, tokOwner, nil)
		if r.status != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, r.status, c.status)
			continue
		}
		if code, _ := r.errCode(t); code != c.code {
			t.Errorf("%s %s: code %q, want %q", c.method, c.path, code, c.code)
		}
	}
	// Trailing slashes the SDKs may send.
	mustStatus(t, e.do("GET", base+"/secrets/"+av, tokOwner, nil), 200)
	mustStatus(t, e.do("GET", base+"/secrets/a/versions/"+av, tokOwner, nil), 200)
	mustStatus(t, e.do("GET", base+"/deletedsecrets/"+av, tokOwner, nil), 200)
}

func TestEmulatorBounds(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxSecretsPerVault, o.MaxVersionsPerSecret = 2, 2 })
	e.set(base+"/secrets/a"+av, "1")
	e.set(base+"/secrets/a"+av, "2")
	r := e.do("PUT", base+"/secrets/a"+av, tokOwner, map[string]any{"value": "3"})
	mustStatus(t, r, 403)
	if _, inner := r.errCode(t); inner != "EmulatorLimit" {
		t.Errorf("inner %q", inner)
	}
	e.set(base+"/secrets/b"+av, "1")
	mustStatus(t, e.do("PUT", base+"/secrets/c"+av, tokOwner, map[string]any{"value": "1"}), 403)
	// A deleted secret still counts until purged.
	mustStatus(t, e.do("DELETE", base+"/secrets/b"+av, tokOwner, nil), 200)
	mustStatus(t, e.do("PUT", base+"/secrets/c"+av, tokOwner, map[string]any{"value": "1"}), 403)
	mustStatus(t, e.do("DELETE", base+"/deletedsecrets/b"+av, tokOwner, nil), 204)
	e.set(base+"/secrets/c"+av, "1")
}
