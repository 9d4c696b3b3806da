package keyvaultclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestVaultURL(t *testing.T) {
	cases := []struct {
		vault, suffix, want, err string
	}{
		{"kv1", "", "https://kv1.vault.azure.net", ""},
		{"KV1", "", "https://kv1.vault.azure.net", ""},
		{"kv1", ".vault.localhost:8443", "https://kv1.vault.localhost:8443", ""},
		{"https://kv1.vault.azure.net/", "", "https://kv1.vault.azure.net", ""},
		{"https://kv1.vault.azure.net:443", "", "https://kv1.vault.azure.net:443", ""},
		{"https://kv1.vault.localhost:8443", ".vault.localhost:8443", "https://kv1.vault.localhost:8443", ""},
		{"https://kv1.vault.localhost:9443", ".vault.localhost:8443", "", "not a Key Vault host"},
		{"http://kv1.vault.azure.net", "", "", "not of the form"},
		{"https://kv1.vault.azure.net/secrets/x", "", "", "not of the form"},
		{"https://evil.example", "", "", "not a Key Vault host"},
		{"https://kv1.vault.azure.net.evil.example", "", "", "not a Key Vault host"},
		{"https://kv1.vault.azure.net:8443", "", "", "not a Key Vault host"},
		{"https://a.b.vault.azure.net", "", "", "not a Key Vault host"},
		{"kv", "", "", "not a vault name"},
		{"1kv", "", "", "not a vault name"},
		{"kv1.example", "", "", "not a vault name"},
		{"", "", "", "no vault"},
		{"kv1", "vault.localhost", "", "must start with a dot"},
	}
	for _, c := range cases {
		got, err := vaultURL(c.vault, c.suffix)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("vaultURL(%q, %q) error %v, want %q", c.vault, c.suffix, err, c.err)
			}
		case err != nil:
			t.Errorf("vaultURL(%q, %q): %v", c.vault, c.suffix, err)
		case got.String() != c.want:
			t.Errorf("vaultURL(%q, %q) = %s, want %s", c.vault, c.suffix, got, c.want)
		}
	}
}

func TestAllowedHost(t *testing.T) {
	for host, want := range map[string]bool{
		"kv1.vault.azure.net": true, "kv1.vault.azure.net:443": true, "KV1.Vault.Azure.Net": true,
		"kv1.vault.azure.net:8443": false, "vault.azure.net": false, ".vault.azure.net": false,
		"kv1.vault.azure.net.evil.example": false, "evilvault.azure.net": false,
		"kv1.vault.localhost:8443": true, "kv1.vault.localhost": false, "127.0.0.1:8443": false,
		"management.azure.com": false, "a.b.vault.azure.net": false,
	} {
		if got := AllowedHost(host, ".vault.localhost:8443"); got != want {
			t.Errorf("AllowedHost(%q) = %v, want %v", host, got, want)
		}
	}
	if AllowedHost("kv1.vault.localhost:8443", "") {
		t.Error("a loopback vault is allowed without a configured suffix")
	}
}

// fakeVault serves the routes the client uses and records requests.
type fakeVault struct {
	mu       sync.Mutex
	requests []string
	auth     []string
	bodies   []string
	answer   func(w http.ResponseWriter, r *http.Request) bool // optional override
}

func (f *fakeVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.Host+" "+r.URL.RequestURI())
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.bodies = append(f.bodies, string(b))
	f.mu.Unlock()
	if f.answer != nil && f.answer(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	host := "https://" + r.Host
	switch {
	case r.Method == "GET" && r.URL.Path == "/secrets/db-password/":
		fmt.Fprintf(w, `{"value":"s3cr3t","id":"%s/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79","attributes":{"enabled":true,"created":1767268800}}`, host)
	case r.Method == "GET" && r.URL.Path == "/secrets/db-password/0123456789abcdef0123456789abcdef":
		fmt.Fprintf(w, `{"value":"old","id":"%s/secrets/db-password/0123456789abcdef0123456789abcdef","attributes":{"enabled":true}}`, host)
	case r.Method == "PUT" && r.URL.Path == "/secrets/db-password":
		var in map[string]any
		_ = json.Unmarshal(b, &in)
		out, _ := json.Marshal(map[string]any{"value": in["value"], "id": host + "/secrets/db-password/aaaabbbbccccddddeeeeffff00001111", "contentType": in["contentType"], "attributes": map[string]any{"enabled": true}})
		_, _ = w.Write(out)
	case r.Method == "GET" && r.URL.Path == "/secrets" && r.URL.Query().Get("$skiptoken") == "":
		fmt.Fprintf(w, `{"value":[{"id":"%s/secrets/a","attributes":{"enabled":true}}],"nextLink":"%s/secrets?api-version=2026-04-01&$skiptoken=Yg"}`, host, host)
	case r.Method == "GET" && r.URL.Path == "/secrets":
		fmt.Fprintf(w, `{"value":[{"id":"%s/secrets/b","attributes":{"enabled":false}}],"nextLink":null}`, host)
	default:
		w.WriteHeader(404)
		fmt.Fprint(w, `{"error":{"code":"SecretNotFound","message":"A secret with (name/id) x was not found in this key vault."}}`)
	}
}

