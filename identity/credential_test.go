package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/azhttp"
	"github.com/azmsi/azmsi/internal/testenv"
)

func TestTokenRequestShape(t *testing.T) {
	tests := []struct {
		id       ID
		param    string
		token    string
		wantNone []string
	}{
		{ID{}, "", makeJWT(map[string]any{"oid": "x"}), []string{"client_id", "object_id", "msi_res_id", "mi_res_id"}},
		{ClientID(testCID), "client_id", uamiJWT(nil), []string{"object_id", "msi_res_id", "mi_res_id"}},
		{ObjectID(testOID), "object_id", uamiJWT(nil), []string{"client_id", "msi_res_id", "mi_res_id"}},
		{ResourceID(testMIID), "msi_res_id", uamiJWT(nil), []string{"client_id", "object_id", "mi_res_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.id.Kind().String(), func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				writeJSON(w, 200, tokenBody(tt.token, armRes, 86399))
			})
			c := newTestCred(t, srv.URL, newFakeClock(true), Options{ID: tt.id})
			tok, err := c.Token(context.Background(), "https://management.azure.com//.default")
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != tt.token || tok.Type != "Bearer" || tok.Resource != armRes {
				t.Fatalf("token = %v", tok)
			}
			seen := srv.Seen()
			if len(seen) != 1 {
				t.Fatalf("%d requests", len(seen))
			}
			r := seen[0]
			if r.Path != "/metadata/identity/oauth2/token" || r.Query.Get("api-version") != "2018-02-01" || r.Query.Get("resource") != armRes {
				t.Fatalf("request %s ? %v", r.Path, r.Query)
			}
			if tt.param != "" && r.Query.Get(tt.param) != tt.id.Value() {
				t.Fatalf("%s = %q, want %q", tt.param, r.Query.Get(tt.param), tt.id.Value())
			}
			for _, p := range tt.wantNone {
				if r.Query.Has(p) {
					t.Fatalf("unexpected selector %s", p)
				}
			}
			if r.Header.Get("Metadata") != "true" {
				t.Fatalf("Metadata header = %q", r.Header.Get("Metadata"))
			}
			if r.Header.Get("User-Agent") != azhttp.UserAgent() {
				t.Fatalf("User-Agent = %q", r.Header.Get("User-Agent"))
			}
			if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(r.Header.Get("x-ms-client-request-id")) {
				t.Fatalf("x-ms-client-request-id = %q", r.Header.Get("x-ms-client-request-id"))
			}
			if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Authorization") != "" {
				t.Fatalf("forbidden header sent: %v", r.Header)
			}
			if c.ID() != tt.id {
				t.Fatalf("ID() = %v", c.ID())
			}
		})
	}
}

func TestTokenExpiryFromResponse(t *testing.T) {
	clock := newFakeClock(true)
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, fmt.Sprintf(`{"access_token":"t","expires_on":%d,"resource":"r"}`, epoch0.Add(3*time.Hour).Unix()))
	})
	c := newTestCred(t, srv.URL, clock, Options{})
	tok, err := c.Token(context.Background(), "r")
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresOn.Equal(epoch0.Add(3*time.Hour)) || !tok.RefreshOn.Equal(epoch0.Add(90*time.Minute)) || tok.Type != "Bearer" {
		t.Fatalf("token = %v", tok)
	}
}

