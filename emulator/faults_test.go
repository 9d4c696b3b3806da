package emulator

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// Start refuses invalid Faults (internal/faults tests the parser).
func TestStartRejectsInvalidFaults(t *testing.T) {
	if _, err := Start(context.Background(), Options{Faults: &Faults{Families: map[string]FamilyFaults{"imds": {Reset: 2}}}}); err == nil {
		t.Error("Start accepted an invalid Faults")
	}
}

// tokenStatuses sends n token requests and returns each status (0 for a
// transport error).
func tokenStatuses(t *testing.T, s *Server, n int) []int {
	t.Helper()
	c := testenv.LoopbackOnlyClient(nil)
	defer c.CloseIdleConnections()
	out := make([]int, n)
	for i := range out {
		req, _ := http.NewRequest("GET", s.IMDSEndpoint()+"/metadata/identity/oauth2/token?api-version=2018-02-01&resource="+armRes, nil)
		req.Header.Set("Metadata", "true")
		resp, err := c.Do(req)
		if err != nil {
			continue
		}
		if _, err := io.ReadAll(resp.Body); err == nil {
			out[i] = resp.StatusCode
		}
		resp.Body.Close()
	}
	return out
}

func TestFaultsDeterministicFromSeed(t *testing.T) {
	spec := "imds:500=0.2,imds:429=0.1,imds:404=0.1,seed=7"
	a := startIdentityServer(t, Options{ARMAddr: "-", Faults: MustParseFaults(spec)})
	b := startIdentityServer(t, Options{ARMAddr: "-", Faults: MustParseFaults(spec)})
	sa, sb := tokenStatuses(t, a, 200), tokenStatuses(t, b, 200)
	if !reflect.DeepEqual(sa, sb) {
		t.Fatalf("same seed, different faults:\n%v\n%v", sa, sb)
	}
	n := map[int]int{}
	for _, st := range sa {
		n[st]++
	}
	// 200 draws at 40 % faults: far from 0 and from 200 for any seed.
	if n[200] < 80 || n[200] > 160 || n[500] == 0 || n[429] == 0 || n[404] == 0 {
		t.Errorf("status counts %v", n)
	}
	got := a.Stats().Faults
	if got["imds:500"] != int64(n[500]) || got["imds:429"] != int64(n[429]) || got["imds:404"] != int64(n[404]) {
		t.Errorf("stats %v, observed %v", got, n)
	}
	c := startIdentityServer(t, Options{ARMAddr: "-", Faults: MustParseFaults(strings.Replace(spec, "seed=7", "seed=8", 1))})
	if reflect.DeepEqual(sa, tokenStatuses(t, c, 200)) {
		t.Error("another seed gave the same sequence")
	}
}

