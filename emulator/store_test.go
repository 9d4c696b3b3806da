package emulator

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestARMPersistence: state written through ARM survives Close + Start with
// the same StateDir, including a delete in progress.
func TestARMPersistence(t *testing.T) {
	dir := t.TempDir()
	e := startARM(t, Options{StateDir: dir, DeleteDuration: 5 * time.Second})
	tok := e.token("app-contributor")
	expect(t, e.do("PUT", groupPath(sub1, "Kept"), tok, `{"location":"eastus","tags":{"a":"b"}}`), 201, "")
	expect(t, e.do("DELETE", groupPath(sub1, "rg-data"), tok, ""), 202, "")
	expect(t, e.do("DELETE", groupPath(sub1, "identities"), tok, ""), 202, "")
	e.clk.Advance(5 * time.Second)
	expect(t, e.do("GET", groupPath(sub1, "identities"), tok, ""), 404, "") // finished
	expect(t, e.do("PUT", groupPath(sub1, "rg-web"), tok, `{"location":"eastus"}`), 200, "")
	expect(t, e.do("DELETE", groupPath(sub1, "rg-web"), tok, ""), 202, "")
	now := e.clk.Now()
	must(t, e.s.Close())

	e2 := startARM(t, Options{StateDir: dir, DeleteDuration: 5 * time.Second})
	e2.clk.Advance(now.Sub(e2.clk.Now()) + time.Second) // 1 s into rg-web's delete
	tok = e2.token("app-contributor")
	r := e2.do("GET", groupPath(sub1, "kept"), tok, "")
	expect(t, r, 200, "")
	if !strings.Contains(string(r.body), `"name":"Kept"`) || !strings.Contains(string(r.body), `"tags":{"a":"b"}`) {
		t.Errorf("after restart: %s", r.body)
	}
	expect(t, e2.do("GET", groupPath(sub1, "identities"), tok, ""), 404, "ResourceGroupNotFound")
	r = e2.do("GET", groupPath(sub1, "rg-web"), tok, "")
	if !strings.Contains(string(r.body), `"provisioningState":"Deleting"`) {
		t.Errorf("delete in progress lost over restart: %s", r.body)
	}
	e2.clk.Advance(10 * time.Second)
	expect(t, e2.do("GET", groupPath(sub1, "rg-web"), tok, ""), 404, "ResourceGroupNotFound")
	expect(t, e2.do("GET", groupPath(sub1, "rg-data"), tok, ""), 404, "ResourceGroupNotFound")
	// Not re-seeded from the config: the db was seeded once.
	names, _ := e2.listAll("/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, tok, nil)
	if fmt.Sprint(names) != "[Kept]" {
		t.Errorf("groups after restart: %v", names)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