func TestRetries(t *testing.T) {
	type step struct {
		status int
		header map[string]string
	}
	tests := []struct {
		name      string
		steps     []step // answers before a 200
		wantCalls int
		wantErr   string
		wantWait  time.Duration // a wait that must appear (Retry-After)
	}{
		{"404 then ok", []step{{404, nil}}, 2, "", 0},
		{"429 then ok", []step{{429, nil}, {429, nil}}, 3, "", 0},
		{"500 502 503 then ok", []step{{500, nil}, {502, nil}, {503, nil}}, 4, "", 0},
		{"retry-after seconds", []step{{429, map[string]string{"Retry-After": "7"}}}, 2, "", 7 * time.Second},
		{"retry-after-ms", []step{{503, map[string]string{"retry-after-ms": "1234"}}}, 2, "", 1234 * time.Millisecond},
		{"400 not retried", []step{{400, nil}}, 1, "IMDS 400", 0},
		{"403 not retried", []step{{403, nil}}, 1, "IMDS 403", 0},
		{"405 not retried", []step{{405, nil}}, 1, "IMDS 405", 0},
		{"retry-after zero floored", []step{{503, map[string]string{"Retry-After": "0"}}}, 2, "", 100 * time.Millisecond},
		{"retry-after beyond budget", []step{{429, map[string]string{"Retry-After": "600"}}}, 1, "IMDS 429", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n <= len(tt.steps) {
					s := tt.steps[n-1]
					for k, v := range s.header {
						w.Header().Set(k, v)
					}
					writeJSON(w, s.status, `{"error":"e","error_description":"d"}`)
					return
				}
				writeJSON(w, 200, tokenBody("tok", "r", 3600))
			})
			clock := newFakeClock(true)
			c := newTestCred(t, srv.URL, clock, Options{})
			_, err := c.Token(context.Background(), "r")
			if got := int(srv.count.Load()); got != tt.wantCalls {
				t.Errorf("requests = %d, want %d", got, tt.wantCalls)
			}
			if tt.wantErr == "" && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr != "" {
				var ae *AuthError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ae) {
					t.Fatalf("err = %v, want *AuthError containing %q", err, tt.wantErr)
				}
			}
			if tt.wantWait > 0 {
				found := false
				for _, w := range clock.Waits() {
					found = found || w == tt.wantWait
				}
				if !found {
					t.Fatalf("waits %v lack %v", clock.Waits(), tt.wantWait)
				}
			}
			if clock.Elapsed() > 90*time.Second {
				t.Fatalf("spent %v of fake time, over the budget", clock.Elapsed())
			}
		})
	}
}

// assertBudgetBound checks that a failing acquisition gave up because its
// retry budget was spent, not earlier or later: it made between minCalls and
// maxCalls requests (the range the jittered backoff allows), spent no more
// than the budget, and stopped only when the next wait (at most 1.2 × 25 s)
// could no longer fit.
func assertBudgetBound(t *testing.T, clock *testenv.FakeClock, budget time.Duration, calls, minCalls, maxCalls int) {
	t.Helper()
	el := clock.Elapsed()
	if el > budget {
		t.Errorf("spent %v of fake time, over the %v budget", el, budget)
	}
	if left := budget - el; left >= 30*time.Second {
		t.Errorf("gave up with %v of the %v budget left (waits %v)", left, budget, clock.Waits())
	}
	if calls < minCalls || calls > maxCalls {
		t.Errorf("%d requests in a %v budget, want %d..%d", calls, budget, minCalls, maxCalls)
	}
}

// IMDS failures are retried until the budget is spent, not a fixed number
// of times: the default 90 s gives the guidance's five or so retries
// (backoff ≈2, 6, 14, 25, 25 s, each jittered ×[0.8, 1.2)), five minutes
// proportionally more.
func TestRetriesBoundedByBudget(t *testing.T) {
	tests := []struct {
		budget             time.Duration
		minCalls, maxCalls int // from the extreme jitters: all ×1.2 and all ×0.8
	}{
		{0, 6, 7}, // default 90 s
		{5 * time.Minute, 13, 18},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.budget), func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				writeJSON(w, 500, `{"error":"e","error_description":"d"}`)
			})
			clock := newFakeClock(true)
			c := newTestCred(t, srv.URL, clock, Options{RetryBudget: tt.budget})
			_, err := c.Token(context.Background(), "r")
			var ae *AuthError
			if !errors.As(err, &ae) || ae.StatusCode != 500 {
				t.Fatalf("err = %v, want *AuthError 500", err)
			}
			assertBudgetBound(t, clock, cmp.Or(tt.budget, 90*time.Second), int(srv.count.Load()), tt.minCalls, tt.maxCalls)
			// The error says the failure persisted, and what to do.
			if ae.Attempts != int(srv.count.Load()) {
				t.Errorf("AuthError.Attempts = %d, the endpoint saw %d requests", ae.Attempts, srv.count.Load())
			}
			if want := fmt.Sprintf("on all %d attempts", ae.Attempts); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "RetryBudget") {
				t.Errorf("error %q does not say %q and how to give it more time", err, want)
			}
		})
	}
}

