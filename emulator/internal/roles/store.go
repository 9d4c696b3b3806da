package roles

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Principal is a directory object role assignments may name.
type Principal struct {
	ObjectID string
	Type     string // User, Group, ServicePrincipal, ForeignGroup, Device
}

// PrincipalLookup finds a principal by object id (the emulator's
// identities); false means the directory has no such object.
type PrincipalLookup func(objectID string) (Principal, bool)

// Persister keeps the store's changes (the emulator backs it with its bbolt
// state). The store calls it under its lock, before changing memory, so a
// failed write leaves both unchanged. Keys are the lower-case GUID names.
type Persister interface {
	PutAssignment(Assignment) error
	DeleteAssignment(name string) error
	PutDefinition(Definition) error
	DeleteDefinition(name string) error
}

// Options configure a Store. The zero value is usable: every principal
// exists, nothing is persisted, changes apply at once.
type Options struct {
	TenantID   string          // named in PrincipalNotFound
	Principals PrincipalLookup // nil: every object id exists (as the principalType given)
	Persister  Persister       // nil: memory only
	Now        func() time.Time
	// Delay is how long a role-assignment change takes to apply to
	// authorization (Azure's propagation, --rbac-delay): an assignment
	// grants from its creation + Delay and still grants until its
	// deletion + Delay. The API itself shows changes at once.
	Delay time.Duration
	// MaxPerSubscription bounds the assignments under one subscription
	// (Azure's limit is 4,000); MaxAssignments bounds the whole store;
	// MaxCustomRoles the custom roles (Azure: 5,000 per tenant).
	MaxPerSubscription int
	MaxAssignments     int
	MaxCustomRoles     int
}

const (
	defaultMaxPerSubscription = 4000
	defaultMaxAssignments     = 100_000
	defaultMaxCustomRoles     = 5000
)

// Store holds role definitions and role assignments and evaluates them.
// It is safe for concurrent use.
type Store struct {
	opts Options
	now  func() time.Time

	mu          sync.RWMutex
	roles       map[string]*compiledRole // GUID → built-in or custom role
	roleNames   map[string]string        // lower roleName → GUID
	custom      int
	assignments map[string]*Assignment // GUID → assignment
	dups        map[dupKey]string      // (scope, principal, role) → GUID
	perSub      map[string]int         // lower subscription id → assignments under it
	eval        map[string]map[string][]grant
	leaving     []leavingGrant // deleted assignments still granting (Delay)
}

type dupKey struct{ scope, principal, role string }

// grant is what evaluation needs of one assignment.
type grant struct {
	name, role  string
	from, until time.Time // zero: no bound
}

type leavingGrant struct {
	principal, scope, name string
	until                  time.Time
}

// New returns a store holding the built-in roles and no assignments.
func New(opts Options) *Store {
	if opts.MaxPerSubscription <= 0 {
		opts.MaxPerSubscription = defaultMaxPerSubscription
	}
	if opts.MaxAssignments <= 0 {
		opts.MaxAssignments = defaultMaxAssignments
	}
	if opts.MaxCustomRoles <= 0 {
		opts.MaxCustomRoles = defaultMaxCustomRoles
	}
	s := &Store{
		opts:        opts,
		now:         opts.Now,
		roles:       map[string]*compiledRole{},
		roleNames:   map[string]string{},
		assignments: map[string]*Assignment{},
		dups:        map[dupKey]string{},
		perSub:      map[string]int{},
		eval:        map[string]map[string][]grant{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, d := range BuiltInRoles() {
		d := d
		s.roles[d.Name] = compileRole(&d)
		s.roleNames[strings.ToLower(d.RoleName)] = d.Name
	}
	return s
}

// Restore loads persisted custom roles and assignments (at start-up, before
// serving) without writing them back. Invalid entries are skipped and
// reported together; the valid ones are loaded. Restored assignments apply
// at once, whatever the Delay.
func (s *Store) Restore(definitions []Definition, assignments []Assignment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, d := range definitions {
		d := d
		if err := s.validateCustomLocked(&d); err != nil {
			errs = append(errs, fmt.Errorf("custom role %s: %s", d.Name, err.Message))
			continue
		}
		s.putRoleLocked(&d)
	}
	for _, a := range assignments {
		a := a
		sc, err := ParseScope(a.Scope)
		name, okName := ParseGUID(a.Name)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("role assignment %s: %v", a.Name, err))
			continue
		case !okName:
			errs = append(errs, fmt.Errorf("role assignment %q: the name is not a GUID", a.Name))
			continue
		case s.roles[strings.ToLower(a.RoleDefinitionID)] == nil:
			errs = append(errs, fmt.Errorf("role assignment %s: role definition %s does not exist", a.Name, a.RoleDefinitionID))
			continue
		case s.assignments[name] != nil:
			errs = append(errs, fmt.Errorf("role assignment %s: listed twice", a.Name))
			continue
		}
		a.Name, a.Scope = name, sc.String()
		a.RoleDefinitionID = strings.ToLower(a.RoleDefinitionID)
		a.PrincipalID = strings.ToLower(a.PrincipalID)
		if _, dup := s.dups[a.dupKey()]; dup {
			errs = append(errs, fmt.Errorf("role assignment %s duplicates another one (same principal, role and scope)", a.Name))
			continue
		}
		s.addLocked(&a, time.Time{})
	}
	return errors.Join(errs...)
}

func (s *Store) persistAssignment(a Assignment) *Error {
	if s.opts.Persister == nil {
		return nil
	}
	if err := s.opts.Persister.PutAssignment(a); err != nil {
		return errorf(500, "InternalServerError", "The emulator could not save role assignment %s: %v", a.Name, err)
	}
	return nil
}

func (s *Store) unpersistAssignment(name string) *Error {
	if s.opts.Persister == nil {
		return nil
	}
	if err := s.opts.Persister.DeleteAssignment(name); err != nil {
		return errorf(500, "InternalServerError", "The emulator could not delete role assignment %s from its state: %v", name, err)
	}
	return nil
}

// Reset drops every assignment and custom role from memory (the emulator's
// reset, before seeding again). It does not touch the Persister: the caller
// clears the persisted state in one step (a per-entry delete would cost one
// fsync each).
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for g, r := range s.roles {
		if r.def.Type == CustomRole {
			delete(s.roles, g)
			delete(s.roleNames, strings.ToLower(r.def.RoleName))
		}
	}
	s.custom = 0
	s.assignments = map[string]*Assignment{}
	s.dups = map[dupKey]string{}
	s.perSub = map[string]int{}
	s.eval = map[string]map[string][]grant{}
	s.leaving = nil
}
