package roles

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	tenant   = "aaaaaaaa-0000-4000-8000-000000000001"
	uamiOID  = "dddddddd-0000-4000-8000-000000000004"
	ownerOID = "eeeeeeee-0000-4000-8000-000000000005"
	userOID  = "ffffffff-0000-4000-8000-000000000006"
)

// directory is the test's principal lookup.
var directory = map[string]Principal{
	uamiOID:  {ObjectID: uamiOID, Type: "ServicePrincipal"},
	ownerOID: {ObjectID: ownerOID, Type: "ServicePrincipal"},
	userOID:  {ObjectID: userOID, Type: "User"},
}

func lookup(oid string) (Principal, bool) { p, ok := directory[oid]; return p, ok }

// clock is a manual clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)} }

// memPersister records what the store persists; fail makes writes fail.
type memPersister struct {
	mu          sync.Mutex
	assignments map[string]Assignment
	definitions map[string]Definition
	fail        bool
}

func newMemPersister() *memPersister {
	return &memPersister{assignments: map[string]Assignment{}, definitions: map[string]Definition{}}
}

var errDisk = errors.New("disk full")

func (m *memPersister) PutAssignment(a Assignment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errDisk
	}
	m.assignments[a.Name] = a
	return nil
}

func (m *memPersister) DeleteAssignment(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errDisk
	}
	delete(m.assignments, name)
	return nil
}

func (m *memPersister) PutDefinition(d Definition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errDisk
	}
	m.definitions[d.Name] = d
	return nil
}

func (m *memPersister) DeleteDefinition(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errDisk
	}
	delete(m.definitions, name)
	return nil
}

func mustScope(t testing.TB, s string) Scope {
	t.Helper()
	sc, err := ParseScope(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

var nameSeq atomic.Int64

// assign creates an assignment or fails the test; it returns its name.
func assign(t testing.TB, s *Store, principal, role, scope string) string {
	t.Helper()
	name := NameFor("test", principal, role, scope, strconv.FormatInt(nameSeq.Add(1), 10))
	if _, _, e := s.PutAssignment(Caller{ObjectID: ownerOID}, AssignmentRequest{
		Name: name, Scope: mustScope(t, scope), RoleDefinitionID: subID + "/providers/Microsoft.Authorization/roleDefinitions/" + role, PrincipalID: principal,
	}); e != nil {
		t.Fatalf("assign %s at %s: %v", role, scope, e)
	}
	return name
}
