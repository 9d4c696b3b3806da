package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
)

// tokenFunc is one library's "give me a token for scope".
type tokenFunc func(ctx context.Context, scope string) error

// impls builds, for each library, a fresh credential's token function on
// the emulator s; close releases the credential.
func impls(b *testing.B, s *emulator.Server) []struct {
	name string
	make func() (tokenFunc, func())
} {
	hc := httpClient(b, s)
	return []struct {
		name string
		make func() (tokenFunc, func())
	}{
		{"azmsi", func() (tokenFunc, func()) {
			c, err := identity.New(identity.Options{Endpoint: s.IMDSEndpoint(), HTTPClient: hc, Getenv: noEnv})
			if err != nil {
				b.Fatal(err)
			}
			return func(ctx context.Context, scope string) error {
				_, err := c.Token(ctx, scope)
				return err
			}, func() { c.Close() }
		}},
		{"sdk", func() (tokenFunc, func()) {
			c := sdkCred(b, hc)
			return func(ctx context.Context, scope string) error {
				_, err := c.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
				return err
			}, func() {}
		}},
	}
}

// BenchmarkCachedToken: a token already in the credential's cache.
func BenchmarkCachedToken(b *testing.B) {
	s := startEmulator(b, emulator.Options{})
	ctx := context.Background()
	hc := httpClient(b, s)
	az := azmsiCred(b, s, hc)
	sdk := sdkCred(b, hc)
	o := sdkTokenOptions()
	if _, err := az.Token(ctx, armScope); err != nil {
		b.Fatal(err)
	}
	if _, err := sdk.GetToken(ctx, o); err != nil {
		b.Fatal(err)
	}
	b.Run("serial/impl=azmsi", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := az.Token(ctx, armScope); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("serial/impl=sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sdk.GetToken(ctx, o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel/impl=azmsi", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := az.Token(ctx, armScope); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("parallel/impl=sdk", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := sdk.GetToken(ctx, o); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

const burstCallers = 1000

var scopeSeq atomic.Int64

// freshScope returns a scope no call in this process asked for before:
// the benchmark framework runs a benchmark function several times (b.N
// ramp-up, -count), and MSAL's process-wide cache outlives credentials.
func freshScope(what string) string {
	return fmt.Sprintf("https://%s-%d.bench.invalid/.default", what, scopeSeq.Add(1))
}

// BenchmarkColdBurst: 1,000 goroutines ask a fresh credential at once. One
// op is one burst; ns/op is the wall time until every caller has a token,
// upstream-reqs/op what the emulator received. Each burst asks for a resource
// never asked before, because MSAL (under azidentity) keeps managed-identity
// tokens in a process-wide cache that a fresh credential would hit.
func BenchmarkColdBurst(b *testing.B) {
	s := startEmulator(b, emulator.Options{})
	for _, im := range impls(b, s) {
		b.Run("callers=1000/impl="+im.name, func(b *testing.B) {
			var upstream, failed int64
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				get, done := im.make()
				scope := freshScope("burst")
				before := s.Stats().TokenRequests
				start := make(chan struct{})
				var wg sync.WaitGroup
				var mu sync.Mutex
				var firstErr error
				for range burstCallers {
					wg.Go(func() {
						<-start
						ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
						defer cancel()
						if err := get(ctx, scope); err != nil {
							mu.Lock()
							failed++
							if firstErr == nil {
								firstErr = err
							}
							mu.Unlock()
						}
					})
				}
				b.StartTimer()
				close(start)
				wg.Wait()
				b.StopTimer()
				upstream += s.Stats().TokenRequests - before
				done()
				if firstErr != nil {
					b.Logf("%d callers failed, first: %v", failed, firstErr)
				}
			}
			b.ReportMetric(float64(upstream)/float64(b.N), "upstream-reqs/op")
			b.ReportMetric(float64(failed)/float64(b.N), "failed-callers/op")
		})
	}
}

const refreshCallers = 64

// BenchmarkRefresh: the emulator sends refresh_in=1s, so a second after each
// fetch the cached token is due for a proactive refresh. One op waits for
// that (untimed), then 64 callers ask at once; every caller's latency goes
// into p50/p99/max. A library that refreshes in the background keeps all of
// them at cache speed; one that refreshes on the caller's path shows the
// round trip in its tail. The resource is one no other benchmark asks for:
// MSAL's process-wide cache would otherwise hand the SDK a token minted
// without refresh_in by an earlier emulator.
func BenchmarkRefresh(b *testing.B) {
	const scope = "https://refresh.bench.invalid/.default"
	s := startEmulator(b, emulator.Options{RefreshIn: time.Second})
	ctx := context.Background()
	for _, im := range impls(b, s) {
		b.Run("callers=64/impl="+im.name, func(b *testing.B) {
			get, done := im.make()
			defer done()
			if err := get(ctx, scope); err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N*refreshCallers)
			var mu sync.Mutex
			var upstream int64
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				time.Sleep(1100 * time.Millisecond) // refresh_in has passed
				before := s.Stats().TokenRequests
				start := make(chan struct{})
				var wg sync.WaitGroup
				for range refreshCallers {
					wg.Go(func() {
						<-start
						t0 := time.Now()
						err := get(ctx, scope)
						d := time.Since(t0)
						if err != nil {
							b.Error(err)
						}
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					})
				}
				b.StartTimer()
				close(start)
				wg.Wait()
				b.StopTimer()
				// A background refresh may still be in flight: let it land
				// before counting.
				time.Sleep(50 * time.Millisecond)
				upstream += s.Stats().TokenRequests - before
			}
			sortDurations(lat)
			b.ReportMetric(float64(percentile(lat, 0.50).Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(percentile(lat, 0.99).Nanoseconds()), "p99-ns")
			b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
			b.ReportMetric(float64(upstream)/float64(b.N), "upstream-reqs/op")
		})
	}
}

// sdkOffAzureDeadline bounds the SDK's off-Azure attempt. azidentity retries
// a refused IMDS connection for about 1.5 minutes; run.sh measures that in
// full once (-sdk-offazure-deadline=3m), CI cuts it short.
var sdkOffAzureDeadline = flag.Duration("sdk-offazure-deadline", 5*time.Second,
	"deadline of the SDK's off-Azure GetToken (reported as cut-off=1 when it hits)")

// BenchmarkOffAzure: nothing listens at the endpoint (a closed loopback
// port standing in for 169.254.169.254 off Azure). Both libraries with their
// default options; one op is a fresh credential's first Token call, timed
// until it reports the failure.
func BenchmarkOffAzure(b *testing.B) {
	addr := closedPort(b)
	b.Run("impl=azmsi", func(b *testing.B) {
		for b.Loop() {
			c, err := identity.New(identity.Options{Endpoint: "http://" + addr, Getenv: noEnv})
			if err != nil {
				b.Fatal(err)
			}
			_, err = c.Token(context.Background(), armScope)
			if !errors.Is(err, identity.ErrUnavailable) {
				b.Fatalf("err = %v, want ErrUnavailable", err)
			}
			c.Close()
		}
	})
	b.Run("impl=sdk", func(b *testing.B) {
		hc, err := loopbackClient("http://"+addr, nil)
		if err != nil {
			b.Fatal(err)
		}
		cutoff := 0.0
		for b.Loop() {
			c := sdkCred(b, hc)
			ctx, cancel := context.WithTimeout(context.Background(), *sdkOffAzureDeadline)
			// A resource never asked before: MSAL's process-wide cache
			// would answer an earlier benchmark's scope without a request.
			scope := freshScope("offazure")
			_, err := c.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
			if ctx.Err() != nil {
				cutoff = 1
			}
			cancel()
			if err == nil {
				b.Fatal("GetToken succeeded with nothing listening")
			}
		}
		b.ReportMetric(cutoff, "cut-off")
	})
}