func TestFaultKinds(t *testing.T) {
	tokenURL := func(s *Server, q string) string {
		return s.IMDSEndpoint() + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + armRes + q
	}
	get := func(s *Server, url string) (*http.Response, []byte, error) {
		c := testenv.LoopbackOnlyClient(s.CACertPEM())
		defer c.CloseIdleConnections()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Metadata", "true")
		resp, err := c.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	t.Run("status 429 carries Retry-After", func(t *testing.T) {
		s := startIdentityServer(t, Options{ARMAddr: "-", Faults: MustParseFaults("imds:429=1,imds:retryafter=3s")})
		resp, body, err := get(s, tokenURL(s, ""))
		if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || !strings.Contains(string(body), `"error":"temporarily_unavailable"`) {
			t.Fatalf("%v %v %s", err, resp, body)
		}
		// Control routes, JWKS and OpenID documents are never faulted.
		for _, p := range []string{"/_emulator/healthz", "/_emulator/stats", "/discovery/keys", "/.well-known/openid-configuration"} {
			if r := doRequest(t, s, "GET", s.IMDSEndpoint()+p, nil, ""); r.status != 200 {
				t.Errorf("%s: %d", p, r.status)
			}
		}
	})
	t.Run("arm error envelope", func(t *testing.T) {
		s := startIdentityServer(t, Options{IMDSAddr: "-", Faults: MustParseFaults("arm:503=1")})
		resp, body, err := get(s, s.ARMEndpoint()+"/subscriptions?api-version=2022-12-01")
		if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(body), `"code":"ServiceUnavailable"`) {
			t.Fatalf("%v %v %s", err, resp, body)
		}
		if r := doRequest(t, s, "GET", s.ARMEndpoint()+"/_emulator/healthz", nil, ""); r.status != 200 {
			t.Errorf("ARM control route faulted: %d", r.status)
		}
	})
	t.Run("410 window on the server clock", func(t *testing.T) {
		clk := newFakeClock()
		s := startIdentityServer(t, Options{ARMAddr: "-", Clock: clk, Faults: MustParseFaults("imds:410window=70s")})
		resp, body, err := get(s, tokenURL(s, ""))
		if err != nil || resp.StatusCode != 410 || !strings.Contains(string(body), "upgrade") {
			t.Fatalf("%v %v %s", err, resp, body)
		}
		clk.Advance(69 * time.Second)
		if resp, _, _ := get(s, tokenURL(s, "")); resp.StatusCode != 410 {
			t.Fatalf("at 69 s: %d", resp.StatusCode)
		}
		clk.Advance(time.Second)
		if resp, _, _ := get(s, tokenURL(s, "")); resp.StatusCode != 200 {
			t.Fatalf("at 70 s: %d", resp.StatusCode)
		}
		if n := s.Stats().Faults["imds:410window"]; n != 2 {
			t.Errorf("410window count %d", n)
		}
	})
	t.Run("reset", func(t *testing.T) {
		s := startIdentityServer(t, Options{Faults: MustParseFaults("imds:reset=1,arm:reset=1")})
		if _, _, err := get(s, tokenURL(s, "")); !errors.Is(err, syscall.ECONNRESET) && (err == nil || !strings.Contains(err.Error(), "EOF")) {
			t.Fatalf("IMDS reset: err = %v", err)
		}
		if _, _, err := get(s, s.ARMEndpoint()+"/subscriptions?api-version=2022-12-01"); err == nil {
			t.Fatal("ARM reset: no error")
		}
	})
	t.Run("truncate", func(t *testing.T) {
		s := startIdentityServer(t, Options{ARMAddr: "-", Faults: MustParseFaults("imds:truncate=1")})
		_, body, err := get(s, tokenURL(s, ""))
		if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) == 0 {
			t.Fatalf("err = %v, %d bytes", err, len(body))
		}
	})
	t.Run("html", func(t *testing.T) {
		s := startIdentityServer(t, Options{ARMAddr: "-", Faults: MustParseFaults("imds:html=1")})
		resp, body, err := get(s, tokenURL(s, ""))
		if err != nil || resp.StatusCode != 502 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.HasPrefix(string(body), "<html>") {
			t.Fatalf("%v %v %s", err, resp, body)
		}
	})
	t.Run("wrong identity", func(t *testing.T) {
		s := startIdentityServer(t, Options{ARMAddr: "-", Faults: MustParseFaults("imds:wrongid=1")})
		for _, q := range []string{"", "&client_id=" + conClientID, "&object_id=" + rdrObjectID, "&msi_res_id=" + conResID} {
			resp, body, err := get(s, tokenURL(s, q))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%q: %v %v %s", q, err, resp, body)
			}
			_, claims := verifyWithJWKS(t, s, (&idResponse{body: body}).json(t)["access_token"].(string))
			oid := claims["oid"].(string)
			asked := map[string]string{"": sysObjectID, "&client_id=" + conClientID: conObjectID, "&object_id=" + rdrObjectID: rdrObjectID, "&msi_res_id=" + conResID: conObjectID}[q]
			if oid == asked {
				t.Errorf("%q: token is for the identity asked for", q)
			}
		}
	})
	t.Run("latency", func(t *testing.T) {
		s := startIdentityServer(t, Options{ARMAddr: "-", Faults: MustParseFaults("imds:latency=20ms")})
		if resp, _, err := get(s, tokenURL(s, "")); err != nil || resp.StatusCode != 200 {
			t.Fatal(err)
		}
		if n := s.Stats().Faults["imds:latency"]; n != 1 {
			t.Errorf("latency count %d", n)
		}
	})
}