func TestGoneRetriedForSeventySeconds(t *testing.T) {
	clock := newFakeClock(true)
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if clock.Elapsed() < 75*time.Second {
			w.WriteHeader(http.StatusGone)
			return
		}
		writeJSON(w, 200, tokenBody("tok", "r", 3600))
	})
	c := newTestCred(t, srv.URL, clock, Options{})
	tok, err := c.Token(context.Background(), "r")
	if err != nil || tok.AccessToken != "tok" {
		t.Fatalf("Token = %v, %v", tok, err)
	}
	if n := srv.count.Load(); n < 7 {
		t.Fatalf("only %d requests for 75 s of 410", n)
	}

	// 410 forever: gives up when the budget is spent, having tried past 70 s.
	clock2 := newFakeClock(true)
	srv2 := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(http.StatusGone) })
	c2 := newTestCred(t, srv2.URL, clock2, Options{})
	_, err = c2.Token(context.Background(), "r")
	var ae *AuthError
	if !errors.As(err, &ae) || ae.StatusCode != 410 {
		t.Fatalf("err = %v", err)
	}
	if e := clock2.Elapsed(); e < 70*time.Second || e > 90*time.Second {
		t.Fatalf("410 retried for %v of fake time, want 70-90 s", e)
	}
}

func TestRetryWaitCancelledByContext(t *testing.T) {
	clock := newFakeClock(false) // waits block until Advance, which never comes
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(503) })
	c := newTestCred(t, srv.URL, clock, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Instance(ctx) // runs the retry loop on the caller's ctx
		errc <- err
	}()
	waitFor(t, func() bool { return srv.count.Load() > 0 })
	cancel()
	if err := recvWithin(t, errc, "Instance to return after its context was cancelled"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestFailFastConnectionRefused(t *testing.T) {
	addr := closedPort(t)
	// The default client (own transport, short dial timeout): what users get.
	c, err := New(Options{Endpoint: "http://" + addr, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	guardLoopback(t, c)
	_, err = c.Token(context.Background(), "https://management.azure.com/.default")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	for _, s := range []string{"connection refused", addr, "AZURE_POD_IDENTITY_AUTHORITY_HOST"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if _, err := c.Instance(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Instance err = %v, want ErrUnavailable", err)
	}
}

// The guard of the production-client tests refuses a non-loopback address
// before dialing (192.0.2.1 is TEST-NET-1; it is never dialed).
func TestGuardLoopbackRefusesOtherAddresses(t *testing.T) {
	c, err := New(Options{Endpoint: "http://192.0.2.1", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	guardLoopback(t, c)
	if _, err := c.Token(context.Background(), "r"); err == nil || !strings.Contains(err.Error(), "refusing to dial a non-loopback address") {
		t.Fatalf("err = %v, want testenv's refusal", err)
	}
}

func TestFailFastRetriesConnectionOnce(t *testing.T) {
	addr := closedPort(t)
	clock := newFakeClock(true)
	c := newTestCred(t, "http://"+addr, clock, Options{})
	_, err := c.Token(context.Background(), "r")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if w := clock.Waits(); len(w) != 1 || w[0] != 10*time.Millisecond {
		t.Fatalf("waits = %v, want one wait of 10ms (off Azure must answer in under 50 ms)", w)
	}
}

func TestForeignResponses(t *testing.T) {
	const canary = "eyJCANARYTOKEN.abc.def"
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
		want    []string
		avail   bool // true: not ErrUnavailable
	}{
		{"html 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><body>\n\n  Captive   portal\x01 login</body></html>")
		}, []string{"answered 200 with text/html, not a token", `"<html><body> Captive portal? login</body></html>"`}, false},
		{"proxy 403 unreachable", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			fmt.Fprint(w, `{"message":"connecting to 169.254.169.254:80: connecting to 169.254.169.254:80: dial tcp 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network."}`)
		}, []string{"answered 403", "unreachable"}, false},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
		}, []string{"redirect", "never followed"}, false},
		{"html 502", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			fmt.Fprint(w, "<h1>Bad gateway</h1>")
		}, []string{"answered 502", "Bad gateway"}, false},
		{"plain-text 431 is an answer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(431)
			fmt.Fprint(w, "431 Request Header Fields Too Large")
		}, []string{"431", "Request Header Fields Too Large"}, true},
		{"html 400 is an answer", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			fmt.Fprint(w, "<h1>Bad Request</h1>")
		}, []string{"400", "Bad Request"}, true},
		{"plain text with token withheld", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "access_token="+canary)
		}, []string{"<body withheld>"}, false},
		{"truncated json with token", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"access_token":"`+canary+`","expires_in":"3600"`)
		}, []string{"unusable token response", "truncated JSON"}, true},
		{"huge body", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"access_token":"`+strings.Repeat("a", 1<<20)+`"}`)
		}, []string{"exceeds 1048576 bytes"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) { tt.handler(w, r) })
			c := newTestCred(t, srv.URL, newFakeClock(true), Options{})
			_, err := c.Token(context.Background(), "r")
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrUnavailable) == tt.avail {
				t.Errorf("errors.Is(ErrUnavailable) = %v for %v", !tt.avail, err)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("error leaks the token: %v", err)
			}
			if n := srv.count.Load(); n != 1 {
				t.Errorf("%d requests; foreign answers must not be retried or followed", n)
			}
		})
	}
}

