package broker

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/internal/testenv"
)

// BenchmarkBrokerServe measures cached token answers through the broker
// over loopback HTTP (keep-alive connections, parallel clients): requests
// (clients served) per second and mean latency per request.
func BenchmarkBrokerServe(b *testing.B) {
	emu := startEmulator(b, emulator.Options{})
	br := startBroker(b, emu.IMDSEndpoint(), Options{})
	q := url.Values{"api-version": {"2018-02-01"}, "resource": {armResource}, "client_id": {contributorID}}
	u := tokenURL(br.url, q)
	hc := testenv.LoopbackOnlyClient(nil)
	if status, body := get(b, hc, u, meta()); status != 200 {
		b.Fatalf("%d %v", status, body)
	}
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Metadata", "true")
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var sink [4096]byte
			for {
				if _, err := resp.Body.Read(sink[:]); err != nil {
					break
				}
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "clients/s")
	if s := br.Stats(); s.UpstreamRequests != 1 {
		b.Errorf("upstream requests %d, want 1", s.UpstreamRequests)
	}
}