func TestGetSetList(t *testing.T) {
	fv := &fakeVault{}
	srv, hc := tlsServer(t, fv)
	tk := &tokens{}
	suffix := ".vault.localhost:" + port(srv)
	c := newClient(t, hc, suffix, tk)
	ctx := context.Background()

	s, err := c.GetSecret(ctx, "kv1", "db-password", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Value != "s3cr3t" || s.Name() != "db-password" || s.Version() != "4387e9f3d6e14c459867679a90fd0f79" {
		t.Errorf("secret %+v", s)
	}
	if s, err = c.GetSecret(ctx, "kv1", "db-password", "0123456789abcdef0123456789abcdef"); err != nil || s.Value != "old" {
		t.Errorf("by version: %v %v", s.Value, err)
	}
	set, err := c.SetSecret(ctx, "kv1", "db-password", "n3w", "text/plain")
	if err != nil || set.Value != "n3w" || set.ContentType != "text/plain" {
		t.Errorf("set: %+v %v", set, err)
	}
	items, err := c.ListSecrets(ctx, "kv1")
	if err != nil || len(items) != 2 || items[0].Name() != "a" || items[1].Name() != "b" {
		t.Fatalf("list: %+v %v", items, err)
	}
	host := "kv1.vault.localhost:" + port(srv)
	want := []string{
		"GET " + host + " /secrets/db-password/?api-version=2026-04-01",
		"GET " + host + " /secrets/db-password/0123456789abcdef0123456789abcdef?api-version=2026-04-01",
		"PUT " + host + " /secrets/db-password?api-version=2026-04-01",
		"GET " + host + " /secrets?api-version=2026-04-01",
		"GET " + host + " /secrets?api-version=2026-04-01&$skiptoken=Yg",
	}
	if strings.Join(fv.requests, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant\n%s", strings.Join(fv.requests, "\n"), strings.Join(want, "\n"))
	}
	for _, a := range fv.auth {
		if a != "Bearer tok-123" {
			t.Errorf("Authorization %q", a)
		}
	}
	if fv.bodies[2] != `{"contentType":"text/plain","value":"n3w"}` {
		t.Errorf("set body %s", fv.bodies[2])
	}
	for _, r := range tk.resources {
		if r != "https://vault.azure.net" {
			t.Errorf("token asked for %q", r)
		}
	}
}

func TestNextLinkElsewhereIsRefused(t *testing.T) {
	other := &fakeVault{}
	otherSrv, _ := tlsServer(t, other)
	fv := &fakeVault{answer: func(w http.ResponseWriter, r *http.Request) bool {
		fmt.Fprintf(w, `{"value":[],"nextLink":"https://kv1.other.localhost:%s/secrets?api-version=2026-04-01"}`, port(otherSrv))
		return true
	}}
	srv, hc := tlsServer(t, fv)
	c := newClient(t, hc, ".vault.localhost:"+port(srv), &tokens{})
	_, err := c.ListSecrets(context.Background(), "kv1")
	if err == nil || !strings.Contains(err.Error(), "refusing to send the token there") {
		t.Fatalf("error %v", err)
	}
	if len(other.requests) != 0 {
		t.Errorf("the other host was called: %v", other.requests)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	fv := &fakeVault{answer: func(w http.ResponseWriter, r *http.Request) bool {
		http.Redirect(w, r, "https://kv2.vault.localhost"+r.URL.Path, http.StatusTemporaryRedirect)
		return true
	}}
	srv, hc := tlsServer(t, fv)
	c := newClient(t, hc, ".vault.localhost:"+port(srv), &tokens{})
	_, err := c.GetSecret(context.Background(), "kv1", "db-password", "")
	var kerr *Error
	if !errors.As(err, &kerr) || kerr.StatusCode != 307 || len(fv.requests) != 1 {
		t.Fatalf("error %v, requests %v", err, fv.requests)
	}
}

func TestServiceErrors(t *testing.T) {
	body := `{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\n","innererror":{"code":"ForbiddenByRbac"}}}`
	fv := &fakeVault{answer: func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/secrets/gateway/" {
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>bad gateway</html>")
			return true
		}
		w.WriteHeader(403)
		fmt.Fprint(w, body)
		return true
	}}
	srv, hc := tlsServer(t, fv)
	c := newClient(t, hc, ".vault.localhost:"+port(srv), &tokens{})
	_, err := c.GetSecret(context.Background(), "kv1", "db-password", "")
	want := "getting secret db-password from kv1.vault.localhost:" + port(srv) + ": Key Vault answered 403 Forbidden/ForbiddenByRbac: Caller is not authorized to perform action on resource.; Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action' (grant the identity a data role on the vault or the secret: Key Vault Secrets User to read, Key Vault Secrets Officer to write)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
	_, err = c.GetSecret(context.Background(), "kv1", "gateway", "")
	var kerr *Error
	if !errors.As(err, &kerr) || kerr.StatusCode != 502 || kerr.Code != "Bad Gateway" {
		t.Errorf("502: %v", err)
	}
}

