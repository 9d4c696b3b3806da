package identity

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const arcKey = "arc-key-CANARY-0123456789"

// fakeArc is an httptest Arc agent: the first request of each pair gets a
// 401 whose realm is realm(dir), the second must carry the key.
func fakeArc(t *testing.T, realm func(dir string) string, echo func(r *http.Request) string) (*fakeIMDS, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "good.key"), []byte(arcKey), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Authorization") == "" {
			if h := realm(dir); h != "-" {
				w.Header().Set("WWW-Authenticate", h)
			}
			writeJSON(w, 401, `{"error":"unauthorized","error_description":"key required"}`)
			return
		}
		if r.Header.Get("Authorization") != "Basic "+arcKey {
			writeJSON(w, 401, `{"error":"unauthorized","error_description":"wrong key"}`)
			return
		}
		extra := ""
		if echo != nil {
			extra = echo(r)
		}
		writeJSON(w, 200, fmt.Sprintf(`{"access_token":%q,"expires_in":"3599","expires_on":"%d","resource":%q,"token_type":"Bearer"%s}`, uamiJWT(nil), epoch0.Unix()+3599, armRes, extra))
	})
	return srv, dir
}

func arcEnv(srv *fakeIMDS) map[string]string {
	return map[string]string{"IDENTITY_ENDPOINT": srv.URL + "/metadata/identity/oauth2/token", "IMDS_ENDPOINT": srv.URL}
}

func TestArcChallenge(t *testing.T) {
	echoSelector := func(r *http.Request) string {
		q := r.URL.Query()
		for _, k := range []string{"client_id", "object_id", "msi_res_id"} {
			if v := q.Get(k); v != "" {
				return fmt.Sprintf(",%q:%q", k, v)
			}
		}
		return ""
	}
	tests := []struct {
		id    ID
		param string
	}{{ID{}, ""}, {ClientID(testCID), "client_id"}, {ObjectID(testOID), "object_id"}, {ResourceID(testMIID), "msi_res_id"}}
	for _, tt := range tests {
		t.Run(tt.id.Kind().String(), func(t *testing.T) {
			srv, dir := fakeArc(t, func(dir string) string { return "Basic realm=" + filepath.Join(dir, "good.key") }, echoSelector)
			c := newHostCred(t, arcEnv(srv), Options{ID: tt.id, ArcKeyDir: dir})
			if c.Source().Host != HostArc {
				t.Fatalf("Source() = %+v", c.Source())
			}
			if _, err := c.Token(context.Background(), armRes); err != nil {
				t.Fatal(err)
			}
			seen := srv.Seen()
			if len(seen) != 2 {
				t.Fatalf("%d requests", len(seen))
			}
			for i, r := range seen {
				if r.Query.Get("api-version") != "2020-06-01" || r.Header.Get("Metadata") != "true" || r.Query.Get("resource") != armRes {
					t.Fatalf("request %d: %v %v", i, r.Query, r.Header)
				}
				if tt.param != "" && r.Query.Get(tt.param) != tt.id.Value() {
					t.Fatalf("request %d: %s missing: %v", i, tt.param, r.Query)
				}
			}
			if seen[0].Header.Get("Authorization") != "" || seen[1].Header.Get("Authorization") != "Basic "+arcKey {
				t.Fatalf("Authorization: %q then %q", seen[0].Header.Get("Authorization"), seen[1].Header.Get("Authorization"))
			}
		})
	}
}

func TestArcEchoFailsClosed(t *testing.T) {
	srv, dir := fakeArc(t, func(dir string) string { return "Basic realm=" + filepath.Join(dir, "good.key") }, nil)
	c := newHostCred(t, arcEnv(srv), Options{ID: ClientID(testCID), ArcKeyDir: dir})
	_, err := c.Token(context.Background(), armRes)
	if err == nil || !strings.Contains(err.Error(), "did not confirm the requested user-assigned identity") {
		t.Fatalf("err = %v", err)
	}
	srv2, dir2 := fakeArc(t, func(dir string) string { return "Basic realm=" + filepath.Join(dir, "good.key") }, func(*http.Request) string {
		return `,"client_id":"99999999-9999-9999-9999-999999999999"`
	})
	c2 := newHostCred(t, arcEnv(srv2), Options{ID: ClientID(testCID), ArcKeyDir: dir2})
	if _, err := c2.Token(context.Background(), armRes); err == nil || !strings.Contains(err.Error(), "99999999") {
		t.Fatalf("err = %v", err)
	}
}