func TestFaultDownRefusesConnections(t *testing.T) {
	clk := newFakeClock()
	s := startIdentityServer(t, Options{Clock: clk, Faults: MustParseFaults("imds:down=5s")})
	c := testenv.LoopbackOnlyClient(s.CACertPEM())
	defer c.CloseIdleConnections()
	_, err := c.Get(s.IMDSEndpoint() + "/_emulator/healthz")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("while down: %v, want connection refused", err)
	}
	// ARM is another family: up.
	if resp, err := c.Get(s.ARMEndpoint() + "/_emulator/healthz"); err != nil {
		t.Fatalf("ARM: %v", err)
	} else {
		resp.Body.Close()
	}
	clk.Advance(5 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := c.Get(s.IMDSEndpoint() + "/_emulator/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still down after the window: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// At run time, through the control route on the other listener.
	r := doRequest(t, s, "PUT", s.ARMEndpoint()+"/_emulator/faults", nil, `{"spec":"imds:down=1m,seed=3"}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"spec":"imds:down=1m0s,seed=3"`) {
		t.Fatalf("PUT faults: %d %s", r.status, r.body)
	}
	if _, err := c.Get(s.IMDSEndpoint() + "/_emulator/healthz"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after PUT down: %v", err)
	}
	if r := doRequest(t, s, "DELETE", s.ARMEndpoint()+"/_emulator/faults", nil, ""); r.status != 200 {
		t.Fatalf("DELETE: %d", r.status)
	}
	if r := doRequest(t, s, "GET", s.IMDSEndpoint()+"/_emulator/faults", nil, ""); r.status != 200 || !strings.Contains(string(r.body), `"spec":""`) {
		t.Fatalf("GET after DELETE: %d %s", r.status, r.body)
	}
}

func TestFaultsControlRoute(t *testing.T) {
	s := startIdentityServer(t, Options{ARMAddr: "-"})
	base := s.IMDSEndpoint() + "/_emulator/faults"
	if r := doRequest(t, s, "PUT", base, nil, "imds:500=1,seed=9"); r.status != 200 {
		t.Fatalf("PUT text: %d %s", r.status, r.body)
	}
	if r := getToken(t, s, "api-version=2018-02-01&resource="+armRes); r.status != 500 {
		t.Fatalf("token with imds:500=1: %d", r.status)
	}
	r := doRequest(t, s, "GET", base, nil, "")
	if r.status != 200 || !strings.Contains(string(r.body), `"imds:500":1`) {
		t.Fatalf("GET: %s", r.body)
	}
	if f := s.Faults(); f == nil || f.Seed != 9 {
		t.Errorf("Faults() = %v", f)
	}
	for _, c := range []struct {
		method, body string
		status       int
		want         string
	}{
		{"PUT", "imds:700=1", 400, `unknown kind \"700\"`},
		{"PUT", `{"spec":5}`, 400, "expected the spec"},
		{"PUT", strings.Repeat("a", MaxFaultSpec+100), 413, "larger than"},
		{"PATCH", "", 405, "use GET, PUT or DELETE"},
	} {
		r := doRequest(t, s, c.method, base, nil, c.body)
		if r.status != c.status || !strings.Contains(string(r.body), c.want) {
			t.Errorf("%s %.20q: %d %s", c.method, c.body, r.status, r.body)
		}
	}
	if err := s.SetFaults(nil); err != nil {
		t.Fatal(err)
	}
	if r := getToken(t, s, "api-version=2018-02-01&resource="+armRes); r.status != 200 {
		t.Fatalf("after SetFaults(nil): %d", r.status)
	}
	if err := s.SetFaults(&Faults{Families: map[string]FamilyFaults{"imds": {HTML: -1}}}); err == nil {
		t.Error("SetFaults accepted a negative rate")
	}
}
