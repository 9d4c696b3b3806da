package broker

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// unixClient dials the socket at path whatever the URL says.
func unixClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
}

// shortTempDir keeps socket paths under the 108-byte sun_path limit.
func shortTempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "azb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// Through a Unix socket: the socket has the requested mode, its peers are
// served (they have no IP), and closing removes the socket.
func TestUnixSocket(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	path := filepath.Join(shortTempDir(t), "azmsi.sock")
	for _, mode := range []fs.FileMode{0, 0o600} {
		b, err := New(Options{Upstream: brokerUpstream(emu)})
		if err != nil {
			t.Fatal(err)
		}
		l, err := ListenUnix(path, mode)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		want := mode
		if want == 0 {
			want = DefaultSocketMode
		}
		if fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != want {
			t.Errorf("socket mode %v, want %v", fi.Mode(), want)
		}
		done := make(chan error, 1)
		go func() { done <- b.Serve(l) }()
		q := url.Values{"api-version": {"2018-02-01"}, "resource": {armResource}, "client_id": {readerID}}
		status, body := get(t, unixClient(path), tokenURL("http://broker", q), meta())
		if status != 200 || body["client_id"] != readerID {
			t.Fatalf("through the socket: %d %v", status, body)
		}
		// The identity credential itself, through unix://.
		c := client(t, "unix://"+path, identity.ClientID(contributorID))
		if tok, err := c.Token(context.Background(), vaultResource); err != nil {
			t.Fatalf("identity over unix://: %v", err)
		} else if cl, _ := identity.ParseClaims(tok.AccessToken); cl.AppID != contributorID {
			t.Errorf("identity over unix:// got a token for %q", cl.AppID)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		<-done
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("socket left behind after Close: %v", err)
		}
	}
}

func TestListenUnixRefusals(t *testing.T) {
	dir := shortTempDir(t)
	// A regular file is never replaced.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ListenUnix(file, 0); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("regular file: %v", err)
	}
	// A live socket is not stolen; a stale one is replaced.
	sock := filepath.Join(dir, "s.sock")
	l, err := ListenUnix(sock, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ListenUnix(sock, 0); err == nil || !strings.Contains(err.Error(), "already listening") {
		t.Errorf("live socket: %v", err)
	}
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "stale.sock"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	l2, err := ListenUnix(filepath.Join(dir, "stale.sock"), 0)
	if err != nil {
		t.Errorf("stale socket not replaced: %v", err)
	} else {
		l2.Close()
	}
	l.Close()
	if _, err := ListenUnix(sock, 0o4777); err == nil {
		t.Error("setuid mode accepted")
	}
}

func TestListenTCPRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "10.0.0.1:80", "[::]:0", "example.com:80", "127.0.0.1", "127.0.0.1:http"} {
		if l, err := ListenTCP(addr); err == nil {
			l.Close()
			t.Errorf("ListenTCP(%q) succeeded", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		l, err := ListenTCP(addr)
		if err != nil {
			t.Errorf("ListenTCP(%q): %v", addr, err)
			continue
		}
		if err := testenv.CheckLoopback(l.Addr().String()); err != nil {
			t.Error(err)
		}
		l.Close()
	}
}

// A Serve that loses the race with Close (started in a goroutine just
// before it) reports the same http.ErrServerClosed as one that lost no race,
// and closes its listener.
func TestServeAfterClose(t *testing.T) {
	b, err := New(Options{Upstream: identity.Options{Endpoint: "http://127.0.0.1:1", HTTPClient: testenv.LoopbackOnlyClient(nil), Getenv: func(string) string { return "" }}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve after Close = %v, want http.ErrServerClosed", err)
	}
	if _, err := l.Accept(); err == nil {
		t.Error("the listener is still open")
	}
}
