package cli

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

func TestBrokerFlags(t *testing.T) {
	var got *BrokerOptions
	f := NewFactory(&IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard})
	cmd := NewCmdBroker(f, func(o *BrokerOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--socket", "/run/a.sock", "--socket-mode", "600", "--allow-identity", "system", "--allow-identity", contributorID, "--upstream-rate", "7", "--upstream-concurrency", "2", "--endpoint", "http://127.0.0.1:9"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Socket != "/run/a.sock" || got.SocketMode != 0o600 || len(got.AllowIdentities) != 2 || got.UpstreamRate != 7 || got.UpstreamConcurrency != 2 || got.Endpoint != "http://127.0.0.1:9" {
		t.Errorf("options %+v", got)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"broker"}, "--listen 127.0.0.1:PORT or --socket"},
		{[]string{"broker", "--listen", "127.0.0.1:1", "--socket", "/x"}, "mutually exclusive"},
		{[]string{"broker", "--socket", "/x", "--socket-mode", "rw"}, "--socket-mode"},
		{[]string{"broker", "--socket", "/x", "--socket-mode", "1777"}, "--socket-mode"},
		{[]string{"broker", "--listen", "127.0.0.1:0", "--upstream-rate", "0"}, "must be positive"},
		{[]string{"broker", "--listen", "127.0.0.1:0", "--allow-identity", "nobody", "--endpoint", "http://127.0.0.1:9"}, "nobody"},
		{[]string{"broker", "--listen", "127.0.0.1:0", "--endpoint", "ftp://x"}, "ftp://x"},
		{[]string{"broker", "stats"}, "--listen 127.0.0.1:PORT or --socket"},
		{[]string{"broker", "stats", "--listen", "127.0.0.1:1", "-o", "tsv"}, "output format"},
		{[]string{"broker", "extra"}, "unknown command"},
	} {
		r := (*testEnv)(nil).run(t, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: want exit 2 mentioning %q, got %s", tc.args, tc.want, r)
		}
	}
	// A non-loopback listen address is refused before anything listens.
	r := (*testEnv)(nil).run(t, "broker", "--listen", "0.0.0.0:0", "--endpoint", "http://127.0.0.1:9")
	if r.code == ExitOK || !strings.Contains(r.stderr, "not loopback") {
		t.Errorf("0.0.0.0: %s", r)
	}
}

