package cli

import (
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/azmsi/azmsi/broker"
	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// startBrokerSocket runs a broker in front of e's IMDS on a Unix socket in
// a temporary folder and returns the socket's path.
func startBrokerSocket(t *testing.T, e *testEnv) (string, *broker.Broker) {
	t.Helper()
	b, err := broker.New(broker.Options{Upstream: identity.Options{
		Endpoint:   e.srv.IMDSEndpoint(),
		HTTPClient: testenv.LoopbackOnlyClient(nil),
		Getenv:     func(string) string { return "" },
	}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "b.sock")
	l, err := broker.ListenUnix(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(l) }()
	t.Cleanup(func() {
		_ = b.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("broker Serve: %v", err)
		}
	})
	return path, b
}

// A script's many azmsi runs ask the host's endpoint once when a broker
// listens: N `azmsi token` runs → 1 upstream request.
func TestTokensFromBroker(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	sock, b := startBrokerSocket(t, e)
	upstream := func() int64 { return e.srv.Stats().TokenRequests }
	viaEnv := &testEnv{srv: e.srv, env: map[string]string{
		"AZURE_POD_IDENTITY_AUTHORITY_HOST": e.srv.IMDSEndpoint(), // the host's endpoint, for fallback
		"AZMSI_ARM_ENDPOINT":                e.srv.ARMEndpoint(),
		"AZMSI_BROKER":                      "unix://" + sock,
	}}

	const runs = 20
	var first string
	for i := range runs {
		r := viaEnv.run(t, "token", "-o", "tsv")
		wantCode(t, r, ExitOK)
		if i == 0 {
			first = r.stdout
		} else if r.stdout != first {
			t.Fatalf("run %d got another token", i)
		}
	}
	if n := upstream(); n != 1 {
		t.Errorf("%d azmsi token runs through the broker: %d upstream requests, want 1", runs, n)
	}
	if s := b.Stats(); s.ClientsServed != runs {
		t.Errorf("the broker served %d, want %d", s.ClientsServed, runs)
	}

	// The default socket, with no variable at all.
	dflt := &testEnv{srv: e.srv, env: map[string]string{"AZMSI_ARM_ENDPOINT": e.srv.ARMEndpoint()}, brokerSocket: sock}
	for range 3 {
		wantCode(t, dflt.run(t, "token"), ExitOK)
	}
	if n := upstream(); n != 1 {
		t.Errorf("default socket: %d upstream requests, want still 1", n)
	}

	// --debug and doctor say where tokens come from.
	r := viaEnv.run(t, "token", "--debug")
	wantCode(t, r, ExitOK)
	contains(t, r.stderr, "tokens from the broker")
	contains(t, r.stderr, sock)
	r = dflt.run(t, "doctor")
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "Broker:     unix://"+sock+" (the default socket): tokens come from this broker's cache")
	notContains(t, r.stdout, "Evidence:   --endpoint")

	// The instance metadata still comes from the host (the broker serves
	// tokens only): groups find the VM's subscription.
	r = viaEnv.run(t, "groups", "list", "--query", "[].name", "-o", "tsv")
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "rg-web\n")

	// Opting out: the host's endpoint.
	before := upstream()
	wantCode(t, viaEnv.run(t, "token", "--no-broker", "--resource", "https://vault.azure.net"), ExitOK)
	off := &testEnv{srv: e.srv, env: with(viaEnv.env, "AZMSI_BROKER", "off")}
	wantCode(t, off.run(t, "token", "--resource", "https://storage.azure.com"), ExitOK)
	if n := upstream() - before; n != 2 {
		t.Errorf("--no-broker and AZMSI_BROKER=off: %d upstream requests, want 2", n)
	}
}

// Without a broker answering, tokens come from the host's endpoint; a
// broker address off loopback is refused.
func TestBrokerFallbackAndRefusal(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	stale := filepath.Join(t.TempDir(), "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close() // the socket file stays, nothing listens: a crashed broker
	for _, v := range []string{"unix://" + stale, filepath.Join(t.TempDir(), "none.sock"), "http://127.0.0.1:1"} {
		env := &testEnv{srv: e.srv, env: with(e.env, "AZMSI_BROKER", v)}
		r := env.run(t, "token", "--debug")
		wantCode(t, r, ExitOK)
		contains(t, r.stderr, "no broker; tokens from the host")
		r = env.run(t, "doctor")
		wantCode(t, r, ExitOK)
		contains(t, r.stdout, "Broker:     none used: nothing answers at AZMSI_BROKER")
	}
	for _, v := range []string{"http://10.0.0.1:8078", "https://127.0.0.1:8078", "relative/path", "unix://host/x", "http://127.0.0.1:8078/metadata"} {
		env := &testEnv{srv: e.srv, env: with(e.env, "AZMSI_BROKER", v)}
		r := env.run(t, "token")
		wantCode(t, r, ExitUsage)
		contains(t, r.stderr, "AZMSI_BROKER")
	}
}

func with(env map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(env)+len(kv)/2)
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestParseBrokerAddr(t *testing.T) {
	for v, want := range map[string]string{
		"/run/azmsi/azmsi.sock": "unix:///run/azmsi/azmsi.sock", "unix:///x/y.sock": "unix:///x/y.sock",
		"http://127.0.0.1:8078": "http://127.0.0.1:8078", "http://localhost:8078/": "http://127.0.0.1:8078", "http://[::1]:1": "http://[::1]:1",
		"http://0.0.0.0:1": "", "tcp://127.0.0.1:1": "", "unix://rel": "", "": "",
	} {
		got, _, _, err := parseBrokerAddr(v)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("parseBrokerAddr(%q) = %q, %v; want %q", v, got, err, want)
		}
	}
}