// TestArcKeyFileAttacks: every challenge that names a file the rules
// refuse fails before any key is sent, with an error naming the rule.
func TestArcKeyFileAttacks(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "evil.key"), []byte(arcKey), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(dir string) string // returns the WWW-Authenticate header, "-" for none
		want  string
	}{
		{"outside the folder", func(string) string { return "Basic realm=" + filepath.Join(outside, "evil.key") }, "rule: inside the key folder"},
		{"dot-dot escape", func(dir string) string {
			rel, _ := filepath.Rel(dir, outside)
			return "Basic realm=" + dir + "/" + rel + "/evil.key"
		}, "rule: inside the key folder"},
		{"subfolder", func(dir string) string {
			os.Mkdir(filepath.Join(dir, "sub"), 0o700)
			os.WriteFile(filepath.Join(dir, "sub", "a.key"), []byte(arcKey), 0o600)
			return "Basic realm=" + filepath.Join(dir, "sub", "a.key")
		}, "rule: inside the key folder"},
		{"relative path", func(string) string { return "Basic realm=good.key" }, "rule: absolute path"},
		{"wrong extension", func(dir string) string {
			os.WriteFile(filepath.Join(dir, "secret.txt"), []byte(arcKey), 0o600)
			return "Basic realm=" + filepath.Join(dir, "secret.txt")
		}, "rule: .key extension"},
		{"oversize", func(dir string) string {
			os.WriteFile(filepath.Join(dir, "big.key"), []byte(strings.Repeat("k", 5000)), 0o600)
			return "Basic realm=" + filepath.Join(dir, "big.key")
		}, "rule: at most 4096 bytes"},
		{"symlink out", func(dir string) string {
			os.Symlink(filepath.Join(outside, "evil.key"), filepath.Join(dir, "link.key"))
			return "Basic realm=" + filepath.Join(dir, "link.key")
		}, "rule: no symbolic link"},
		{"symlink in", func(dir string) string {
			os.Symlink(filepath.Join(dir, "good.key"), filepath.Join(dir, "link2.key"))
			return "Basic realm=" + filepath.Join(dir, "link2.key")
		}, "rule: no symbolic link"},
		{"directory", func(dir string) string {
			os.Mkdir(filepath.Join(dir, "d.key"), 0o700)
			return "Basic realm=" + filepath.Join(dir, "d.key")
		}, "rule: regular file"},
		{"fifo", func(dir string) string {
			p := filepath.Join(dir, "f.key")
			if err := mkfifo(p); err != nil {
				return "Basic realm=" + filepath.Join(dir, "missing.key")
			}
			return "Basic realm=" + p
		}, "Azure Arc key file refused"},
		{"missing file", func(dir string) string { return "Basic realm=" + filepath.Join(dir, "missing.key") }, "does not exist"},
		{"control characters", func(dir string) string {
			os.WriteFile(filepath.Join(dir, "nl.key"), []byte("abc\r\nX-Evil: 1"), 0o600)
			return "Basic realm=" + filepath.Join(dir, "nl.key")
		}, "rule: printable key"},
		{"empty key", func(dir string) string {
			os.WriteFile(filepath.Join(dir, "empty.key"), nil, 0o600)
			return "Basic realm=" + filepath.Join(dir, "empty.key")
		}, "rule: non-empty key"},
		{"missing header", func(string) string { return "-" }, "without a WWW-Authenticate header"},
		{"realm without path", func(string) string { return "Basic realm=" }, "realm names no key file"},
		{"not basic", func(string) string { return "Bearer realm=x" }, `expected "Basic realm=<key file>"`},
		{"basic without realm", func(string) string { return "Basic " }, `expected "Basic realm=<key file>"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header string
			srv, dir := fakeArc(t, func(dir string) string { return header }, nil)
			header = tt.setup(dir)
			c := newHostCred(t, arcEnv(srv), Options{ArcKeyDir: dir})
			_, err := c.Token(context.Background(), armRes)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ~%q", err, tt.want)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Fatalf("key content in error: %v", err)
			}
			for _, r := range srv.Seen() {
				if r.Header.Get("Authorization") != "" {
					t.Fatalf("a key was sent: %v", r.Header)
				}
			}
		})
	}
}

func TestArcChallengeProtocolErrors(t *testing.T) {
	t.Run("first answer 200", func(t *testing.T) {
		srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 200, tokenBody("t", armRes, 3600))
		})
		c := newHostCred(t, arcEnv(srv), Options{ArcKeyDir: t.TempDir()})
		if _, err := c.Token(context.Background(), armRes); err == nil || !strings.Contains(err.Error(), "without the expected 401 challenge") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("first answer 500 is an error, retried", func(t *testing.T) {
		srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 500, `{"error":"server_error","error_description":"agent down"}`)
		})
		c := newHostCred(t, arcEnv(srv), Options{ArcKeyDir: t.TempDir()})
		_, err := c.Token(context.Background(), armRes)
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Source != "Azure Arc" || ae.StatusCode != 500 || len(srv.Seen()) != 4 {
			t.Fatalf("err = %v after %d requests", err, len(srv.Seen()))
		}
	})
	t.Run("key refused", func(t *testing.T) {
		srv, dir := fakeArc(t, func(dir string) string { return "Basic realm=" + filepath.Join(dir, "other.key") }, nil)
		os.WriteFile(filepath.Join(dir, "other.key"), []byte("not-the-key"), 0o600)
		c := newHostCred(t, arcEnv(srv), Options{ArcKeyDir: dir})
		_, err := c.Token(context.Background(), armRes)
		var ae *AuthError
		if !errors.As(err, &ae) || ae.StatusCode != 401 || len(srv.Seen()) != 2 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("identity not found", func(t *testing.T) {
		srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if r.Header.Get("Authorization") == "" {
				w.Header().Set("WWW-Authenticate", "Basic realm=/nonexistent/x.key")
			}
			writeJSON(w, 404, `{"error":"identity_not_found","error_description":"Identity not found"}`)
		})
		c := newHostCred(t, arcEnv(srv), Options{ID: ClientID(testCID), ArcKeyDir: t.TempDir()})
		_, err := c.Token(context.Background(), armRes)
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Code != "identity_not_found" || len(srv.Seen()) != 1 {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestArcKeyDirFallbacks(t *testing.T) {
	srv, dir := fakeArc(t, func(dir string) string { return "Basic realm=" + filepath.Join(dir, "good.key") }, nil)
	env := arcEnv(srv)
	env[EnvArcKeyDir] = dir
	c := newHostCred(t, env, Options{})
	if _, err := c.Token(context.Background(), armRes); err != nil {
		t.Fatalf("AZMSI_ARC_KEY_DIR not used: %v", err)
	}
	// Options.ArcKeyDir wins over the variable.
	c2 := newHostCred(t, env, Options{ArcKeyDir: t.TempDir()})
	if _, err := c2.Token(context.Background(), armRes); err == nil || !strings.Contains(err.Error(), "rule: inside the key folder") {
		t.Fatalf("err = %v", err)
	}
}

func TestArcKeyFileErrorPermission(t *testing.T) {
	err := arcKeyFileError("/var/opt/azcmagent/tokens/x.key", &fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission})
	if !errors.Is(err, fs.ErrPermission) || !errors.Is(err, ErrArcKeyRefused) || !strings.Contains(err.Error(), "himds group") {
		t.Fatalf("err = %v", err)
	}
}

// TestArcEchoedButWrongToken: an agent that echoes the selector yet hands
// out a token of another identity is refused too (the token's own claims
// are checked after the echo).
func TestArcEchoedButWrongToken(t *testing.T) {
	const other = "99999999-9999-9999-9999-999999999999"
	srv, dir := fakeArc(t, func(dir string) string { return "Basic realm=" + filepath.Join(dir, "good.key") }, func(r *http.Request) string {
		return fmt.Sprintf(`,"client_id":%q,"mi_res_id":"x"`, r.URL.Query().Get("client_id"))
	})
	c := newHostCred(t, arcEnv(srv), Options{ID: ClientID(other), ArcKeyDir: dir})
	_, err := c.Token(context.Background(), armRes)
	if err == nil || !strings.Contains(err.Error(), "token for a different identity") || !strings.Contains(err.Error(), "appid "+testCID) {
		t.Fatalf("err = %v", err)
	}
}
