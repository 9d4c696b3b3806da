package loopback

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:80", true},
		{"127.3.4.5:1", true},
		{"[::1]:443", true},
		{"localhost:8079", true},
		{"169.254.169.254:80", false},
		{"10.0.0.1:443", false},
		{"[2001:db8::1]:443", false},
		{"management.azure.com:443", false},
		{"127.0.0.1", false}, // no port: not an address the dialer gets
	} {
		err := Check(tc.addr)
		if (err == nil) != tc.ok {
			t.Errorf("Check(%q) = %v, want ok=%v", tc.addr, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrNotLoopback) {
			t.Errorf("Check(%q) = %v, want ErrNotLoopback", tc.addr, err)
		}
	}
}

// imdsServer answers like the emulator would, recording the Host it saw.
func imdsServer(t *testing.T) (*httptest.Server, *string) {
	t.Helper()
	var host string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host = r.Host
		io.WriteString(w, "emulated:"+r.URL.Path)
	}))
	t.Cleanup(s.Close)
	return s, &host
}

func TestRewriteReachesEmulator(t *testing.T) {
	s, host := imdsServer(t)
	c, err := Client(s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get("http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "emulated:/metadata/identity/oauth2/token" {
		t.Fatalf("body %q: the request did not reach the emulator", b)
	}
	if *host != strings.TrimPrefix(s.URL, "http://") {
		t.Fatalf("Host %q, want the emulator's", *host)
	}
}

// The safety net: whatever is not rewritten must be refused before a
// connection is attempted.
func TestNotRewrittenIsRefused(t *testing.T) {
	s, _ := imdsServer(t)
	withRewrite, err := Client(s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	noRewrite, err := Client("", nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Transport(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		rt   http.RoundTripper
		url  string
	}{
		{"IMDS without a rewrite target", noRewrite.Transport, "http://169.254.169.254/metadata/identity/oauth2/token"},
		{"IMDS through the bare transport", plain, "http://169.254.169.254/metadata/identity/oauth2/token"},
		{"ARM host name", withRewrite.Transport, "https://management.azure.com/subscriptions"},
		{"other link-local", withRewrite.Transport, "http://169.254.169.253/"},
		{"private address", withRewrite.Transport, "http://10.1.2.3/"},
		{"public IPv6", withRewrite.Transport, "http://[2001:db8::1]/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
			resp, err := tc.rt.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("%s was sent (status %d); it must be refused", tc.url, resp.StatusCode)
			}
			if !errors.Is(err, ErrNotLoopback) {
				t.Fatalf("error %v, want ErrNotLoopback", err)
			}
		})
	}
}

func TestClientRejectsNonLoopbackEmulator(t *testing.T) {
	for _, ep := range []string{"http://169.254.169.254", "http://10.0.0.1:80", "https://127.0.0.1:1", "127.0.0.1:80", "http://example.com"} {
		if _, err := Client(ep, nil); err == nil {
			t.Errorf("Client(%q) accepted a target that is not a loopback http URL", ep)
		}
	}
}

func TestBadCA(t *testing.T) {
	if _, err := Transport([]byte("not a pem")); err == nil {
		t.Fatal("Transport accepted a CA without a certificate")
	}
}
