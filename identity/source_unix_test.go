package identity

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// serveUnix answers IMDS token requests on a Unix socket and returns its
// path.
func serveUnix(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "azs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "imds.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return path
}

func TestUnixSocketEndpoint(t *testing.T) {
	var got *http.Request
	path := serveUnix(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("Content-Type", "application/json")
		exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
		w.Write([]byte(`{"access_token":"tok-via-socket","expires_on":"` + exp + `","resource":"https://vault.azure.net","token_type":"Bearer"}`))
	})
	for _, tc := range []struct {
		name     string
		endpoint string
		env      string
		client   *http.Client
	}{
		{"option", "unix://" + path, "", nil},
		{"env", "", "unix://" + path, nil},
		{"option with a caller's transport", "UNIX://" + path, "", testenv.LoopbackOnlyClient(nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Options{Endpoint: tc.endpoint, HTTPClient: tc.client, Getenv: func(k string) string {
				if k == envPodIdentityHost {
					return tc.env
				}
				return ""
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if src := c.Source(); src.Name != "IMDS" || src.Host != HostIMDS || src.Endpoint != "unix://"+path {
				t.Errorf("source %+v", src)
			}
			tok, err := c.Token(context.Background(), "https://vault.azure.net/.default")
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != "tok-via-socket" {
				t.Errorf("token %v", tok)
			}
			if got.URL.Path != imdsTokenPath || got.Header.Get("Metadata") != "true" || got.URL.Query().Get("resource") != "https://vault.azure.net" {
				t.Errorf("request %s %v", got.URL, got.Header)
			}
		})
	}
}

func TestUnixSocketEndpointErrors(t *testing.T) {
	for _, ep := range []string{"unix://relative.sock", "unix://host/x.sock", "unix:///", "unix:///x.sock?q=1", "unix://"} {
		if _, err := New(Options{Endpoint: ep, Getenv: func(string) string { return "" }}); err == nil || !strings.Contains(err.Error(), ep) {
			t.Errorf("New(%q): %v", ep, err)
		}
	}
	// Nothing at the path: unavailable, at once.
	c, err := New(Options{Endpoint: "unix:///nonexistent/azmsi.sock", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Token(ctx, "https://vault.azure.net"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing socket: %v, want ErrUnavailable", err)
	}
}
