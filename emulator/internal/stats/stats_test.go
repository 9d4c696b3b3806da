package stats

import (
	"strconv"
	"strings"
	"testing"
)

func TestTokenServedBounded(t *testing.T) {
	var c Counters
	c.TokenServed("a", "r")
	c.TokenServed("a", "r")
	for i := 0; i < maxServedKeys+5; i++ {
		c.TokenServed("b", strconv.Itoa(i))
	}
	got := map[[2]string]int64{}
	c.Served(func(id, res string, n int64) { got[[2]string{id, res}] = n })
	if got[[2]string{"a", "r"}] != 2 {
		t.Errorf("a/r counted %d, want 2", got[[2]string{"a", "r"}])
	}
	if len(got) > maxServedKeys+1 {
		t.Errorf("%d keys, want at most %d", len(got), maxServedKeys+1)
	}
	if got[[2]string{"b", "(other)"}] == 0 {
		t.Error("resources past the bound are not counted as (other)")
	}
}

func TestTokenServedBoundedByBytes(t *testing.T) {
	var c Counters
	big := strings.Repeat("r", 1000)
	for i := 0; i < 3000; i++ {
		c.TokenServed("id", big+strconv.Itoa(i))
	}
	n, bytes := 0, 0
	c.Served(func(id, res string, _ int64) { n++; bytes += len(id) + len(res) })
	if bytes > 1<<20 {
		t.Errorf("%d keys hold %d bytes, want at most 1 MiB", n, bytes)
	}
	if n < 1000 {
		t.Errorf("only %d keys kept before the byte bound", n)
	}
}
