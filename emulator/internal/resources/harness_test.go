package resources

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/apiversion"
	"github.com/azmsi/azmsi/internal/testenv"
)

const (
	sub1    = "bbbbbbbb-0000-4000-8000-000000000002"
	sub2    = "bbbbbbbb-0000-4000-8000-000000000003" // read-only
	owner   = "dddddddd-0000-4000-8000-000000000004"
	reader  = "dddddddd-0000-4000-8000-000000000005"
	nobody  = "dddddddd-0000-4000-8000-000000000006"
	rgOnly  = "dddddddd-0000-4000-8000-000000000007" // Contributor on rg1 only
	tenant1 = "aaaaaaaa-0000-4000-8000-000000000001"
)

// fakeAuth: "Authorization: Bearer <object id>"; anything else is 401.
type fakeAuth struct{}

func (fakeAuth) Authenticate(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	oid, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || oid == "" {
		writeError(w, &apiError{status: http.StatusUnauthorized, code: "AuthenticationFailed", message: "no token"})
		return Principal{}, false
	}
	return Principal{ObjectID: oid, ClientID: "client-" + oid[len(oid)-1:], Type: "Application"}, true
}

// fakeAuthz: owner may do anything, reader may read, rgOnly anything under
// rg1, nobody nothing. It records the actions asked about.
type fakeAuthz struct {
	mu  sync.Mutex
	log []string
}

func (a *fakeAuthz) Allowed(oid, action, scope string) bool {
	a.mu.Lock()
	a.log = append(a.log, action+" @ "+scope)
	a.mu.Unlock()
	switch oid {
	case owner:
		return true
	case reader:
		return strings.HasSuffix(action, "/read")
	case rgOnly:
		return strings.HasPrefix(strings.ToLower(scope), strings.ToLower("/subscriptions/"+sub1+"/resourceGroups/rg1/"))
	}
	return false
}

func (a *fakeAuthz) asked(s string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, l := range a.log {
		if l == s {
			return true
		}
	}
	return false
}

type fakeScopes struct {
	mu     sync.Mutex
	groups map[string]Group // lower "sub/rg"
}

func (f *fakeScopes) Subscription(id string) (Subscription, bool) {
	switch strings.ToLower(id) {
	case sub1:
		return Subscription{ID: sub1}, true
	case sub2:
		return Subscription{ID: sub2, ReadOnly: true}, true
	}
	return Subscription{}, false
}

func (f *fakeScopes) Group(sub, name string) (Group, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.groups[strings.ToLower(sub+"/"+name)]
	return g, ok
}

type env struct {
	t      *testing.T
	svc    *Service
	store  *Store
	clock  *testenv.FakeClock
	authz  *fakeAuthz
	scopes *fakeScopes
}

type envOption func(*Options)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	st, err := NewStore(nil)
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWithStore(t, st, opts...)
}

func newEnvWithStore(t *testing.T, st *Store, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, store: st, clock: testenv.NewFakeClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)),
		authz: &fakeAuthz{}, scopes: &fakeScopes{groups: map[string]Group{
			strings.ToLower(sub1 + "/rg1"):  {Name: "rg1"},
			strings.ToLower(sub1 + "/rg2"):  {Name: "rg2"},
			strings.ToLower(sub1 + "/gone"): {Name: "gone", Deleting: true},
			strings.ToLower(sub2 + "/rg1"):  {Name: "rg1"},
		}}}
	o := Options{Store: st, Versions: apiversion.NewChecker(apiversion.MustBuiltin(DisplayNames(DefaultRegions())), false, nil),
		Auth: fakeAuth{}, Authz: e.authz, Scopes: e.scopes, Clock: e.clock.Now, TenantID: tenant1, PageSize: 100,
		Async: map[string]time.Duration{"Contoso.Widgets/slowWidgets": 20 * time.Second}}
	for _, f := range opts {
		f(&o)
	}
	svc, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object (%v): %s", err, r.body)
	}
	return m
}

func (r resp) code() string { return r.header.Get("x-ms-error-code") }

// do sends a request as oid (""= no token); path may carry a query,
// otherwise api-version=2024-01-01 is added.
func (e *env) do(method, path, oid, body string) resp {
	e.t.Helper()
	if !strings.Contains(path, "?") {
		path += "?api-version=2024-01-01"
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, "http://arm.test"+path, rd)
	if oid != "" {
		r.Header.Set("Authorization", "Bearer "+oid)
	}
	w := httptest.NewRecorder()
	e.svc.ServeHTTP(w, r)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		e.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func (e *env) must(method, path, body string, status int) resp {
	e.t.Helper()
	r := e.do(method, path, owner, body)
	if r.status != status {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.body)
	}
	return r
}

// rg1 is the base of ids in resource group rg1.
const rg1 = "/subscriptions/" + sub1 + "/resourceGroups/rg1"

func newStrictChecker() *apiversion.Checker {
	return apiversion.NewChecker(apiversion.MustBuiltin(DisplayNames(DefaultRegions())), true, nil)
}
