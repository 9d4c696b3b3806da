package resources

import (
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openBolt(t *testing.T, path string) (*bolt.DB, *BoltPersister) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewBoltPersister(db, "resources")
	if err != nil {
		t.Fatal(err)
	}
	return db, p
}

// TestBoltDurability: what was acknowledged is there after a restart,
// including a running operation, which finishes afterwards.
func TestBoltDurability(t *testing.T) {
	path := filepath.Join(t.TempDir(), "arm.db")
	db, p := openBolt(t, path)
	st, err := NewStore(p)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWithStore(t, st)
	e.must("PUT", widget, `{"location":"eastus","tags":{"a":"b"},"properties":{"x":1}}`, 201)
	e.must("PUT", widget+"/gears/g1", `{}`, 201)
	slow := rg1 + "/providers/Contoso.Widgets/slowWidgets/s1"
	e.must("PUT", slow, `{"location":"eastus"}`, 201)
	e.must("PUT", rg1+"/providers/Contoso.Widgets/widgets/gone", `{"location":"eastus"}`, 201)
	e.must("DELETE", rg1+"/providers/Contoso.Widgets/widgets/gone", "", 200)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db2, p2 := openBolt(t, path)
	defer db2.Close()
	st2, err := NewStore(p2)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Len() != 3 {
		t.Fatalf("reloaded %d records, want 3", st2.Len())
	}
	e2 := newEnvWithStore(t, st2)
	got := e2.must("GET", widget, "", 200).json(t)
	if got["tags"].(map[string]any)["a"] != "b" || got["properties"].(map[string]any)["x"] != 1.0 {
		t.Errorf("reloaded = %v", got)
	}
	if st := e2.must("GET", slow, "", 200).json(t)["properties"].(map[string]any)["provisioningState"]; st != "Accepted" {
		t.Errorf("reloaded pending state = %v", st)
	}
	e2.clock.Advance(time.Minute)
	if st := e2.must("GET", slow, "", 200).json(t)["properties"].(map[string]any)["provisioningState"]; st != "Succeeded" {
		t.Errorf("pending operation did not finish after restart: %v", st)
	}
	// The sweep's change is durable too, and listing uses the reloaded index.
	ids, _, _ := listAll(e2, "/subscriptions/"+sub1+"/resources?api-version=2025-04-01")
	if len(ids) != 2 {
		t.Errorf("list after reload: %v", ids)
	}
	if err := st2.DeleteGroup(sub1, "rg1"); err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = p2.Load(func(*Record) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d records on disk after the group delete", n)
	}
	if err := st2.Reset(); err != nil {
		t.Fatal(err)
	}
}

// failingPersister refuses every commit: nothing may be acknowledged.
type failingPersister struct{}

func (failingPersister) Load(func(*Record) error) error { return nil }
func (failingPersister) Commit(Batch) error             { return errors.New("disk full") }

func TestFailedCommitIsNotAcknowledged(t *testing.T) {
	st, _ := NewStore(failingPersister{})
	e := newEnvWithStore(t, st)
	w := httptest.NewRecorder()
	req := httptest.NewRequest("PUT", "http://arm.test"+widget+"?api-version=2024-01-01", strings.NewReader(`{"location":"eastus"}`))
	req.Header.Set("Authorization", "Bearer "+owner)
	e.svc.ServeHTTP(w, req)
	if w.Code != 500 || !strings.Contains(w.Body.String(), "was not applied") || strings.Contains(w.Body.String(), "disk full") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if st.Len() != 0 {
		t.Fatal("a write whose commit failed is in the index")
	}
}
