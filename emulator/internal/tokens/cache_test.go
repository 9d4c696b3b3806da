package tokens

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// Large tokens for many resources cannot grow the cache past its byte
// bound; a token put twice is counted once.
func TestCacheBoundedByBytes(t *testing.T) {
	c := newCache()
	tok := Minted{Raw: strings.Repeat("t", 64<<10), ExpiresAt: time.Now().Add(time.Hour)}
	for i := 0; i < 1000; i++ {
		c.put("oid", "https://r"+strconv.Itoa(i), tok)
		if c.bytes > 16<<20 {
			t.Fatalf("after %d puts the cache holds %d bytes, want at most 16 MiB", i+1, c.bytes)
		}
	}
	c.clear()
	c.put("oid", "r", tok)
	c.put("oid", "r", tok)
	if want := len("oid") + len("r") + len(tok.Raw); c.bytes != want || len(c.entries) != 1 {
		t.Errorf("same key twice: %d bytes in %d entries, want %d in 1", c.bytes, len(c.entries), want)
	}
}

func TestCheckResource(t *testing.T) {
	for _, ok := range []string{"https://management.azure.com/", "api://x", "22222222-2222-2222-2222-222222222222", "https://ä.example/"} {
		if err := CheckResource(ok); err != nil {
			t.Errorf("CheckResource(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"https://x/\x00", "a b", "x\ny", "\u2028", "\xff", strings.Repeat("a", 1025)} {
		if err := CheckResource(bad); err == nil {
			t.Errorf("CheckResource(%.20q) accepted", bad)
		}
	}
}
