package broker

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// rawRequest sends one request by hand on a new connection and returns
// its status and body.
func rawRequest(t *testing.T, addr, request string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A broker that waits for a body that never comes fails here, with a
	// message, instead of hanging the test binary.
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", request, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_ = jsonDecode(resp.Body, &b, new(any))
	return resp.StatusCode, b.String()
}

// The broker refuses what a web page can make a browser send: a rebound
// DNS name in Host, a cross-site Origin or Sec-Fetch-Site. It also refuses
// bodies (unread, so a slow body holds nothing).
func TestBrowserAndRebindingRefused(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{})
	addr := strings.TrimPrefix(b.url, "http://")
	_, port, _ := net.SplitHostPort(addr)
	path := TokenPath + "?" + url.Values{"api-version": {"2018-02-01"}, "resource": {armResource}}.Encode()
	req := func(host string, extra ...string) string {
		return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nMetadata: true\r\n" + strings.Join(extra, "") + "Connection: close\r\n\r\n"
	}
	for _, tc := range []struct {
		name    string
		request string
		status  int
	}{
		{"rebound name", req("evil.example:" + port), 403},
		{"rebound name, no port", req("evil.example"), 403},
		{"loopback, other port", req("127.0.0.1:1"), 403},
		{"Origin", req(addr, "Origin: https://evil.example\r\n"), 403},
		{"Origin null", req(addr, "Origin: null\r\n"), 403},
		{"Sec-Fetch-Site cross-site", req(addr, "Sec-Fetch-Site: cross-site\r\n"), 403},
		{"Sec-Fetch-Site same-site", req(addr, "Sec-Fetch-Site: same-site\r\n"), 403},
		{"body", "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nMetadata: true\r\nContent-Length: 1000000\r\n\r\n{", 400},
		{"chunked body", "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nMetadata: true\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 400},
		{"127.0.0.1", req(addr), 200},
		{"localhost", req("localhost:" + port), 200},
		{"LOCALHOST", req("LOCALHOST:" + port), 200},
		{"typed in a browser", req(addr, "Sec-Fetch-Site: none\r\n"), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := rawRequest(t, addr, tc.request)
			if status != tc.status {
				t.Errorf("%d %s, want %d", status, body, tc.status)
			}
		})
	}
	if n := emu.Stats().TokenRequests; n != 1 {
		t.Errorf("upstream saw %d requests, want 1", n)
	}
}

// Selector names are read case-insensitively and an empty selector is an
// error: neither may silently mean the system-assigned identity.
func TestSelectorNames(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{})
	hc := testenv.LoopbackOnlyClient(nil)
	raw := func(query string) (int, map[string]any) {
		t.Helper()
		return get(t, hc, b.url+TokenPath+"?api-version=2018-02-01&resource="+url.QueryEscape(armResource)+"&"+query, meta())
	}
	for _, q := range []string{"client_id=", "Client_Id=", "object_id=", "msi_res_id=", "mi_res_id=", "client_id=%20", "client_id=" + contributorID + "&Client_ID=" + readerID, "Resource=x"} {
		if status, body := raw(q); status != 400 || body["error"] != "invalid_request" {
			t.Errorf("%s: %d %v, want 400 invalid_request", q, status, body)
		}
	}
	for q, want := range map[string]string{
		"Client_Id=" + readerID:       readerID,
		"CLIENT_ID=" + contributorID:  contributorID,
		"Object_ID=" + contributorOID: contributorID,
	} {
		status, body := raw(q)
		if status != 200 {
			t.Errorf("%s: %d %v", q, status, body)
			continue
		}
		c, err := identity.ParseClaims(body["access_token"].(string))
		if err != nil || c.AppID != want {
			t.Errorf("%s: token for %q (%v), want %s", q, c.AppID, err, want)
		}
	}
}

// With MaxConnections open, the next client waits in the backlog and is
// served once one closes.
func TestConnectionLimit(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{MaxConnections: 2})
	addr := strings.TrimPrefix(b.url, "http://")
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	eventually(t, "2 open connections", nil, func() bool { return b.Stats().OpenConnections == 2 })
	done := make(chan error, 1)
	go func() {
		_, err := client(t, b.url, identity.ID{}).Token(context.Background(), armResource)
		done <- err
	}()
	// The third connection is in the backlog, not accepted.
	for range 20 {
		if n := b.Stats().OpenConnections; n > 2 {
			t.Fatalf("%d connections open, limit 2", n)
		}
	}
	idle[0].Close()
	if err := <-done; err != nil {
		t.Fatalf("the waiting client: %v", err)
	}
	if n := b.Stats().OpenConnections; n > 2 {
		t.Errorf("%d connections open, limit 2", n)
	}
}

// --allow-identity entries given as resource IDs match requests by
// msi_res_id (case-insensitively) and nothing else; a list without
// "system" refuses the system-assigned identity, and no list allows it.
func TestAllowIdentitiesResourceIDsAndSystem(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	var contributorRes, readerRes string
	for _, id := range emu.Config().Identities {
		switch id.ClientID {
		case contributorID:
			contributorRes = id.ResourceID
		case readerID:
			readerRes = id.ResourceID
		}
	}
	if contributorRes == "" || readerRes == "" {
		t.Fatal("the emulator's identities lack resource IDs")
	}
	b := startBroker(t, emu.IMDSEndpoint(), Options{AllowIdentities: []string{strings.ToUpper(contributorRes)}})
	ctx := context.Background()
	if _, err := client(t, b.url, identity.ResourceID(contributorRes)).Token(ctx, armResource); err != nil {
		t.Errorf("allowed resource ID: %v", err)
	}
	for _, id := range []identity.ID{{}, identity.ResourceID(readerRes), identity.ClientID(contributorID)} {
		_, err := client(t, b.url, id).Token(ctx, armResource)
		var ae *identity.AuthError
		if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.Code != "forbidden" {
			t.Errorf("%s: %v, want 403 forbidden", id, err)
		}
	}
	if n := emu.Stats().TokenRequests; n != 1 {
		t.Errorf("upstream saw %d requests, want 1", n)
	}

	open := startBroker(t, emu.IMDSEndpoint(), Options{})
	for _, id := range []identity.ID{{}, identity.ResourceID(readerRes)} {
		if _, err := client(t, open.url, id).Token(ctx, armResource); err != nil {
			t.Errorf("no allow list, %s: %v", id, err)
		}
	}
}

// LoopbackAddr is the rule of --listen for the broker and its stats.
func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8078": "127.0.0.1:8078", "localhost:1": "127.0.0.1:1", "[::1]:80": "[::1]:80", "127.1.2.3:9": "127.1.2.3:9",
		"0.0.0.0:1": "", "10.0.0.1:80": "", "[::]:1": "", "example.com:80": "", "127.0.0.1": "", "127.0.0.1:x": "", "127.0.0.1:70000": "",
	} {
		got, err := LoopbackAddr(addr)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("LoopbackAddr(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
}

// A huge input is not echoed back whole in the error.
func TestRejectionClipped(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{})
	hc := testenv.LoopbackOnlyClient(nil)
	huge := strings.Repeat("x", 40<<10)
	for _, q := range []url.Values{
		{"api-version": {"2018-02-01"}, "resource": {"a b" + huge}},
		{"api-version": {"2018-02-01"}, "resource": {armResource}, "client_id": {huge}},
	} {
		status, body := get(t, hc, tokenURL(b.url, q), meta())
		if d, _ := body["error_description"].(string); status != 400 || len(d) > 600 || d == "" {
			t.Errorf("%d, description of %d bytes", status, len(d))
		}
	}
}