func TestLocalRefusalsSendNothing(t *testing.T) {
	fv := &fakeVault{}
	srv, hc := tlsServer(t, fv)
	tk := &tokens{}
	c := newClient(t, hc, ".vault.localhost:"+port(srv), tk)
	ctx := context.Background()
	const canary = "CANARY-value-91c2"
	for _, err := range []error{
		func() error { _, err := c.GetSecret(ctx, "kv1", "bad_name", ""); return err }(),
		func() error { _, err := c.GetSecret(ctx, "kv1", "db-password", "xyz"); return err }(),
		func() error { _, err := c.GetSecret(ctx, "https://evil.example", "db-password", ""); return err }(),
		func() error {
			_, err := c.SetSecret(ctx, "kv1", "db-password", canary+strings.Repeat("x", MaxValueBytes), "")
			return err
		}(),
		func() error { _, err := c.SetSecret(ctx, "kv1", "bad.name", canary, ""); return err }(),
	} {
		if err == nil {
			t.Error("accepted")
			continue
		}
		if strings.Contains(err.Error(), canary) {
			t.Errorf("error holds the value: %v", err)
		}
	}
	if len(fv.requests) != 0 || len(tk.resources) != 0 {
		t.Errorf("requests %v, tokens %v", fv.requests, tk.resources)
	}
}

func TestSecretPrintsWithoutValue(t *testing.T) {
	s := Secret{Value: "CANARY-print", ID: "https://kv1.vault.azure.net/secrets/a/0123"}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s)} {
		if strings.Contains(out, "CANARY") {
			t.Errorf("printed %q", out)
		}
	}
}

func TestLocalhostDialsLoopback(t *testing.T) {
	for in, want := range map[string]string{
		"kv1.vault.localhost:8443": "127.0.0.1:8443", "localhost:1": "127.0.0.1:1", "KV.LOCALHOST.:2": "127.0.0.1:2",
		"kv1.vault.azure.net:443": "kv1.vault.azure.net:443", "localhost.example:3": "localhost.example:3", "nonsense": "nonsense",
	} {
		if got := loopbackFor(in); got != want {
			t.Errorf("loopbackFor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDoSendsTheTokenOnlyToVaults(t *testing.T) {
	fv := &fakeVault{}
	srv, hc := tlsServer(t, fv)
	tk := &tokens{}
	c := newClient(t, hc, ".vault.localhost:"+port(srv), tk)
	ctx := context.Background()
	host := "kv1.vault.localhost:" + port(srv)
	r, err := c.Do(ctx, "GET", "https://"+host+"/secrets/db-password/?api-version=7.5", nil)
	if err != nil || r.StatusCode != 200 || !strings.Contains(string(r.Body), "s3cr3t") {
		t.Fatalf("Do: %v %s", err, r.Body)
	}
	for _, u := range []string{
		"https://127.0.0.1:" + port(srv) + "/secrets",
		"https://kv1.other.localhost:" + port(srv) + "/secrets",
		"http://" + host + "/secrets",
		"https://user:pw@" + host + "/secrets",
		"::",
	} {
		if _, err := c.Do(ctx, "GET", u, nil); err == nil {
			t.Errorf("Do(%q) was sent", u)
		}
	}
	if len(fv.requests) != 1 || len(tk.resources) != 1 {
		t.Errorf("requests %v tokens %v", fv.requests, tk.resources)
	}
	_, err = c.Do(ctx, "GET", "https://"+host+"/nope", nil)
	var kerr *Error
	if !errors.As(err, &kerr) || kerr.StatusCode != 404 {
		t.Errorf("404: %v", err)
	}
}

// Long service messages and inputs are clipped on a rune boundary, so an
// error stays valid UTF-8.
func TestClippedTextStaysUTF8(t *testing.T) {
	long := "a" + strings.Repeat("é", 400) // byte 600 is inside a rune
	e := parseError("getting secret x", 403, []byte(`{"error":{"code":"Forbidden","message":"`+long+`"}}`))
	if !utf8.ValidString(e.Message) || !strings.HasSuffix(e.Message, "é…") || len(e.Message) > 600+len("…") {
		t.Errorf("message clipped to %d bytes, valid %v: %q", len(e.Message), utf8.ValidString(e.Message), e.Message[len(e.Message)-8:])
	}
	_, err := vaultURL("a"+strings.Repeat("ü", 80), "") // byte 100 is inside a rune
	if err == nil || strings.Contains(err.Error(), `\x`) || !strings.Contains(err.Error(), "ü…") {
		t.Errorf("vault name error: %v", err)
	}
}
