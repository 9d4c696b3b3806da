package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"testing"

	"github.com/azmsi/azmsi/emulator"
)

// loadParallelism is goroutines per GOMAXPROCS for the load generator.
const loadParallelism = 8

// BenchmarkEmulator measures the emulator alone, driven by a Go load
// generator (net/http, keep-alive, loopback) in the same process: both share
// the machine's cores. One op is one request; req/s is the throughput.
func BenchmarkEmulator(b *testing.B) {
	s := startEmulator(b, emulator.Options{Config: World(1, 1000)})
	hc := httpClient(b, s)
	sub := s.Config().Subscriptions[0].SubscriptionID

	tokenURL := s.IMDSEndpoint() + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + armAudience
	get := func(url, auth string) error {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if auth == "" {
			req.Header.Set("Metadata", "true")
		} else {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: %s", req.URL.Path, resp.Status)
		}
		return err
	}

	b.Run("token-requests", func(b *testing.B) {
		b.SetParallelism(loadParallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := get(tokenURL, ""); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})

	// A bearer token for ARM, straight from the emulator.
	resp, err := hc.Do(mustRequest(b, tokenURL))
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		b.Fatalf("no token from the emulator: %v", err)
	}
	pageURL := s.ARMEndpoint() + "/subscriptions/" + sub + "/resourcegroups?api-version=2021-04-01"

	b.Run("list-pages", func(b *testing.B) {
		b.SetParallelism(loadParallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := get(pageURL, tok.AccessToken); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}

func mustRequest(tb testing.TB, url string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Metadata", "true")
	return req
}

// BenchmarkEmulatorMemory: heap held by a running emulator serving 100,000
// resource groups (100 subscriptions × 1,000), measured after GC. One op
// starts and closes an emulator.
func BenchmarkEmulatorMemory(b *testing.B) {
	cfg := World(100, 1000)
	var held uint64
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		ctx, cancel := context.WithCancel(context.Background())
		s, err := emulator.Start(ctx, emulator.Options{Config: cfg})
		if err != nil {
			cancel()
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held += after.HeapAlloc - before.HeapAlloc
		if got := len(s.Config().Subscriptions); got != 100 {
			b.Fatalf("emulator has %d subscriptions", got)
		}
		s.Close()
		cancel()
	}
	b.ReportMetric(float64(held)/float64(b.N)/(1<<20), "heap-MB")
}
