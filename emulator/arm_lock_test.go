package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// stalledWriter is a client that stops reading: Write blocks until release.
type stalledWriter struct {
	hdr     http.Header
	writing chan struct{}
	release chan struct{}
}

func (w *stalledWriter) Header() http.Header { return w.hdr }
func (w *stalledWriter) WriteHeader(int)     {}
func (w *stalledWriter) Write(b []byte) (int, error) {
	close(w.writing)
	<-w.release
	return len(b), nil
}

// A response is written after a.mu is released: a client that stalls
// while its page is written holds up neither reads nor writes.
func TestARMStalledClientDoesNotHoldTheLock(t *testing.T) {
	e := startARM(t, Options{Config: manyGroupsConfig(50)})
	tok := e.token("vm-system")
	newReq := func(method, path, body string) *http.Request {
		r := httptest.NewRequest(method, "https://arm.local"+path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	stalled := &stalledWriter{hdr: http.Header{}, writing: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.s.arm.ServeHTTP(stalled, newReq("GET", "/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, ""))
	}()
	<-stalled.writing
	defer func() { close(stalled.release); <-done }()

	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/subscriptions/" + sub1 + "/resourcegroups/rg-00001?api-version=" + rgV, "", 200},
		{"PUT", groupPath(sub1, "while-stalled"), `{"location":"eastus"}`, 201},
	} {
		rec := httptest.NewRecorder()
		served := make(chan struct{})
		go func() {
			defer close(served)
			e.s.arm.ServeHTTP(rec, newReq(c.method, c.path, c.body))
		}()
		select {
		case <-served:
		case <-time.After(30 * time.Second): // a hang detector, not a speed check
			t.Fatalf("%s %s blocked behind a stalled response write", c.method, c.path)
		}
		if rec.Code != c.want {
			t.Fatalf("%s %s: %d %s, want %d", c.method, c.path, rec.Code, rec.Body, c.want)
		}
	}
}
