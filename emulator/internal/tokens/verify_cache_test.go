package tokens

import (
	"strings"
	"testing"
	"time"
)

// The cache skips only the signature check: a different token string is
// verified from scratch, and expiry is checked on every request.
func TestVerifiedCache(t *testing.T) {
	clock := newFakeClock()
	s := newTestAuthority(t, clock.Now)
	raw := mintForTest(t, s, "app-reader", "https://management.azure.com/")
	for i := 0; i < 2; i++ {
		if v, terr := s.Verify(raw); terr != nil || v.Identity.Name != "app-reader" {
			t.Fatalf("verify #%d: %v %v", i+1, v, terr)
		}
	}
	if _, ok := s.verified.get(raw); !ok {
		t.Fatal("a verified token was not cached")
	}

	// Same header and claims, another signature: rejected although the
	// genuine token is cached.
	dot := strings.LastIndexByte(raw, '.')
	sig := []byte(raw[dot+1:])
	if sig[0] == 'A' {
		sig[0] = 'B'
	} else {
		sig[0] = 'A'
	}
	if _, terr := s.Verify(raw[:dot+1] + string(sig)); terr == nil || terr.Code != CodeInvalidToken {
		t.Fatalf("tampered signature: %v, want %s", terr, CodeInvalidToken)
	}

	// A cache hit is still checked against the clock on every request:
	// not yet valid before nbf, refused after exp.
	clock.Advance(-time.Hour)
	if _, terr := s.Verify(raw); terr == nil || terr.Code != CodeInvalidToken || !strings.Contains(terr.Message, "not yet valid") {
		t.Fatalf("cached token before nbf: %v, want not yet valid", terr)
	}
	clock.Advance(time.Hour)
	if _, terr := s.Verify(raw); terr != nil {
		t.Fatalf("cached token back in its window: %v", terr)
	}
	clock.Advance(25 * time.Hour)
	if _, terr := s.Verify(raw); terr == nil || terr.Code != CodeExpiredToken {
		t.Fatalf("expired cached token: %v, want %s", terr, CodeExpiredToken)
	}
}

func TestVerifiedCacheBounded(t *testing.T) {
	var c verifiedCache
	for i := 0; i < verifiedCacheMax+10; i++ {
		c.put(strings.Repeat("x", i+1), nil)
	}
	if n := len(c.m); n > verifiedCacheMax {
		t.Fatalf("cache holds %d entries, max %d", n, verifiedCacheMax)
	}
}
