package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

var epoch0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newFakeClock returns the test Clock at epoch0. In auto mode After advances
// time at once (retry loops run instantly); otherwise timers fire on Advance.
func newFakeClock(auto bool) *testenv.FakeClock {
	if auto {
		return testenv.NewAutoClock(epoch0)
	}
	return testenv.NewFakeClock(epoch0)
}

// makeJWT builds an unsigned compact JWS with the given payload claims.
func makeJWT(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","kid":"k"}`))
	p, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + ".c2lnbmF0dXJl"
}

// tokenBody is an IMDS success body (all primitives as strings).
func tokenBody(accessToken, resource string, expiresIn int) string {
	b, _ := json.Marshal(map[string]string{
		"access_token": accessToken, "refresh_token": "", "expires_in": fmt.Sprint(expiresIn),
		"ext_expires_in": fmt.Sprint(expiresIn), "resource": resource, "token_type": "Bearer",
	})
	return string(b)
}

// seenRequest is what the fake IMDS recorded of one request.
type seenRequest struct {
	Path   string
	Query  url.Values
	Header http.Header
}

// fakeIMDS is an httptest IMDS whose answer is chosen by respond, given the
// 1-based request number.
type fakeIMDS struct {
	*httptest.Server
	count   atomic.Int64
	mu      sync.Mutex
	seen    []seenRequest
	respond func(w http.ResponseWriter, r *http.Request, n int)
}

func newFakeIMDS(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *fakeIMDS {
	t.Helper()
	f := &fakeIMDS{respond: respond}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.count.Add(1))
		f.mu.Lock()
		f.seen = append(f.seen, seenRequest{r.URL.Path, r.URL.Query(), r.Header.Clone()})
		f.mu.Unlock()
		f.respond(w, r, n)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeIMDS) Seen() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// okJSON answers body as application/json with status.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

// newTestCred builds a credential against endpoint with a loopback-only
// client and the given clock; o's other fields are kept.
func newTestCred(t *testing.T, endpoint string, clock Clock, o Options) *Credential {
	t.Helper()
	o.Endpoint = endpoint
	o.Clock = clock
	if o.HTTPClient == nil {
		o.HTTPClient = testenv.LoopbackOnlyClient(nil)
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

const (
	testCID  = "11111111-1111-1111-1111-111111111111"
	testOID  = "22222222-2222-2222-2222-222222222222"
	testSub  = "00000000-0000-0000-0000-000000000001"
	testTID  = "72f988bf-0000-0000-0000-000000000000"
	testMIID = "/subscriptions/" + testSub + "/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami"
	armRes   = "https://management.azure.com/"
)

// uamiJWT is a token whose claims match testCID/testOID/testMIID.
func uamiJWT(extra map[string]any) string {
	c := map[string]any{"aud": armRes, "iss": "https://sts.windows.net/" + testTID + "/", "tid": testTID,
		"appid": testCID, "oid": testOID, "xms_mirid": testMIID, "iat": 1700000000, "nbf": 1700000000, "exp": 1700086700}
	for k, v := range extra {
		c[k] = v
	}
	return makeJWT(c)
}

// testDeadline bounds every wait of a test for another goroutine, so that a
// regression fails with a message naming what did not happen instead of
// hanging until go test's 10-minute panic. It bounds an outcome, never a
// speed.
const testDeadline = 10 * time.Second

// recvWithin receives from ch, or fails the test naming what.
func recvWithin[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testDeadline):
		t.Fatalf("waited %v for %s", testDeadline, what)
		panic("unreachable")
	}
}

// sendWithin sends v on ch, or fails the test naming what.
func sendWithin[T any](t testing.TB, ch chan<- T, v T, what string) {
	t.Helper()
	select {
	case ch <- v:
	case <-time.After(testDeadline):
		t.Fatalf("waited %v for %s", testDeadline, what)
	}
}

// waitGroupWithin waits for wg, or fails the test naming what.
func waitGroupWithin(t testing.TB, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	recvWithin(t, done, what)
}

// tokenResult is the outcome of a Token call run by goToken.
type tokenResult struct {
	tok Token
	err error
}

type tokenCall chan tokenResult

// goToken runs c.Token(resource) in a goroutine.
func goToken(c *Credential, resource string) tokenCall {
	ch := make(tokenCall, 1)
	go func() {
		tok, err := c.Token(context.Background(), resource)
		ch <- tokenResult{tok, err}
	}()
	return ch
}

// within waits for the call's result, or fails the test naming what.
func (ch tokenCall) within(t testing.TB, what string) (Token, error) {
	t.Helper()
	r := recvWithin(t, ch, what)
	return r.tok, r.err
}

// guardLoopback makes a credential built with the production client (no
// Options.HTTPClient) refuse every address but loopback, keeping the rest
// of its transport (dial timeout, no proxy). Tests that exercise the
// production client call it, so a dropped endpoint override fails loudly
// instead of dialing the real IMDS.
func guardLoopback(t testing.TB, c *Credential) {
	t.Helper()
	if c.transport == nil || c.transport.DialContext == nil {
		t.Fatal("guardLoopback: the credential has no own transport to guard")
	}
	dial := c.transport.DialContext
	c.transport.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
		if err := testenv.CheckLoopback(address); err != nil {
			return nil, err
		}
		return dial(ctx, network, address)
	}
}
