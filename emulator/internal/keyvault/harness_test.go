package keyvault

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

const (
	tenant      = "aaaaaaaa-0000-4000-8000-000000000001"
	otherTenant = "eeeeeeee-0000-4000-8000-000000000009"
	ownerOID    = "dddddddd-0000-4000-8000-000000000004"
	readerOID   = "dddddddd-0000-4000-8000-000000000005"
	userOID     = "dddddddd-0000-4000-8000-000000000006"
	vaultID     = "/subscriptions/bbbbbbbb-0000-4000-8000-000000000002/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1"
	base        = "https://kv1.vault.azure.net"
	av          = "?api-version=2026-04-01"
)

// Tokens the fake verifier knows.
const (
	tokOwner    = "tok-owner"        // RBAC: every secrets data action
	tokReader   = "tok-reader"       // no data action (ARM Reader)
	tokUser     = "tok-user"         // Key Vault Secrets User: get + readMetadata
	tokARM      = "tok-arm"          // owner, audience ARM
	tokOtherTen = "tok-other-tenant" // owner oid, another tenant
	tokLoopback = "tok-loopback"     // owner, audience https://vault.localhost:8443
	tokBroken   = "tok-broken"       // verifier refuses it
)

type fakeVerifier struct{}

func (fakeVerifier) VerifyToken(raw string) (Principal, error) {
	p := Principal{TenantID: tenant, AppID: "cccccccc-0000-4000-8000-000000000003", Audience: PublicResource}
	switch raw {
	case tokOwner:
		p.ObjectID = ownerOID
	case tokReader:
		p.ObjectID = readerOID
	case tokUser:
		p.ObjectID = userOID
	case tokARM:
		p.ObjectID, p.Audience = ownerOID, "https://management.azure.com/"
	case tokOtherTen:
		p.ObjectID, p.TenantID = ownerOID, otherTenant
	case tokLoopback:
		p.ObjectID, p.Audience = ownerOID, "https://vault.localhost:8443"
	default:
		return Principal{}, errors.New("the token " + raw + " is not signed by a known key")
	}
	return p, nil
}

// fakeAuthz grants data actions per object id anywhere in the test
// subscription; it records what it was asked.
type fakeAuthz struct {
	mu     sync.Mutex
	grants map[string][]string
	asked  []string
}

func (a *fakeAuthz) DataAllowed(oid, action, scope string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, action+" @ "+scope)
	if !strings.HasPrefix(scope, "/subscriptions/bbbbbbbb-0000-4000-8000-000000000002/") {
		return false
	}
	for _, g := range a.grants[oid] {
		if g == action || g == "Microsoft.KeyVault/vaults/secrets/*" {
			return true
		}
	}
	return false
}

type vaults map[string]Vault

func (m vaults) Vault(name string) (Vault, bool) {
	v, ok := m[strings.ToLower(name)]
	return v, ok
}

// memPersister is a Persister in a map; fail makes every write fail.
type memPersister struct {
	mu   sync.Mutex
	recs map[string][]byte
	fail bool
}

func newMemPersister() *memPersister { return &memPersister{recs: map[string][]byte{}} }

func (p *memPersister) LoadSecrets() ([]StoredSecret, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []StoredSecret
	for k, v := range p.recs {
		vault, name, _ := strings.Cut(k, "/")
		out = append(out, StoredSecret{Vault: vault, Name: name, Data: append([]byte(nil), v...)})
	}
	return out, nil
}

func (p *memPersister) PutSecret(vault, name string, data []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return errors.New("disk full")
	}
	p.recs[vault+"/"+name] = append([]byte(nil), data...)
	return nil
}

func (p *memPersister) DeleteSecret(vault, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return errors.New("disk full")
	}
	delete(p.recs, vault+"/"+name)
	return nil
}

// env is one handler under test with its fakes.
type env struct {
	t      testing.TB
	h      *Handler
	authz  *fakeAuthz
	vaults vaults
	store  *memPersister
	clock  *testenv.FakeClock
	logs   *testenv.SyncBuffer
}

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func defaultVaults() vaults {
	return vaults{
		"kv1": {Name: "kv1", TenantID: tenant, ResourceID: vaultID, Location: "westeurope", RBAC: true},
		"kvpol": {Name: "kvpol", TenantID: tenant, ResourceID: strings.Replace(vaultID, "kv1", "kvpol", 1), Location: "westeurope",
			AccessPolicies: []AccessPolicy{{TenantID: tenant, ObjectID: userOID, Secrets: []string{"Get"}}, {TenantID: tenant, ObjectID: ownerOID, Secrets: []string{"all"}}}},
		"kvlock": {Name: "kvlock", TenantID: tenant, ResourceID: strings.Replace(vaultID, "kv1", "kvlock", 1), RBAC: true, PurgeProtection: true, SoftDeleteRetentionDays: 7},
		"kvgone": {Name: "kvgone", TenantID: tenant, ResourceID: strings.Replace(vaultID, "kv1", "kvgone", 1), RBAC: true, Deleted: true},
	}
}

func newEnv(t testing.TB, mod ...func(*Options)) *env {
	t.Helper()
	e := &env{t: t, vaults: defaultVaults(), store: newMemPersister(), clock: testenv.NewFakeClock(t0), logs: &testenv.SyncBuffer{}}
	e.authz = &fakeAuthz{grants: map[string][]string{
		ownerOID: {"Microsoft.KeyVault/vaults/secrets/*"},
		userOID:  {ActionGetSecret, ActionReadMetadata},
	}}
	o := Options{Vaults: e.vaults, Tokens: fakeVerifier{}, Authorizer: e.authz, Store: e.store, Now: e.clock.Now,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, m := range mod {
		m(&o)
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	return e
}

// resp is a recorded response.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
	return m
}

// errCode returns error.code and error.innererror.code.
func (r resp) errCode(t testing.TB) (string, string) {
	t.Helper()
	m := r.json(t)
	e, _ := m["error"].(map[string]any)
	if e == nil {
		t.Fatalf("no error object in %s", r.body)
	}
	code, _ := e["code"].(string)
	inner := ""
	if ie, ok := e["innererror"].(map[string]any); ok {
		inner, _ = ie["code"].(string)
	}
	return code, inner
}

func (r resp) errMessage(t testing.TB) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// do sends one request; url is absolute (its host names the vault).
func (e *env) do(method, url, token string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, url, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return resp{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// mustStatus fails the test unless r has the status.
func mustStatus(t testing.TB, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
}

// set creates a version and returns the bundle.
func (e *env) set(url, value string) map[string]any {
	e.t.Helper()
	r := e.do("PUT", url, tokOwner, map[string]any{"value": value})
	mustStatus(e.t, r, 200)
	return r.json(e.t)
}

// doHeader sends a bodiless request with a raw Authorization header.
func (e *env) doHeader(method, url, authorization string) resp {
	e.t.Helper()
	req := httptest.NewRequest(method, url, nil)
	req.Header.Set("Authorization", authorization)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return resp{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// doQuiet is do without test helpers, for goroutines: it returns the status.
func (e *env) doQuiet(method, url string, body any) int {
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+tokOwner)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w.Code
}
