package arm

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDeleteViaLocation(t *testing.T) {
	var e *testEnv
	var polls atomic.Int32
	var mu sync.Mutex
	var polled []string // the operation paths polled, in order
	e = newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "DELETE" && r.URL.Path == "/subscriptions/s/resourcegroups/rg1":
			// Real ARM names its own host; the client rewrites it to the endpoint.
			w.Header().Set("Location", "https://management.azure.com/subscriptions/s/operationresults/tok?api-version=2021-04-01")
			w.Header().Set("Retry-After", "15")
			w.WriteHeader(202)
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/subscriptions/s/operationresults/tok"):
			mu.Lock()
			polled = append(polled, r.URL.Path)
			mu.Unlock()
			switch polls.Add(1) {
			case 1:
				// A 202 may move the operation: the next poll must go to the new Location.
				w.Header().Set("Location", e.srv.URL+"/subscriptions/s/operationresults/tok-moved?api-version=2021-04-01")
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(202)
			case 2:
				w.WriteHeader(202) // no Retry-After: PollInterval
			default:
				w.WriteHeader(200)
			}
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}
	}), func(o *Options) { o.PollInterval = 7 * time.Second })
	ctx := context.Background()
	p, err := e.c.BeginDeleteResourceGroup(ctx, "s", "rg1")
	if err != nil || p.Done() {
		t.Fatalf("%v done=%v", err, p != nil && p.Done())
	}
	if _, err := p.Result(); err == nil {
		t.Error("Result before Done should fail")
	}
	tok, err := p.ResumeToken()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Wait(ctx)
	if err != nil || resp.StatusCode != 200 || !p.Done() || polls.Load() != 3 {
		t.Fatalf("resp %v err %v polls %d", resp, err, polls.Load())
	}
	if w := e.sleep.got(); len(w) != 3 || w[0] != 15*time.Second || w[1] != 0 || w[2] != 7*time.Second {
		t.Fatalf("waits %v; want [15s 0 7s]", w)
	}
	mu.Lock()
	got := strings.Join(polled, " ")
	mu.Unlock()
	if want := "/subscriptions/s/operationresults/tok /subscriptions/s/operationresults/tok-moved /subscriptions/s/operationresults/tok-moved"; got != want {
		t.Fatalf("polled %s\nwant   %s (the poller must follow the Location of a 202)", got, want)
	}
	// Resuming continues from the same Location.
	p2, err := e.c.ResumePoller(tok)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := p2.Wait(ctx); err != nil || resp.StatusCode != 200 {
		t.Fatalf("resumed: %v %v", resp, err)
	}
	if _, err := e.c.ResumePoller("garbage!"); err == nil {
		t.Error("bad resume token accepted")
	}
}

func TestLocationPollError(t *testing.T) {
	var e *testEnv
	e = newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "DELETE" {
			w.Header().Set("Location", e.srv.URL+"/op")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(202)
			return
		}
		armError(w, 409, "ResourceGroupDeletionBlocked", "Deletion of resource group 'rg' failed")
	}), nil)
	p, err := e.c.BeginDeleteResourceGroup(context.Background(), "s", "rg")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Wait(context.Background())
	var re *ResponseError
	if !errors.As(err, &re) || re.Code != "ResourceGroupDeletionBlocked" || !p.Done() {
		t.Fatalf("%v", err)
	}
	if _, err2 := p.Poll(context.Background()); err2 != err {
		t.Error("Poll after the end should return the same error")
	}
}

