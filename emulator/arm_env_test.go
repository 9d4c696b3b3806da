package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/internal/testenv"
)

const (
	sub1 = "00000000-0000-0000-0000-000000000001"
	sub2 = "00000000-0000-0000-0000-000000000002"
	rgV  = "2021-04-01"
	subV = "2022-12-01"
)

type armEnv struct {
	t      *testing.T
	s      *Server
	clk    *testenv.FakeClock
	client *http.Client
	base   string
}

// startARM starts an emulator serving only ARM, with a fake clock.
func startARM(t *testing.T, o Options) *armEnv {
	t.Helper()
	clk := newFakeClock() // deadlines move only when the test advances it
	o.Clock = clk
	o.IMDSAddr = "-"
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return &armEnv{t: t, s: s, clk: clk, client: s.HTTPClient(), base: s.ARMEndpoint()}
}

// token mints an ARM token for the named identity.
func (e *armEnv) token(name string) string {
	return e.tokenFor(name, "https://management.azure.com/")
}

func (e *armEnv) tokenFor(name, resource string) string {
	e.t.Helper()
	cfg := e.s.config()
	id := cfg.IdentityByName(name)
	if id == nil {
		e.t.Fatalf("no identity %q", name)
	}
	m, err := e.s.tokens.Mint(cfg, id, resource)
	if err != nil {
		e.t.Fatal(err)
	}
	return m.Raw
}

type armResp struct {
	status int
	header http.Header
	body   []byte
}

func (r armResp) errCode() string {
	var v struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &v)
	return v.Error.Code
}

func (r armResp) errMessage() string {
	var v struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &v)
	return v.Error.Message
}

// do sends method to pathOrURL (relative to the ARM endpoint unless
// absolute) with a bearer token (none when tok is "").
func (e *armEnv) do(method, pathOrURL, tok, body string, hdr ...string) armResp {
	e.t.Helper()
	u := pathOrURL
	if !strings.HasPrefix(u, "https://") {
		u = e.base + u
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return armResp{status: res.StatusCode, header: res.Header, body: b}
}

// expect fails unless r has status (and, if code != "", that ARM error code
// in both the body and x-ms-error-code).
func expect(t *testing.T, r armResp, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if code != "" {
		if got := r.errCode(); got != code {
			t.Fatalf("error code %q, want %q; body %s", got, code, r.body)
		}
		if got := r.header.Get("x-ms-error-code"); got != code {
			t.Fatalf("x-ms-error-code %q, want %q", got, code)
		}
	}
}

func groupPath(sub, name string) string {
	return "/subscriptions/" + sub + "/resourcegroups/" + name + "?api-version=" + rgV
}

// listAll follows nextLink from first and returns all names, and the
// number of pages.
func (e *armEnv) listAll(first, tok string, between func(page int)) ([]string, int) {
	e.t.Helper()
	var names []string
	u := first
	pages := 0
	for u != "" {
		r := e.do("GET", u, tok, "")
		expect(e.t, r, 200, "")
		var page struct {
			Value []struct {
				Name string `json:"name"`
			} `json:"value"`
			NextLink string `json:"nextLink"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			e.t.Fatal(err)
		}
		for _, v := range page.Value {
			names = append(names, v.Name)
		}
		pages++
		if pages > 10000 {
			e.t.Fatal("paging does not terminate")
		}
		if page.NextLink != "" && !strings.HasPrefix(page.NextLink, e.base+"/") {
			e.t.Fatalf("nextLink %q is not an absolute URL on %s", page.NextLink, e.base)
		}
		u = page.NextLink
		if between != nil && u != "" {
			between(pages)
		}
	}
	return names, pages
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}