// runBroker starts `azmsi broker args...` in-process; stop cancels it and
// returns its result.
func runBroker(t *testing.T, e *testEnv, args ...string) (stop func() result) {
	t.Helper()
	ios, _, out, errOut := TestIOStreams()
	f := NewFactory(ios)
	f.Getenv = func(k string) string { return e.env[k] }
	f.LookupEnv = func(k string) (string, bool) { v, ok := e.env[k]; return v, ok }
	f.HTTPClient = testenv.LoopbackOnlyClient(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- Execute(ctx, f, append([]string{"broker"}, args...)) }()
	var stopped *result
	stop = func() result {
		if stopped == nil {
			cancel()
			select {
			case code := <-done:
				stopped = &result{code, out.String(), errOut.String()}
			case <-time.After(20 * time.Second):
				t.Fatal("azmsi broker did not stop after cancel")
			}
		}
		return *stopped
	}
	t.Cleanup(func() { stop() })
	return stop
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// End to end: the broker in front of the emulator on a Unix socket and on
// loopback TCP; the CLI's own token command and `broker stats` go through
// it; SIGINT-like cancellation stops it cleanly and removes the socket.
func TestBrokerCommand(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	dir, err := os.MkdirTemp("", "azb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "b.sock")
	stop := runBroker(t, e, "--socket", sock, "--allow-identity", "system", "--allow-identity", contributorID)
	waitFor(t, "the socket", func() bool {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode: %v %v", fi, err)
	}

	// A raw IMDS request over the socket.
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	req, _ := http.NewRequest(http.MethodGet, "http://broker/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&client_id="+contributorID, nil)
	req.Header.Set("Metadata", "true")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok["client_id"] != contributorID {
		t.Fatalf("token over the socket: %d %v", resp.StatusCode, tok)
	}
	c, _ := identity.ParseClaims(tok["access_token"])
	if c.AppID != contributorID {
		t.Errorf("token for %q", c.AppID)
	}
	// Not allowed.
	req.URL.RawQuery = strings.Replace(req.URL.RawQuery, contributorID, readerID, 1)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("reader through an allow list without it: %d", resp.StatusCode)
	}

	// The azmsi CLI through the socket (unix:// endpoint).
	viaSocket := &testEnv{srv: e.srv, env: map[string]string{"AZURE_POD_IDENTITY_AUTHORITY_HOST": "unix://" + sock}}
	r := viaSocket.run(t, "token", "--client-id", contributorID, "--resource", "https://vault.azure.net", "-o", "tsv")
	wantCode(t, r, ExitOK)
	if strings.TrimSpace(r.stdout) != tok["access_token"] {
		t.Error("the CLI through unix:// did not get the broker's cached token")
	}

	r = (*testEnv)(nil).run(t, "broker", "stats", "--socket", sock)
	wantCode(t, r, ExitOK)
	var s map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("stats not JSON: %v\n%s", err, r.stdout)
	}
	if s["clientsServed"] != 2.0 || s["cacheHits"] != 1.0 || s["upstreamRequests"] != 1.0 || s["rejected"] != 1.0 {
		t.Errorf("stats %s", r.stdout)
	}
	notContains(t, r.stdout, tok["access_token"])
	r = (*testEnv)(nil).run(t, "broker", "stats", "--socket", sock, "-o", "table")
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "served 2 (cache hits 1), upstream 1")
	contains(t, r.stdout, "client ID "+contributorID)

	res := stop()
	wantCode(t, res, ExitOK)
	contains(t, res.stdout, "export AZURE_POD_IDENTITY_AUTHORITY_HOST=unix://"+sock)
	contains(t, res.stderr, "azmsi broker: stopping")
	contains(t, res.stderr, "azmsi broker request")
	notContains(t, res.stderr, tok["access_token"])
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket not removed on stop: %v", err)
	}
}

func TestBrokerCommandTCP(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	stop := runBroker(t, e, "--listen", addr, "-q")
	waitFor(t, "the broker", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	// The azmsi CLI itself, pointed at the broker.
	client := &testEnv{srv: e.srv, env: map[string]string{"AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://" + addr}}
	for range 3 {
		r := client.run(t, "token", "--client-id", readerID, "-o", "tsv")
		wantCode(t, r, ExitOK)
		if c, err := identity.ParseClaims(strings.TrimSpace(r.stdout)); err != nil || c.AppID != readerID {
			t.Fatalf("token through the broker: %+v %v", c, err)
		}
	}
	if n := e.srv.Stats().TokenRequests; n != 1 {
		t.Errorf("three CLI runs cost %d upstream requests, want 1", n)
	}
	r := (*testEnv)(nil).run(t, "broker", "stats", "--listen", addr, "--query", "cacheHits")
	wantCode(t, r, ExitOK)
	if strings.TrimSpace(r.stdout) != "2" {
		t.Errorf("cache hits %q, want 2", r.stdout)
	}
	res := stop()
	wantCode(t, res, ExitOK)
	contains(t, res.stdout, "export AZURE_POD_IDENTITY_AUTHORITY_HOST=http://"+addr)
	notContains(t, res.stderr, "azmsi broker request")

	// Pointing the broker at itself is refused.
	self := &testEnv{srv: e.srv, env: map[string]string{"AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://" + addr}}
	r = self.run(t, "broker", "--listen", addr)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "the broker itself") {
		t.Errorf("self upstream: %s", r)
	}
	r = (*testEnv)(nil).run(t, "broker", "stats", "--listen", addr)
	if r.code != ExitError || !strings.Contains(r.stderr, "cannot reach the broker") {
		t.Errorf("stats of a stopped broker: %s", r)
	}
}