func TestAzureAsyncOperation(t *testing.T) {
	for _, tc := range []struct {
		name, final, wantErr string
		method               string
	}{
		{"put succeeded", "Succeeded", "", "PUT"},
		{"delete succeeded", "Succeeded", "", "DELETE"},
		{"post succeeded", "Succeeded", "", "POST"},
		{"failed", "Failed", "long-running operation ended Failed (Conflict): it broke", "PUT"},
		{"canceled", "Canceled", "ended Canceled", "DELETE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *testEnv
			var polls, gets atomic.Int32
			e = newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/op":
					if polls.Add(1) < 3 {
						w.Header().Set("Retry-After", "0")
						writeJSON(w, 200, `{"status":"InProgress"}`)
						return
					}
					writeJSON(w, 200, `{"status":"`+tc.final+`","error":{"code":"Conflict","message":"it broke"}}`)
				case r.URL.Path == "/result" && r.Method == "GET":
					gets.Add(1)
					writeJSON(w, 200, `{"name":"from-location"}`)
				case r.URL.Path == "/thing" && r.Method == "GET":
					gets.Add(1)
					writeJSON(w, 200, `{"name":"thing"}`)
				case r.URL.Path == "/thing":
					w.Header().Set("Azure-AsyncOperation", e.srv.URL+"/op")
					w.Header().Set("Location", e.srv.URL+"/result") // ignored while async is present, except POST final
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(201)
				default:
					t.Errorf("unexpected %s %s", r.Method, r.URL)
				}
			}), nil)
			// If the poller missed the end it would poll forever: stop it after
			// 20 waits, and after 30s whatever happens, and say so.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			e.sleep.before = func(n int) {
				if n > 20 {
					cancel()
				}
			}
			var body []byte
			if tc.method != "DELETE" {
				body = []byte(`{}`)
			}
			resp, err := e.c.Do(ctx, tc.method, "/thing", "1", body)
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.c.PollerFromResponse(resp)
			if err != nil || p.Done() {
				t.Fatal(err)
			}
			final, err := p.Wait(ctx)
			if ctx.Err() != nil {
				t.Fatalf("the poller was still polling after %d waits (%d status requests): it did not see the operation end %s; err %v", len(e.sleep.got()), polls.Load(), tc.final, err)
			}
			if tc.wantErr != "" {
				var re *ResponseError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.wantErr) || re.OperationStatus != tc.final {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"PUT": `"thing"`, "POST": `"from-location"`, "DELETE": `"Succeeded"`}[tc.method]
			if !strings.Contains(string(final.Body), want) {
				t.Fatalf("final body %s, want %s", final.Body, want)
			}
			if w := e.sleep.got(); len(w) != 3 || w[0] != time.Second || w[1] != 0 {
				t.Errorf("waits %v", w)
			}
		})
	}
}

func TestPollerImmediateAndInvalid(t *testing.T) {
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), nil)
	p, err := e.c.PollerFromResponse(&Response{StatusCode: 200, Header: http.Header{}, Method: "DELETE"})
	if err != nil || !p.Done() {
		t.Fatalf("%v", err)
	}
	if r, err := p.Wait(context.Background()); err != nil || r.StatusCode != 200 {
		t.Fatal(r, err)
	}
	if _, err := e.c.PollerFromResponse(&Response{StatusCode: 202, Header: http.Header{}}); err == nil {
		t.Error("202 without polling headers accepted")
	}
	h := http.Header{"Location": {"https://evil.example.com/op"}}
	if _, err := e.c.PollerFromResponse(&Response{StatusCode: 202, Header: h}); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("off-host Location: %v", err)
	}
	if _, err := e.c.PollerFromResponse(nil); err == nil {
		t.Error("nil response accepted")
	}
}

func TestPollerCancelMidWait(t *testing.T) {
	var e *testEnv
	var polls atomic.Int32
	e = newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" {
			polls.Add(1)
		}
		w.Header().Set("Location", e.srv.URL+"/op")
		w.Header().Set("Retry-After", "15")
		w.WriteHeader(202)
	}), nil)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := e.c.BeginDeleteResourceGroup(ctx, "s", "rg")
	if err != nil {
		t.Fatal(err)
	}
	e.sleep.before = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	_, err = p.Wait(ctx)
	if !errors.Is(err, context.Canceled) || p.Done() || polls.Load() != 2 {
		t.Fatalf("err %v done %v polls %d", err, p.Done(), polls.Load())
	}
}

func TestResumePollerRefusesOffHostOperationURL(t *testing.T) {
	var requests atomic.Int32
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }), nil)
	// A token naming the test server for polling but another host for the
	// final GET of the PUT: following it would send the bearer token there.
	state := `{"method":"PUT","url":"https://evil.example.com/subscriptions/s/resourcegroups/rg","location":"` + e.srv.URL + `/op"}`
	tok := base64.RawURLEncoding.EncodeToString([]byte(state))
	_, err := e.c.ResumePoller(tok)
	if err == nil || !strings.Contains(err.Error(), "refusing to send the token there") || !strings.Contains(err.Error(), "operation URL") {
		t.Fatalf("ResumePoller: %v", err)
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}
