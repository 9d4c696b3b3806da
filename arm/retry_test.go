package arm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryableStatus(t *testing.T) {
	ra := http.Header{"Retry-After": {"1"}}
	for _, tc := range []struct {
		method string
		status int
		h      http.Header
		want   bool
	}{
		{"GET", 408, nil, true}, {"GET", 429, nil, true}, {"GET", 500, nil, true}, {"GET", 502, nil, true},
		{"GET", 503, nil, true}, {"GET", 504, nil, true}, {"GET", 501, nil, false}, {"GET", 404, nil, false},
		{"GET", 400, nil, false}, {"GET", 401, nil, false}, {"GET", 409, nil, false},
		{"PUT", 500, nil, true}, {"DELETE", 502, nil, true}, {"HEAD", 504, nil, true},
		{"POST", 500, nil, false}, {"PATCH", 502, nil, false}, {"POST", 408, nil, false},
		{"POST", 429, nil, true}, {"PATCH", 429, nil, true},
		{"POST", 503, nil, false}, {"POST", 503, ra, true}, {"PATCH", 503, ra, true},
	} {
		if got := retryableStatus(tc.method, tc.status, tc.h); got != tc.want {
			t.Errorf("retryableStatus(%s, %d, %v) = %v", tc.method, tc.status, tc.h, got)
		}
	}
}

func TestBackoffFullJitter(t *testing.T) {
	base, max := 800*time.Millisecond, 60*time.Second
	for attempt, ceil := range []time.Duration{800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond} {
		if got := backoff(attempt, base, max, func() float64 { return 0.999999 }); got > ceil || got < ceil*99/100 {
			t.Errorf("attempt %d: top of range %v, want ≈%v", attempt, got, ceil)
		}
		if got := backoff(attempt, base, max, func() float64 { return 0 }); got != 0 {
			t.Errorf("attempt %d: bottom of range %v, want 0", attempt, got)
		}
	}
	for _, attempt := range []int{7, 20, 63, 100, 1 << 20} {
		if got := backoff(attempt, base, max, func() float64 { return 1 }); got != max {
			t.Errorf("attempt %d: %v, want the cap %v", attempt, got, max)
		}
	}
	for range 100 {
		if got := backoff(2, base, max, nil); got < 0 || got > 3200*time.Millisecond {
			t.Fatalf("random backoff %v out of [0, 3.2s]", got)
		}
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	var n atomic.Int32
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "3")
			armError(w, 429, "TooManyRequests", "throttled")
		case 2:
			w.Header().Set("Retry-After", "0")
			armError(w, 503, "ServiceUnavailable", "busy")
		case 3:
			armError(w, 500, "InternalServerError", "oops") // no Retry-After: back-off
		default:
			writeJSON(w, 200, `{"subscriptionId":"s"}`)
		}
	}), nil)
	if _, err := e.c.GetSubscription(context.Background(), "s"); err != nil {
		t.Fatal(err)
	}
	w := e.sleep.got()
	if len(w) != 3 || w[0] != 3*time.Second || w[1] != 0 || w[2] > 3200*time.Millisecond {
		t.Fatalf("waits = %v; want [3s 0 ≤3.2s]", w)
	}
}

func TestRetriesExhausted(t *testing.T) {
	var n atomic.Int32
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "42")
		armError(w, 429, "TooManyRequests", "The request is being throttled")
	}), nil)
	_, err := e.c.GetSubscription(context.Background(), "s")
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != 429 || re.Retries != 4 || n.Load() != 5 {
		t.Fatalf("err = %v (attempts %d)", err, n.Load())
	}
	if msg := err.Error(); !strings.Contains(msg, "retrying 4 times") || !strings.Contains(msg, "throttling") {
		t.Errorf("message %q should say it retried 4 times and hint at throttling", msg)
	}
	if w := e.sleep.got(); len(w) != 4 || w[3] != 42*time.Second {
		t.Errorf("waits %v", w)
	}
}

