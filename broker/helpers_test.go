package broker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// The emulator's default identities (emulator/internal/config/default.json).
const (
	systemClientID = "11111111-1111-1111-1111-111111111111"
	contributorID  = "22222222-2222-2222-2222-222222222222"
	contributorOID = "22222222-2222-2222-2222-aaaaaaaaaaaa"
	readerID       = "33333333-3333-3333-3333-333333333333"
	armResource    = "https://management.azure.com/"
	vaultResource  = "https://vault.azure.net"
)

func startEmulator(t testing.TB, o emulator.Options) *emulator.Server {
	t.Helper()
	o.ARMAddr = "-"
	srv, err := emulator.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("emulator.Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// testBroker is a broker serving on a loopback port.
type testBroker struct {
	*Broker
	url string
}

// startBroker runs a broker in front of upstream (a base URL) on
// 127.0.0.1:0. Its upstream client is loopback-only.
func startBroker(t testing.TB, upstream string, o Options) *testBroker {
	t.Helper()
	o.Upstream.Endpoint = upstream
	if o.Upstream.HTTPClient == nil {
		o.Upstream.HTTPClient = testenv.LoopbackOnlyClient(nil)
	}
	o.Upstream.Getenv = func(string) string { return "" }
	b, err := New(o)
	if err != nil {
		t.Fatalf("broker.New: %v", err)
	}
	l, err := ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, b, l, "http://"+l.Addr().String())
}

func serve(t testing.TB, b *Broker, l net.Listener, url string) *testBroker {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- b.Serve(l) }()
	t.Cleanup(func() {
		_ = b.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return &testBroker{Broker: b, url: url}
}

// client is a credential pointed at the broker, as a separate process
// would have: its own cache and connections.
func client(t testing.TB, url string, id identity.ID) *identity.Credential {
	t.Helper()
	c, err := identity.New(identity.Options{
		ID:         id,
		Endpoint:   url,
		HTTPClient: testenv.LoopbackOnlyClient(nil),
		// A safety net for a hang, not a speed check: a Token call may
		// queue behind hundreds of other clients' requests (TestBroker200Clients
		// sends 1200 through 600 transports), which under -race on a loaded
		// machine takes many seconds. Refusals are not retried, so tests
		// that expect one still end at once.
		RetryBudget: 2 * time.Minute,
		Getenv:      func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// get sends a raw GET to the broker and decodes the JSON answer.
func get(t testing.TB, hc *http.Client, url string, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, body)
	}
	return resp.StatusCode, m
}

func meta() http.Header { return http.Header{"Metadata": {"true"}} }

// eventually polls cond (every 10ms, up to 20s of real time), calling step
// before each poll.
func eventually(t testing.TB, what string, step func(), cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		if step != nil {
			step()
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// jsonDecode reads r into raw and decodes it into v.
func jsonDecode(r io.Reader, raw *strings.Builder, v any) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	raw.Write(b)
	return json.Unmarshal(b, v)
}

// brokerUpstream is the upstream configuration of a broker in front of emu.
func brokerUpstream(emu *emulator.Server) identity.Options {
	return identity.Options{
		Endpoint:   emu.IMDSEndpoint(),
		HTTPClient: testenv.LoopbackOnlyClient(nil),
		Getenv:     func(string) string { return "" },
	}
}
