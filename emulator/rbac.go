package emulator

import (
	"errors"
	"fmt"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/roles"
	"github.com/azmsi/azmsi/emulator/internal/rolestate"
)

// RBAC wiring: one roles.Store serves the Microsoft.Authorization routes
// and authorizes every ARM request (and, through DataAllowed, data planes).
// The configuration's roleAssignments seed it; with a StateDir the API's
// changes persist in StateDir/rbac.db and a restart keeps them rather than
// seeding again; a reset (/_emulator/reset, a new config) starts from the
// configuration again.

// buildRoles makes s.roles (and s.roleState with a StateDir).
func (s *Server) buildRoles() error {
	o := s.opts
	ro := roles.Options{
		TenantID:   s.config().TenantID,
		Principals: s.lookupPrincipal,
		Now:        o.Clock.Now,
		Delay:      o.RBACDelay,
	}
	if o.StateDir != "" {
		b, err := rolestate.Open(o.StateDir)
		if err != nil {
			return err
		}
		s.roleState, ro.Persister = b, b
	}
	s.roles = roles.New(ro)
	if s.roleState != nil {
		defs, as, seeded, err := s.roleState.Load()
		if err != nil {
			_ = s.closeRoleState()
			return err
		}
		if seeded {
			if err := s.roles.Restore(defs, as); err != nil {
				// Entries that no longer make sense are skipped; say so.
				s.logger.Warn("emulator: some stored role assignments were not restored", "err", err)
			}
			return nil
		}
	}
	if err := s.seedRoles(s.config()); err != nil {
		_ = s.closeRoleState()
		return err
	}
	return nil
}

// lookupPrincipal is the directory: the identities of the current config.
func (s *Server) lookupPrincipal(oid string) (roles.Principal, bool) {
	if id := s.config().IdentityByObjectID(oid); id != nil {
		return roles.Principal{ObjectID: strings.ToLower(id.ObjectID), Type: "ServicePrincipal"}, true
	}
	return roles.Principal{}, false
}

// resetRoles drops every assignment and custom role (memory and state) and
// seeds from cfg. The caller holds cfgMu.
func (s *Server) resetRoles(cfg *config.Config) error {
	if s.roleState != nil {
		if err := s.roleState.Clear(); err != nil {
			return fmt.Errorf("emulator: reset role assignments: %w", err)
		}
	}
	s.roles.Reset()
	return s.seedRoles(cfg)
}

// seedRoles adds cfg's roleAssignments under names derived from each entry,
// so seeding is idempotent, and marks the state seeded.
func (s *Server) seedRoles(cfg *config.Config) error {
	var errs []error
	for i, ra := range cfg.RoleAssignments {
		id := cfg.IdentityByName(ra.Identity)
		def, ok := s.roles.DefinitionByName(ra.Role)
		sc, err := roles.ParseScope(ra.Scope)
		if id == nil || !ok || err != nil {
			// Validated at config load; never happens.
			errs = append(errs, fmt.Errorf("roleAssignments[%d] cannot be seeded", i))
			continue
		}
		_, _, e := s.roles.PutAssignment(roles.Caller{}, roles.AssignmentRequest{
			Name:  roles.NameFor(ra.Identity, sc.Key(), strings.ToLower(ra.Role)),
			Scope: sc, RoleDefinitionID: def.Name,
			PrincipalID: id.ObjectID, PrincipalType: "ServicePrincipal", AtOnce: true,
		})
		if e != nil && e.Code != "RoleAssignmentExists" {
			errs = append(errs, fmt.Errorf("roleAssignments[%d]: %s", i, e.Message))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("emulator: seed role assignments: %w", err)
	}
	if s.roleState != nil {
		return s.roleState.MarkSeeded()
	}
	return nil
}

// closeRoleState closes StateDir/rbac.db, if open; later calls do nothing.
func (s *Server) closeRoleState() error {
	if s.roleState == nil {
		return nil
	}
	err := s.roleState.Close()
	s.roleState = nil
	return err
}

// resourceRemoved drops the role assignments at a deleted generic
// resource's scope and below (unverified that ARM does so at once, U20-3).
func (s *Server) resourceRemoved(id string) {
	sc, err := roles.ParseScope(id)
	if err != nil || sc.Kind() < roles.KindResource {
		return
	}
	if _, err := s.roles.RemoveScope(sc); err != nil {
		s.logger.Warn("emulator: role assignments of a deleted resource not removed", "resource", id, "err", err)
	}
}
