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
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/azmsi/azmsi/bench/internal/loopback"
	"github.com/azmsi/azmsi/emulator"
)

// genericCount is how many generic resources BenchmarkGenericResources
// puts in one subscription (issue target: 100,000 in ≤ 200 MB heap, their
// listing at ≥ 5,000 pages/s on 2 cores).
var genericCount = 100_000

// armToken gets a bearer token for ARM from the emulator's IMDS.
func armToken(b *testing.B, s *emulator.Server) string {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.IMDSEndpoint()+"/metadata/identity/oauth2/token?api-version=2018-02-01&resource="+url.QueryEscape(armAudience), nil)
	req.Header.Set("Metadata", "true")
	resp, err := httpClient(b, s).Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("no token from the emulator: %v", err)
	}
	return tok.AccessToken
}

// putConn is a keep-alive HTTPS connection that PUTs resources.
type putConn struct {
	c    net.Conn
	r    *bufio.Reader
	host string
	auth string
}

func dialPut(base, tok string, caPEM []byte) (*putConn, error) {
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
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return &putConn{c: tc, r: bufio.NewReaderSize(tc, 16<<10), host: u.Host, auth: "Bearer " + tok}, nil
}

func (p *putConn) put(path, body string) error {
	req := "PUT " + path + " HTTP/1.1\r\nHost: " + p.host + "\r\nAuthorization: " + p.auth +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	if _, err := io.WriteString(p.c, req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(p.r, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusCreated {
		err = fmt.Errorf("PUT %s: %s", path, resp.Status)
	}
	return err
}

// fillGeneric PUTs n widgets with two tags each into the subscription's
// groups, over parallel keep-alive connections.
func fillGeneric(b *testing.B, s *emulator.Server, tok string, n int) {
	b.Helper()
	cfg := s.Config()
	sub := cfg.Subscriptions[0]
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := dialPut(s.ARMEndpoint(), tok, s.CACertPEM())
			if err != nil {
				errs <- err
				return
			}
			defer p.c.Close()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				g := sub.ResourceGroups[i%len(sub.ResourceGroups)].Name
				path := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Contoso.Widgets/widgets/widget-%06d?api-version=2024-01-01", sub.SubscriptionID, g, i)
				body := fmt.Sprintf(`{"location":"eastus","tags":{"env":"bench","n":"%d"},"properties":{"size":%d}}`, i%10, i%7)
				if err := p.put(path, body); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkGenericResources: an emulator holding 100,000 generic resources
// in one subscription, put over HTTPS. "heap" is the heap they add (after
// GC; one op does nothing); "list-pages" is GET /subscriptions/{s}/resources
// (100 per page) from the load generator, which shares the cores.
func BenchmarkGenericResources(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cfg := World(1, 100)
	cfg.RoleAssignments[0].Role = "Contributor" // the VM's identity writes
	s := startEmulator(b, emulator.Options{Config: cfg})
	tok := armToken(b, s)
	fillGeneric(b, s, tok, genericCount)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	sub := s.Config().Subscriptions[0].SubscriptionID

	b.Run("heap", func(b *testing.B) {
		for range b.N {
		}
		b.ReportMetric(heap, "heap-MB")
	})
	b.Run("list-pages", func(b *testing.B) {
		runLoad(b, s.ARMEndpoint(), "/subscriptions/"+sub+"/resources?api-version=2025-04-01",
			http.Header{"Authorization": {"Bearer " + tok}}, s.CACertPEM())
	})
}

// BenchmarkEmulatorStart: from emulator.Start to ready — listeners up and
// the env file written, as `azmsi emulator --env-file` does — then Close.
// Target ≤ 50 ms. With a state directory the keys and CA are loaded, not
// made.
func BenchmarkEmulatorStart(b *testing.B) {
	for _, state := range []bool{false, true} {
		b.Run("state="+strconv.FormatBool(state), func(b *testing.B) {
			dir := b.TempDir()
			o := emulator.Options{}
			if state {
				o.StateDir = filepath.Join(dir, "state")
				s, err := emulator.Start(context.Background(), o) // first start makes the keys
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
			envFile := filepath.Join(dir, "emulator.env")
			b.ResetTimer()
			for range b.N {
				s, err := emulator.Start(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(envFile, []byte(s.EnvFile()), 0o600); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
		})
	}
}
