package keyvault

import (
	"strings"
	"testing"
)

func TestSecretsSurviveARestart(t *testing.T) {
	e := newEnv(t)
	first := e.set(base+"/secrets/db-password"+av, "s3cr3t")
	e.set(base+"/secrets/db-password"+av, "n3w")
	e.set(base+"/secrets/gone"+av, "x")
	mustStatus(t, e.do("DELETE", base+"/secrets/gone"+av, tokOwner, nil), 200)

	e2 := newEnv(t, func(o *Options) { o.Store = e.store })
	r := e2.do("GET", first["id"].(string)+av, tokOwner, nil)
	mustStatus(t, r, 200)
	if r.json(t)["value"] != "s3cr3t" {
		t.Errorf("old version after restart: %s", r.body)
	}
	if r := e2.do("GET", base+"/secrets/DB-PASSWORD"+av, tokOwner, nil); r.json(t)["value"] != "n3w" {
		t.Errorf("latest after restart: %s", r.body)
	}
	mustStatus(t, e2.do("GET", base+"/deletedsecrets/gone"+av, tokOwner, nil), 200)
	mustStatus(t, e2.do("POST", base+"/deletedsecrets/gone/recover"+av, tokOwner, nil), 200)
}

func TestStoreFailureChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.set(base+"/secrets/a"+av, "one")
	e.store.fail = true
	for _, c := range []struct{ method, path string }{
		{"PUT", "/secrets/a"}, {"PATCH", "/secrets/a/"}, {"DELETE", "/secrets/a"},
	} {
		r := e.do(c.method, base+c.path+av, tokOwner, map[string]any{"value": "two", "attributes": map[string]any{"enabled": false}})
		mustStatus(t, r, 500)
		if code, _ := r.errCode(t); code != "InternalError" {
			t.Errorf("%s: code %q", c.method, code)
		}
	}
	e.store.fail = false
	r := e.do("GET", base+"/secrets/a"+av, tokOwner, nil)
	mustStatus(t, r, 200)
	if r.json(t)["value"] != "one" {
		t.Errorf("a failed write changed the secret: %s", r.body)
	}
	if items := e.do("GET", base+"/secrets/a/versions"+av, tokOwner, nil).json(t)["value"].([]any); len(items) != 1 {
		t.Errorf("%d versions", len(items))
	}
}

func TestCorruptRecordIsReportedWithoutContent(t *testing.T) {
	p := newMemPersister()
	p.recs["kv1/db-password"] = []byte(`{"name":"db-password","versions":[{"value":"CANARY-corrupt`)
	_, err := New(Options{Vaults: defaultVaults(), Tokens: fakeVerifier{}, Store: p})
	if err == nil {
		t.Fatal("a corrupt record was accepted")
	}
	if !strings.Contains(err.Error(), `"db-password"`) || strings.Contains(err.Error(), "CANARY") {
		t.Errorf("error %q", err)
	}
	_, err = New(Options{Tokens: fakeVerifier{}})
	if err == nil || !strings.Contains(err.Error(), "Options.Vaults") {
		t.Errorf("missing registry: %v", err)
	}
}

func TestPurgeVault(t *testing.T) {
	e := newEnv(t)
	e.set(base+"/secrets/a"+av, "1")
	e.set("https://kvpol.vault.azure.net/secrets/b"+av, "2")
	if err := e.h.PurgeVault("KV1"); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, e.do("GET", base+"/secrets/a"+av, tokOwner, nil), 404)
	mustStatus(t, e.do("GET", "https://kvpol.vault.azure.net/secrets/b"+av, tokOwner, nil), 200)
	if len(e.store.recs) != 1 {
		t.Errorf("records %v", len(e.store.recs))
	}
}
