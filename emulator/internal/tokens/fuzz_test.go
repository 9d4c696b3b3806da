package tokens

import (
	"strings"
	"testing"
)

// FuzzVerifyToken: arbitrary bearer strings are never accepted and never
// panic; a rejection never repeats the token.
func FuzzVerifyToken(f *testing.F) {
	s := newTestAuthority(f, nil)
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.")
	f.Add("a.b.c")
	f.Add("..")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.e30.AAAA")
	f.Fuzz(func(t *testing.T, raw string) {
		v, terr := s.Verify(raw)
		if terr == nil {
			t.Fatalf("accepted a forged token %q: %+v", raw, v)
		}
		if len(raw) >= 16 && strings.Contains(terr.Message, raw) {
			t.Fatalf("message repeats the token: %s", terr.Message)
		}
	})
}
