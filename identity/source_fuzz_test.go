package identity

import (
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseThumbprint: never panics; anything accepted is 40 hex digits
// once ':' and blanks are removed, and decodes to the returned bytes.
func FuzzParseThumbprint(f *testing.F) {
	for _, s := range []string{"0123456789abcdef0123456789ABCDEF01234567", "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67", "", "not-a-thumbprint", strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseThumbprint(s)
		if err != nil {
			return
		}
		clean := strings.NewReplacer(":", "", " ", "", "\t", "").Replace(s)
		if !strings.EqualFold(hex.EncodeToString(got[:]), clean) {
			t.Fatalf("%q → %x", s, got)
		}
	})
}

// FuzzArcChallenge: whatever WWW-Authenticate says, the key sent back is
// the content of the one good key file, or the challenge is refused.
func FuzzArcChallenge(f *testing.F) {
	dir := f.TempDir()
	const key = "fuzz-key-content"
	if err := os.WriteFile(filepath.Join(dir, "good.key"), []byte(key), 0o600); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.txt"), []byte(key), 0o600); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Basic realm=" + filepath.Join(dir, "good.key"), "Basic realm=", "Basic ", "", "Bearer x",
		"Basic realm=" + dir + "/../good.key", "Basic realm=" + filepath.Join(dir, "bad.txt"), `basic realm="` + filepath.Join(dir, "good.key") + `"`,
		"Basic realm=/etc/passwd", "Basic realm=" + dir + "//good.key"} {
		f.Add(s)
	}
	src := &arcSource{endpoint: "http://127.0.0.1:1/t", keyDir: dir}
	f.Fuzz(func(t *testing.T, h string) {
		ex := &exchange{status: 401, header: http.Header{}}
		if h != "" {
			ex.header.Set("WWW-Authenticate", h)
		}
		auth, err := src.answer(ex)
		if err != nil {
			if strings.Contains(err.Error(), key) {
				t.Fatalf("key in error: %v", err)
			}
			if strings.HasPrefix(strings.ToLower(h), "basic realm=") && strings.TrimSpace(h[len("basic realm="):]) != "" && !errors.Is(err, ErrArcKeyRefused) && !strings.Contains(err.Error(), "names no key file") {
				t.Fatalf("refusal without a rule: %v", err)
			}
			return
		}
		if auth != "Basic "+key {
			t.Fatalf("challenge %q produced %q", h, auth)
		}
	})
}
