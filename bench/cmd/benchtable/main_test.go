package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkCachedToken/serial/impl=azmsi-2   5245323   200.0 ns/op   0 B/op   0 allocs/op
BenchmarkCachedToken/serial/impl=azmsi-2   5245323   100.0 ns/op   0 B/op   0 allocs/op
BenchmarkCachedToken/serial/impl=azmsi-2   5245323   150.0 ns/op   0 B/op   0 allocs/op
BenchmarkCachedToken/serial/impl=sdk-2      386456   3000 ns/op   224 B/op   9 allocs/op
BenchmarkOffAzure/impl=sdk-2   1   5001854370 ns/op   1.000 cut-off
BenchmarkOffAzure/impl=azmsi-2   3   51044720 ns/op
BenchmarkListGroups/subs=1/groups=10000/impl=azmsi-2   1   342333724 ns/op   100.0 arm-reqs/op
BenchmarkListGroups/subs=1/groups=10000/impl=sdk-2     1   530430340 ns/op   100.0 arm-reqs/op
BenchmarkEmulator/token-requests-2   19684   73213 ns/op   13659 req/s
--- FAIL: BenchmarkSomething
PASS
`

func TestParseAndMedian(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, impl, unit string
		want            float64
	}{
		{"CachedToken/serial", "azmsi", "ns/op", 150},
		{"CachedToken/serial", "sdk", "allocs/op", 9},
		{"OffAzure", "sdk", "cut-off", 1},
		{"ListGroups/subs=1/groups=10000", "sdk", "arm-reqs/op", 100},
		{"Emulator/token-requests", "", "req/s", 13659},
	} {
		got, ok := res.median(tc.key, tc.impl, tc.unit)
		if !ok || got != tc.want {
			t.Errorf("median(%s, %s, %s) = %v, %v; want %v", tc.key, tc.impl, tc.unit, got, ok, tc.want)
		}
	}
	if n := res.count("CachedToken/serial", "azmsi", "ns/op"); n != 3 {
		t.Errorf("count = %d, want 3", n)
	}
}

func TestParseImplInTheMiddle(t *testing.T) {
	res, _ := parse(strings.NewReader("BenchmarkA/impl=sdk/x=1-8 10 5 ns/op\n"))
	if _, ok := res.median("A/x=1", "sdk", "ns/op"); !ok {
		t.Fatalf("impl in the middle of the name not recognised: %v", res)
	}
}

func TestRender(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.txt")
	os.WriteFile(raw, []byte(sample), 0o644)
	var out bytes.Buffer
	if err := run(&out, raw, "", "", "", "1.0 1.0 1.0"); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"## Headline",
		"| Cached token, serial | 150 ns | 3.0 µs (Azure SDK for Go) | 20× better |",
		"| Off Azure: time to \"unavailable\" | 51.0 ms | Azure SDK for Go | > 5.00 s (cut off) |",
		"❌ missed", // off Azure 51 ms > 50 ms
		"| List 10,000 groups, 1 subscription | 342.3 ms | Azure SDK for Go | 530.4 ms | 1.55× | ≥ 1.5× faster | ✅ met |",
		"| Emulator: token requests/s (loopback) | 13,659/s |",
		"load average when the run started: 1.0 1.0 1.0",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q\n%s", want, s)
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	os.WriteFile(empty, []byte("PASS\n"), 0o644)
	if err := run(&bytes.Buffer{}, empty, "", "", "", ""); err == nil {
		t.Error("no results: want an error")
	}
	if err := run(&bytes.Buffer{}, filepath.Join(dir, "missing"), "", "", "", ""); err == nil {
		t.Error("missing file: want an error")
	}
}