func TestAuthErrors(t *testing.T) {
	tests := []struct {
		name      string
		id        ID
		status    int
		body      string
		reqID     string
		want      []string
		unavail   bool
		wantCode  string
		wantDescr string
	}{
		{"uami not assigned", ClientID(testCID), 400, `{"error":"invalid_request","error_description":"Identity not found"}`, "rid-1",
			[]string{"user-assigned identity with client ID " + testCID + " is not assigned to this VM (IMDS 400 invalid_request: Identity not found, request ID rid-1); assign it to the VM or check the ID"}, false, "invalid_request", "Identity not found"},
		{"no system identity", ID{}, 400, `{"error":"invalid_request","error_description":"Identity not found"}`, "",
			[]string{"no system-assigned identity is enabled on this VM (IMDS 400 invalid_request: Identity not found)"}, true, "invalid_request", "Identity not found"},
		{"bad resource", ID{}, 400, `{"error":"invalid_resource","error_description":"AADSTS50001: The application named https://x was not found"}`, "",
			[]string{`IMDS does not know resource "r"`, "AADSTS50001"}, false, "invalid_resource", ""},
		{"metadata header", ID{}, 400, `{"error":"bad_request_102","error_description":"Required metadata header not specified"}`, "",
			[]string{"Metadata header"}, false, "bad_request_102", ""},
		{"500 unknown", ObjectID(testOID), 500, `{"error":"unknown","error_description":"Failed to retrieve token from the Active directory"}`, "",
			[]string{`IMDS failed to issue a token for resource "r" to object ID ` + testOID, "IMDS 500 unknown"}, false, "unknown", ""},
		{"empty body", ID{}, 405, ``, "", []string{"IMDS 405"}, false, "", ""},
		{"description with token-like text", ID{}, 400, `{"error":"x","error_description":"bad eyJhbGciOi.eyJzdWIi.c2ln here"}`, "",
			[]string{"bad <redacted> here"}, false, "x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if tt.reqID != "" {
					w.Header().Set("x-ms-request-id", tt.reqID)
				}
				writeJSON(w, tt.status, tt.body)
			})
			c := newTestCred(t, srv.URL, newFakeClock(true), Options{ID: tt.id})
			_, err := c.Token(context.Background(), "r")
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *AuthError", err)
			}
			if ae.Source != "IMDS" || ae.StatusCode != tt.status || ae.Code != tt.wantCode || ae.Resource != "r" || ae.ID != tt.id || ae.RequestID != tt.reqID {
				t.Errorf("AuthError = %+v", *ae)
			}
			if tt.wantDescr != "" && ae.Description != tt.wantDescr {
				t.Errorf("Description = %q", ae.Description)
			}
			if errors.Is(err, ErrUnavailable) != tt.unavail {
				t.Errorf("errors.Is(ErrUnavailable) = %v, want %v", !tt.unavail, tt.unavail)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error\n %q\nlacks\n %q", err, s)
				}
			}
		})
	}
}

