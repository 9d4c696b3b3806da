package cli

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	contributorID = "22222222-2222-2222-2222-222222222222"
	readerID      = "33333333-3333-3333-3333-333333333333"
	sub1          = "00000000-0000-0000-0000-000000000001"
	sub2          = "00000000-0000-0000-0000-000000000002"
)

// testEnv is an in-process emulator plus the environment a CLI run needs
// to reach it (and nothing else: the client is loopback-only).
type testEnv struct {
	srv       *emulator.Server
	env       map[string]string
	transport http.RoundTripper // nil → loopback-only client trusting the CA
	// brokerSocket is the Factory's default broker socket; "" → a path
	// where nothing listens, so no test depends on the machine's broker.
	brokerSocket string
}

func startEmulator(t *testing.T, o emulator.Options) *testEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := emulator.Start(ctx, o)
	if err != nil {
		cancel()
		t.Fatalf("emulator.Start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = srv.Close()
	})
	return &testEnv{srv: srv, env: map[string]string{
		"AZURE_POD_IDENTITY_AUTHORITY_HOST": srv.IMDSEndpoint(),
		"AZMSI_ARM_ENDPOINT":                srv.ARMEndpoint(),
	}}
}

type result struct {
	code           int
	stdout, stderr string
}

// run executes one azmsi command line in-process.
func (e *testEnv) run(t *testing.T, args ...string) result {
	t.Helper()
	return e.runStdin(t, "", args...)
}

func (e *testEnv) runStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ios, in, out, errOut := TestIOStreams()
	in.WriteString(stdin)
	f := NewFactory(ios)
	env := map[string]string{}
	var hc *http.Client
	if e != nil {
		env = e.env
		hc = testenv.LoopbackOnlyClient(e.srv.CACertPEM())
		if e.transport != nil {
			hc.Transport = e.transport
		}
	} else {
		hc = testenv.LoopbackOnlyClient(nil)
	}
	f.Getenv = func(k string) string { return env[k] }
	f.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	f.HTTPClient = hc
	f.BrokerSocket = filepath.Join(os.TempDir(), "azmsi-test-no-broker.sock")
	if e != nil && e.brokerSocket != "" {
		f.BrokerSocket = e.brokerSocket
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := Execute(ctx, f, args)
	return result{code, out.String(), errOut.String()}
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got %s", code, r)
	}
}

// golden compares got with testdata/<name>.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// noInstanceTransport makes IMDS instance metadata unreachable, as off a
// VM, while tokens and ARM still work: the emulator always serves it.
type noInstanceTransport struct{ base http.RoundTripper }

func (n noInstanceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/metadata/instance") {
		return nil, errors.New("test: instance metadata disabled")
	}
	return n.base.RoundTrip(r)
}

func contains(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("want %q in:\n%s", sub, s)
	}
}

func notContains(t *testing.T, s, sub string) {
	t.Helper()
	if sub != "" && strings.Contains(s, sub) {
		t.Errorf("did not want %q in:\n%s", sub, s)
	}
}
