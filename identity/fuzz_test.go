package identity

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Seeds live in testdata/fuzz/<Fuzz…>/ (protocols.md §15.4, §15.9 vectors).

func FuzzParseTokenResponse(f *testing.F) {
	now := time.Unix(1700000000, 0).UTC()
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := parseTokenResponse(body, now)
		if err != nil {
			var probe struct {
				AccessToken string `json:"access_token"`
			}
			if json.Unmarshal(body, &probe) == nil && len(probe.AccessToken) >= 24 &&
				strings.Count(string(body), probe.AccessToken) == 1 && strings.Contains(err.Error(), probe.AccessToken) {
				t.Fatalf("error quotes the access token: %v", err)
			}
			return
		}
		if r.AccessToken == "" || r.Type == "" || r.ExpiresOn.IsZero() || r.RefreshOn.IsZero() {
			t.Fatalf("incomplete token: %+v", r.Token)
		}
		latest := r.ExpiresOn
		if now.After(latest) {
			latest = now
		}
		if r.RefreshOn.After(latest) {
			t.Fatalf("RefreshOn %v after ExpiresOn %v", r.RefreshOn, r.ExpiresOn)
		}
		if y := r.ExpiresOn.Year(); y < 1970 || y > 10000 {
			t.Fatalf("ExpiresOn year %d", y)
		}
		if s := r.String(); !strings.HasSuffix(s, "AccessToken:"+redacted+"}") {
			t.Fatalf("String leaks: %s", s)
		}
	})
}

func FuzzParseClaims(f *testing.F) {
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := ParseClaims(tok)
		if err != nil {
			if len(tok) >= 24 && strings.Contains(err.Error(), tok) {
				t.Fatalf("error quotes the token: %v", err)
			}
			return
		}
		if c.Raw == nil {
			t.Fatal("nil Raw on success")
		}
		if strings.Count(tok, ".") != 2 {
			t.Fatalf("accepted %d-part token", strings.Count(tok, ".")+1)
		}
	})
}

func FuzzIDValidate(f *testing.F) {
	f.Fuzz(func(t *testing.T, kind uint8, value string) {
		id := ID{kind: IDKind(kind % 5), value: value}
		err := id.Validate()
		if err == nil {
			switch id.kind {
			case ClientIDKind, ObjectIDKind:
				if !isGUID(value) {
					t.Fatalf("accepted %q", value)
				}
			case ResourceIDKind:
				if parts := strings.Split(value, "/"); len(parts) != 9 || !strings.EqualFold(parts[6], "Microsoft.ManagedIdentity") {
					t.Fatalf("accepted %q", value)
				}
			case SystemAssigned:
				if value != "" {
					t.Fatalf("accepted system-assigned with value %q", value)
				}
			default:
				t.Fatalf("accepted kind %d", id.kind)
			}
			return
		}
		if value != "" && id.kind != 4 && !strings.Contains(err.Error(), strconv.Quote(value)) && !strings.Contains(err.Error(), "empty") {
			t.Fatalf("error does not name the value %q: %v", value, err)
		}
	})
}

func FuzzScopeToResource(f *testing.F) {
	f.Add("https://management.azure.com/.default")
	f.Add("a b")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ScopeToResource(s)
		if err == nil && (r == "" || strings.ContainsAny(r, " \t\r\n,") || !strings.HasPrefix(s, r)) {
			t.Fatalf("ScopeToResource(%q) = %q", s, r)
		}
	})
}
