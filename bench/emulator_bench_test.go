package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"testing"

	"github.com/azmsi/azmsi/bench/internal/loopback"
	"github.com/azmsi/azmsi/emulator"
)

// loadParallelism is goroutines per GOMAXPROCS for the load generator.
const loadParallelism = 8

// loadConn is one keep-alive HTTP/1.1 connection of the load generator. It
// writes a pre-built request and reads the response with net/http's parser:
// the generator shares the cores with the emulator, so it spends as little
// as it can (no http.Transport goroutines, no per-request header maps).
type loadConn struct {
	c   net.Conn
	r   *bufio.Reader
	req []byte
}

// dialLoad connects to base ("http://127.0.0.1:P" or "https://…", loopback
// only; TLS trusts caPEM) and prepares GET pathQuery with headers.
func dialLoad(base, pathQuery string, header http.Header, caPEM []byte) (*loadConn, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if err := loopback.Check(u.Host); err != nil {
		return nil, err
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "https" {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caPEM)
		tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.Handshake(); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	host := u.Host // dialled; a "Host" in header names the virtual host (a vault) instead
	if h := header.Get("Host"); h != "" {
		host = h
	}
	req := "GET " + pathQuery + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: azmsi-bench-load\r\n"
	for k, vs := range header {
		if k == "Host" {
			continue
		}
		for _, v := range vs {
			req += k + ": " + v + "\r\n"
		}
	}
	req += "\r\n"
	return &loadConn{c: c, r: bufio.NewReaderSize(c, 16<<10), req: []byte(req)}, nil
}

func (l *loadConn) get() error {
	if _, err := l.c.Write(l.req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(l.r, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("load generator: %s", resp.Status)
	}
	return err
}

// runLoad drives the emulator with parallel keep-alive connections; one op
// is one request, req/s the throughput.
func runLoad(b *testing.B, base, pathQuery string, header http.Header, caPEM []byte) {
	b.SetParallelism(loadParallelism)
	b.RunParallel(func(pb *testing.PB) {
		l, err := dialLoad(base, pathQuery, header, caPEM)
		if err != nil {
			b.Error(err)
			return
		}
		defer l.c.Close()
		for pb.Next() {
			if err := l.get(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkEmulator measures the emulator alone, driven by a Go load
// generator on loopback in the same process: both share the machine's cores.
func BenchmarkEmulator(b *testing.B) {
	s := startEmulator(b, emulator.Options{Config: World(1, 1000)})
	sub := s.Config().Subscriptions[0].SubscriptionID
	tokenPath := "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + url.QueryEscape(armAudience)

	b.Run("token-requests", func(b *testing.B) {
		runLoad(b, s.IMDSEndpoint(), tokenPath, http.Header{"Metadata": {"true"}}, nil)
	})

	// A bearer token for ARM, straight from the emulator.
	hc := httpClient(b, s)
	req, _ := http.NewRequest(http.MethodGet, s.IMDSEndpoint()+tokenPath, nil)
	req.Header.Set("Metadata", "true")
	resp, err := hc.Do(req)
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

	b.Run("list-pages", func(b *testing.B) {
		runLoad(b, s.ARMEndpoint(), "/subscriptions/"+sub+"/resourcegroups?api-version=2021-04-01",
			http.Header{"Authorization": {"Bearer " + tok.AccessToken}}, s.CACertPEM())
	})
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