func TestNoRetryForPostOn500AndMaxRetriesNegative(t *testing.T) {
	var n atomic.Int32
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		armError(w, 500, "InternalServerError", "boom")
	}), nil)
	if _, err := e.c.Do(context.Background(), "POST", "/x", "1", []byte(`{}`)); err == nil || n.Load() != 1 {
		t.Fatalf("POST 500: err %v after %d attempts; want 1 attempt", err, n.Load())
	}
	e2 := newTLSEnv(t, e.srv.Config.Handler, func(o *Options) { o.MaxRetries = -1 })
	n.Store(0)
	if _, err := e2.c.Do(context.Background(), "GET", "/x", "1", nil); err == nil || n.Load() != 1 {
		t.Fatalf("MaxRetries -1: %v after %d attempts", err, n.Load())
	}
}

func TestRetryReplaysBodyAndPatch429(t *testing.T) {
	var n atomic.Int32
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 100)
		k, _ := r.Body.Read(b)
		if string(b[:k]) != `{"tags":{"a":"b"}}` {
			t.Errorf("attempt %d body %q", n.Load()+1, b[:k])
		}
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			armError(w, 429, "TooManyRequests", "slow down")
			return
		}
		writeJSON(w, 200, `{"name":"rg","tags":{"a":"b"}}`)
	}), nil)
	rg, err := e.c.UpdateResourceGroupTags(context.Background(), "s", "rg", map[string]string{"a": "b"})
	if err != nil || rg.Tags["a"] != "b" || n.Load() != 2 {
		t.Fatalf("%+v %v (attempts %d)", rg, err, n.Load())
	}
}

// hangup closes the connection without an answer: a transport error.
func hangup(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestTransportErrorRetriedOnlyWhenIdempotent(t *testing.T) {
	var n atomic.Int32
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			hangup(w)
			return
		}
		writeJSON(w, 200, `{}`)
	}), nil)
	if _, err := e.c.Do(context.Background(), "GET", "/x", "1", nil); err != nil || n.Load() != 3 {
		t.Fatalf("GET: %v after %d attempts", err, n.Load())
	}
	n.Store(0)
	_, err := e.c.Do(context.Background(), "POST", "/x", "1", []byte(`{}`))
	if err == nil || n.Load() != 1 {
		t.Fatalf("POST: %v after %d attempts; want an error after 1", err, n.Load())
	}
}

func TestExpiredTokenRefreshedOnce(t *testing.T) {
	var n atomic.Int32
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("Authorization") == "Bearer "+canary+"0" { // the stale token
			w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="expired"`)
			armError(w, 401, "ExpiredAuthenticationToken", "The access token expiry UTC time '1/18/2023 5:10:42 PM' is earlier than current UTC time.")
			return
		}
		writeJSON(w, 200, `{"subscriptionId":"s"}`)
	}), nil)
	if _, err := e.c.GetSubscription(context.Background(), "s"); err != nil {
		t.Fatal(err)
	}
	if e.cred.calls != 2 || e.cred.forced != 1 || n.Load() != 2 || len(e.sleep.got()) != 0 {
		t.Fatalf("calls %d forced %d attempts %d", e.cred.calls, e.cred.forced, n.Load())
	}
}

func TestUnauthorizedTwiceIsFinal(t *testing.T) {
	for _, tc := range []struct {
		name, code, challenge string
		wantForced            int
	}{
		{"expired", "ExpiredAuthenticationToken", "", 1},
		{"invalid_token challenge", "AuthenticationFailed", `Bearer error="invalid_token"`, 1},
		{"audience", "InvalidAuthenticationTokenAudience", `Bearer error="invalid_token"`, 0},
		{"no hint", "AuthenticationFailed", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				if tc.challenge != "" {
					w.Header().Set("WWW-Authenticate", tc.challenge)
				}
				armError(w, 401, tc.code, "no")
			}), nil)
			_, err := e.c.GetSubscription(context.Background(), "s")
			var re *ResponseError
			if !errors.As(err, &re) || re.Code != tc.code {
				t.Fatalf("err %v", err)
			}
			if e.cred.forced != tc.wantForced || int(n.Load()) != tc.wantForced+1 {
				t.Fatalf("forced %d attempts %d", e.cred.forced, n.Load())
			}
		})
	}
}

func TestCancelDuringRetryWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		armError(w, 503, "ServiceUnavailable", "later")
	}), nil)
	e.sleep.before = func(int) { cancel() }
	_, err := e.c.GetSubscription(ctx, "s")
	if !errors.Is(err, context.Canceled) || len(e.sleep.got()) != 1 {
		t.Fatalf("err %v waits %v", err, e.sleep.got())
	}
}