func TestIdentityCheck(t *testing.T) {
	other := "99999999-9999-9999-9999-999999999999"
	tests := []struct {
		name  string
		id    ID
		token string
		want  string // "" = accepted
	}{
		{"client ID match", ClientID(testCID), uamiJWT(nil), ""},
		{"client ID case-insensitive", ClientID(strings.ToUpper("abcdefab-1111-1111-1111-111111111111")), uamiJWT(map[string]any{"appid": "abcdefab-1111-1111-1111-111111111111"}), ""},
		{"client ID mismatch", ClientID(testCID), uamiJWT(map[string]any{"appid": other}), "the endpoint returned a token for a different identity: asked client ID " + testCID + ", got appid " + other},
		{"client ID claim missing", ClientID(testCID), makeJWT(map[string]any{"oid": testOID}), "got appid none"},
		{"object ID mismatch", ObjectID(testOID), uamiJWT(map[string]any{"oid": other}), "asked object ID " + testOID + ", got oid " + other},
		{"resource ID lower-case match", ResourceID(testMIID), uamiJWT(map[string]any{"xms_mirid": strings.ToLower(testMIID)}), ""},
		{"resource ID mismatch", ResourceID(testMIID), uamiJWT(map[string]any{"xms_mirid": "/subscriptions/x/other"}), "got xms_mirid /subscriptions/x/other"},
		{"resource ID without xms_mirid", ResourceID(testMIID), makeJWT(map[string]any{"appid": testCID}), ""},
		{"opaque token, user-assigned", ClientID(testCID), "opaque-token", "not a JWT"},
		{"opaque token, system-assigned", ID{}, "opaque-token", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				writeJSON(w, 200, tokenBody(tt.token, "r", 3600))
			})
			c := newTestCred(t, srv.URL, newFakeClock(true), Options{ID: tt.id})
			tok, err := c.Token(context.Background(), "r")
			if tt.want == "" {
				if err != nil || tok.AccessToken != tt.token {
					t.Fatalf("Token = %v, %v", tok, err)
				}
				return
			}
			if err == nil || !strings.Contains(strings.Replace(err.Error(), "IMDS returned", "the endpoint returned", 1), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Fatalf("error leaks the token")
			}
		})
	}
}

func TestExpiredOnArrival(t *testing.T) {
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `{"access_token":"t","expires_on":"1000"}`)
	})
	c := newTestCred(t, srv.URL, newFakeClock(true), Options{})
	if _, err := c.Token(context.Background(), "r"); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("err = %v", err)
	}
}

func TestOwnClientDoesNotFollowRedirectsOfGivenClient(t *testing.T) {
	target := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, tokenBody("t", "r", 3600)) })
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, target.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
	cl := &http.Client{} // follows redirects by default
	cl.Transport = newTestCred(t, srv.URL, nil, Options{}).client.Transport
	c := newTestCred(t, srv.URL, newFakeClock(true), Options{HTTPClient: cl})
	if _, err := c.Token(context.Background(), "r"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if target.count.Load() != 0 {
		t.Fatal("redirect followed")
	}
}

func TestBrokenConnectionRetried(t *testing.T) {
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= 2 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // connected, then no answer: transient, like a 5xx
			}
			return
		}
		writeJSON(w, 200, tokenBody("tok", "r", 3600))
	})
	clock := newFakeClock(true)
	c := newTestCred(t, srv.URL, clock, Options{})
	tok, err := c.Token(context.Background(), "r")
	if err != nil || tok.AccessToken != "tok" {
		t.Fatalf("Token = %v, %v", tok, err)
	}
	if errors.Is(err, ErrUnavailable) || srv.count.Load() != 3 || len(clock.Waits()) != 2 {
		t.Fatalf("requests %d, waits %v", srv.count.Load(), clock.Waits())
	}

	// Always broken: gives up when the budget is spent, with the transport
	// error, not ErrUnavailable.
	srv2 := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	})
	clock2 := newFakeClock(true)
	c2 := newTestCred(t, srv2.URL, clock2, Options{})
	_, err = c2.Token(context.Background(), "r")
	if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "retry budget of 1m30s spent") ||
		!strings.Contains(err.Error(), fmt.Sprintf("IMDS at %s gave no complete answer in %d attempts", srv2.URL, srv2.count.Load())) {
		t.Fatalf("err = %v after %d requests", err, srv2.count.Load())
	}
	assertBudgetBound(t, clock2, 90*time.Second, int(srv2.count.Load()), 6, 7)
}

func TestCustomDialerFailureIsUnavailable(t *testing.T) {
	errRefused := errors.New("custom dialer says no")
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) { return nil, errRefused }}
	clock := newFakeClock(true)
	c := newTestCred(t, "http://127.0.0.1:9", clock, Options{HTTPClient: &http.Client{Transport: tr}})
	_, err := c.Token(context.Background(), "r")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "custom dialer says no") {
		t.Fatalf("err = %v", err)
	}
	if len(clock.Waits()) != 1 {
		t.Fatalf("waits = %v, want one short retry", clock.Waits())
	}
}
