package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// checkScope runs the checks every resource operation shares, in ARM's
// order: subscription, authorization, read-only subscription (writes),
// provider registration, resource group. On failure it has answered.
func (s *Service) checkScope(req *request, verb string, write bool) bool {
	if !s.subscription(req) {
		return false
	}
	id := req.route.ID
	action := id.FullType() + "/" + verb
	scope := id.String()
	if !s.o.Authz.Allowed(req.who.ObjectID, action, scope) {
		writeError(req.w, forbidden(req.who, action, scope))
		return false
	}
	if write && req.sub.ReadOnly {
		writeError(req.w, &apiError{status: http.StatusConflict, code: "ReadOnlyDisabledSubscription", message: fmt.Sprintf(
			"The subscription '%s' is disabled and therefore marked as read only. You cannot perform any write actions on this subscription until it is re-enabled.", req.sub.ID)})
		return false
	}
	if e := s.registered(req.sub.ID, id.Namespace); e != nil {
		writeError(req.w, e)
		return false
	}
	if id.ResourceGroup != "" {
		g, ok := s.o.Scopes.Group(req.sub.ID, id.ResourceGroup)
		if !ok {
			if req.r.Method == http.MethodHead {
				req.w.Header().Set("x-ms-error-code", "ResourceGroupNotFound")
				writeEmpty(req.w, http.StatusNotFound)
				return false
			}
			writeError(req.w, &apiError{status: http.StatusNotFound, code: "ResourceGroupNotFound", message: fmt.Sprintf(
				"Resource group '%s' could not be found.", clip(id.ResourceGroup))})
			return false
		}
		if write && g.Deleting {
			writeError(req.w, &apiError{status: http.StatusConflict, code: "ResourceGroupBeingDeleted", message: fmt.Sprintf(
				"The resource group '%s' is in deprovisioning state and cannot perform this operation.", g.Name)})
			return false
		}
	}
	return true
}

// notFound is ARM's 404 for an absent resource (message quoting and the
// aka.ms suffix unverified, U20-7).
func notFound(id *ID) *apiError {
	where := "under resource group '" + id.ResourceGroup + "'"
	if id.ResourceGroup == "" {
		where = "under subscription '" + id.SubscriptionID + "'"
	}
	rel := id.String()
	if i := strings.LastIndex(strings.ToLower(rel), "/providers/"); i >= 0 {
		rel = rel[i+len("/providers/"):]
	}
	return &apiError{status: http.StatusNotFound, code: "ResourceNotFound", message: fmt.Sprintf(
		"The Resource '%s' %s was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", clip(rel), clip(where))}
}

// checkParentLocked: a child needs its parent, an extension its scope
// resource. The parent may be one the emulator keeps elsewhere (Exists).
func (s *Service) checkParentLocked(id *ID) *apiError {
	p, ok := id.Parent()
	if !ok || s.exists(p) {
		return nil
	}
	return missingParent(id, p)
}

// missingParent is the 404 for a resource (or collection) whose parent p
// is absent: an extension's scope is an ordinary missing resource.
func missingParent(id, p *ID) *apiError {
	if id.IsExtension() && len(id.Types) == 1 {
		return notFound(p)
	}
	return &apiError{status: http.StatusNotFound, code: "ParentResourceNotFound", message: fmt.Sprintf(
		"Can not perform requested operation on nested resource. Parent resource '%s' not found.", clip(strings.Join(p.Names, "/")))}
}

func (s *Service) exists(id *ID) bool {
	if r := s.store.getLocked(id.Key()); r != nil {
		return !r.deleting()
	}
	return s.o.Exists != nil && s.o.Exists(id.String())
}

func (s *Service) getResource(req *request) {
	if !s.checkScope(req, "read", false) {
		return
	}
	id := req.route.ID
	s.read(req.w, func() reply {
		rec := s.store.getLocked(id.Key())
		if req.r.Method == http.MethodHead {
			// CheckExistence: 204 or 404, never a body.
			if rec == nil {
				return emptyReply(http.StatusNotFound)
			}
			return emptyReply(http.StatusNoContent)
		}
		if rec == nil {
			if e := s.checkParentLocked(id); e != nil {
				return errReply(e)
			}
			return errReply(notFound(id))
		}
		return jsonReply(http.StatusOK, rec.appendFull(nil))
	})
}

// fields is a decoded and validated body.
type fields struct {
	location                  string
	hasLocation, hasTags      bool
	tags                      map[string]string
	kind, managedBy           *string
	sku, identity, plan, ext  json.RawMessage
	zones, properties         json.RawMessage
	hasSKU, hasIdentity       bool
	hasPlan, hasExt, hasZones bool
	hasProperties             bool
	hasKind, hasManagedBy     bool
}

// validate decodes every member of b and checks its type and rules.
func (s *Service) validate(b *resourceBody, fullType string) (*fields, *apiError) {
	f := &fields{}
	var e *apiError
	if f.hasLocation = !isNull(b.Location); f.hasLocation {
		loc, e := optString("location", b.Location)
		if e != nil {
			return nil, e
		}
		f.location = normalizeLocation(loc)
		if _, ok := s.regions[f.location]; !ok && f.location != "global" {
			names := make([]string, 0, len(s.o.Regions))
			for _, r := range s.o.Regions {
				names = append(names, r.DisplayName)
			}
			// Text as observed for RPs; unverified for generic types.
			return nil, &apiError{status: http.StatusBadRequest, code: "LocationNotAvailableForResourceType", message: fmt.Sprintf(
				"The provided location '%s' is not available for resource type '%s'. List of available regions for the resource type is '%s'.",
				clip(loc), fullType, strings.ToLower(strings.ReplaceAll(strings.Join(names, ","), " ", "")))}
		}
	}
	if f.hasTags = len(b.Tags) > 0; f.hasTags {
		if f.tags, e = decodeTags(b.Tags); e != nil {
			return nil, e
		}
	}
	for _, m := range []struct {
		name string
		raw  json.RawMessage
		dst  **string
		has  *bool
	}{{"kind", b.Kind, &f.kind, &f.hasKind}, {"managedBy", b.ManagedBy, &f.managedBy, &f.hasManagedBy}} {
		if *m.has = len(m.raw) > 0; *m.has {
			v, e := optString(m.name, m.raw)
			if e != nil {
				return nil, e
			}
			*m.dst = &v
		}
	}
	for _, m := range []struct {
		name string
		raw  json.RawMessage
		kind byte
		dst  *json.RawMessage
		has  *bool
	}{
		{"sku", b.SKU, '{', &f.sku, &f.hasSKU},
		{"identity", b.Identity, '{', &f.identity, &f.hasIdentity},
		{"plan", b.Plan, '{', &f.plan, &f.hasPlan},
		{"extendedLocation", b.ExtendedLocation, '{', &f.ext, &f.hasExt},
		{"zones", b.Zones, '[', &f.zones, &f.hasZones},
		{"properties", b.Properties, '{', &f.properties, &f.hasProperties},
	} {
		if *m.has = len(m.raw) > 0; *m.has {
			if *m.dst, e = canonical(m.name, m.raw, m.kind); e != nil {
				return nil, e
			}
		}
	}
	if f.hasZones && len(f.zones) > 0 {
		var zs []string
		if json.Unmarshal(f.zones, &zs) != nil {
			return nil, badContent("'zones' must be an array of strings")
		}
	}
	if f.hasProperties {
		f.properties = stripProvisioningState(f.properties)
	}
	return f, nil
}

// tracked reports whether the catalog knows the type as located.
func (s *Service) tracked(fullType string) bool {
	t, ok := s.o.Versions.Catalog().Lookup(fullType)
	return ok && t.Tracked
}

func (s *Service) putResource(req *request) {
	if !s.checkScope(req, "write", true) {
		return
	}
	id := req.route.ID
	body, e := decodeBody(req.body, req.bErr)
	if e != nil {
		writeError(req.w, e)
		return
	}
	f, e := s.validate(body, id.FullType())
	if e != nil {
		writeError(req.w, e)
		return
	}
	if !f.hasLocation && s.tracked(id.FullType()) {
		writeError(req.w, &apiError{status: http.StatusBadRequest, code: "LocationRequired", message: "The location property is required for this definition."})
		return
	}
	s.write(req.w, func() reply {
		now := s.now()
		key := id.Key()
		old := s.store.getLocked(key)
		if old != nil && old.deleting() {
			return errReply(beingDeleted(old))
		}
		if e := s.checkParentLocked(id); e != nil {
			return errReply(e)
		}
		if old != nil && old.Location != "" && f.location != old.Location {
			return errReply(locationConflict(id, old.Location, f.location))
		}
		rec := &Record{ID: id.String(), Type: id.FullType(), Location: f.location, Tags: f.tags,
			SKU: f.sku, Plan: f.plan, ExtendedLocation: f.ext, Zones: f.zones, Properties: f.properties,
			State: "Succeeded", CreatedAt: now, CreatedBy: req.who.ClientID, CreatedByType: req.who.Type,
			APIVersion: req.api.Version}
		if f.kind != nil {
			rec.Kind = *f.kind
		}
		if f.managedBy != nil {
			rec.ManagedBy = *f.managedBy
		}
		status := http.StatusCreated
		var oldIdentity json.RawMessage
		if old != nil {
			status = http.StatusOK
			rec.ID, rec.Type = old.ID, old.Type // casing as first created
			rec.CreatedAt, rec.CreatedBy, rec.CreatedByType = old.CreatedAt, old.CreatedBy, old.CreatedByType
			oldIdentity = old.Identity
		}
		if f.hasIdentity {
			var e *apiError
			if rec.Identity, e = s.identity(f.identity, rec.ID, oldIdentity); e != nil {
				return errReply(e)
			}
		}
		if rec.Location != "" && rec.Tags == nil {
			rec.Tags = map[string]string{}
		}
		rec.ChangedAt, rec.ChangedBy, rec.ChangedByType = now, req.who.ClientID, req.who.Type
		rec.Listed = rec.Location != "" && !id.IsExtension()
		rec.intern()
		if d, async := s.asyncFor(rec.Type); async {
			rec.State = "Accepted"
			rec.Pending = &Pending{Op: opPut, ID: newGUID(), Start: now, Until: now.Add(d)}
		}
		if err := s.store.commitLocked([]*Record{rec}, nil); err != nil {
			return s.internal(err)
		}
		if rec.Pending != nil {
			s.asyncHeaders(req, rec)
		}
		return jsonReply(status, rec.appendFull(nil))
	})
}

func beingDeleted(r *Record) *apiError {
	// Code and text unverified.
	return &apiError{status: http.StatusConflict, code: "Conflict", message: fmt.Sprintf(
		"The resource '%s' is being deleted and cannot be changed until the delete completes.", r.ID)}
}

// locationConflict: a resource keeps the location it was created in (code
// and status unverified).
func locationConflict(id *ID, have, sent string) *apiError {
	return &apiError{status: http.StatusConflict, code: "InvalidResourceLocation", message: fmt.Sprintf(
		"The resource '%s' already exists in location '%s' in resource group '%s'. A resource with the same name cannot be created in location '%s'. Please select a new resource name.",
		clip(id.Name()), have, clip(id.ResourceGroup), clip(sent))}
}

// patchResource: members sent replace the stored ones (tags as a whole map,
// unverified U20-1), properties merge (RFC 7386), the rest is kept.
func (s *Service) patchResource(req *request) {
	if !s.checkScope(req, "write", true) {
		return
	}
	id := req.route.ID
	body, e := decodeBody(req.body, req.bErr)
	if e != nil {
		writeError(req.w, e)
		return
	}
	f, e := s.validate(body, id.FullType())
	if e != nil {
		writeError(req.w, e)
		return
	}
	s.write(req.w, func() reply {
		old := s.store.getLocked(id.Key())
		if old == nil {
			if e := s.checkParentLocked(id); e != nil {
				return errReply(e)
			}
			return errReply(notFound(id))
		}
		if old.deleting() {
			return errReply(beingDeleted(old))
		}
		if f.hasLocation && f.location != old.Location {
			return errReply(locationConflict(id, old.Location, f.location))
		}
		rec := old.clone()
		if f.hasTags {
			rec.Tags = f.tags
			if rec.Tags == nil && rec.Location != "" {
				rec.Tags = map[string]string{}
			}
		}
		if f.hasKind {
			rec.Kind = *f.kind
		}
		if f.hasManagedBy {
			rec.ManagedBy = *f.managedBy
		}
		if f.hasSKU {
			rec.SKU = f.sku
		}
		if f.hasPlan {
			rec.Plan = f.plan
		}
		if f.hasProperties && len(f.properties) > 0 {
			var e *apiError
			if rec.Properties, e = mergePatch(old.Properties, f.properties); e != nil {
				return errReply(e)
			}
		}
		if f.hasIdentity {
			var e *apiError
			if rec.Identity, e = s.identity(f.identity, rec.ID, old.Identity); e != nil {
				return errReply(e)
			}
		}
		now := s.now()
		rec.ChangedAt, rec.ChangedBy, rec.ChangedByType = now, req.who.ClientID, req.who.Type
		rec.APIVersion = req.api.Version
		rec.intern()
		if err := s.store.commitLocked([]*Record{rec}, nil); err != nil {
			return s.internal(err)
		}
		return jsonReply(http.StatusOK, rec.appendFull(nil))
	})
}

// deleteResource: 200 deleted, 204 absent (ARM RPC), 202 for asynchronous
// types; children and extension resources go with the resource.
func (s *Service) deleteResource(req *request) {
	if !s.checkScope(req, "delete", true) {
		return
	}
	id := req.route.ID
	s.write(req.w, func() reply {
		key := id.Key()
		old := s.store.getLocked(key)
		if old == nil {
			return emptyReply(http.StatusNoContent)
		}
		if old.deleting() {
			// A repeated DELETE reports the running operation.
			s.asyncHeaders(req, old)
			return emptyReply(http.StatusAccepted)
		}
		if d, async := s.asyncFor(old.Type); async {
			now := s.now()
			rec := old.clone()
			rec.State = "Deleting"
			rec.Pending = &Pending{Op: opDelete, ID: newGUID(), Start: now, Until: now.Add(d)}
			if err := s.store.commitLocked([]*Record{rec}, nil); err != nil {
				return s.internal(err)
			}
			s.asyncHeaders(req, rec)
			return emptyReply(http.StatusAccepted)
		}
		if err := s.store.commitLocked(nil, s.store.subtreeLocked(key)); err != nil {
			return s.internal(err)
		}
		return emptyReply(http.StatusOK)
	})
}

// action answers POST {resource}/{action}: the emulator knows no RP's
// actions, so it says so (after the checks a real RP would run first).
func (s *Service) action(req *request) {
	id := req.route.ID
	if !s.subscription(req) {
		return
	}
	act := id.FullType() + "/" + req.route.Action + "/action"
	if !s.o.Authz.Allowed(req.who.ObjectID, act, id.String()) {
		writeError(req.w, forbidden(req.who, act, id.String()))
		return
	}
	writeError(req.w, &apiError{status: http.StatusBadRequest, code: "UnsupportedAction", message: fmt.Sprintf(
		"The emulator does not implement the action '%s' of resource type '%s'.", clip(req.route.Action), id.FullType())})
}

func (s *Service) asyncFor(fullType string) (time.Duration, bool) {
	d, ok := s.async[strings.ToLower(fullType)]
	return d, ok
}

// identity completes a resource's identity member: system-assigned
// identities get a principalId and tenantId (kept across writes), each
// user-assigned identity its clientId and principalId.
func (s *Service) identity(raw json.RawMessage, resourceID string, old json.RawMessage) (json.RawMessage, *apiError) {
	var in struct {
		Type string                     `json:"type"`
		UAI  map[string]json.RawMessage `json:"userAssignedIdentities"`
	}
	if json.Unmarshal(raw, &in) != nil {
		return nil, badContent("'identity' must be an object with a string 'type' and an object 'userAssignedIdentities'")
	}
	typ, ok := canonicalIdentityType(in.Type)
	if !ok {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidIdentityType", message: fmt.Sprintf(
			"The identity type '%s' is invalid. Use one of 'None', 'SystemAssigned', 'UserAssigned' or 'SystemAssigned, UserAssigned'.", clip(in.Type))}
	}
	out := map[string]any{"type": typ}
	if strings.Contains(typ, "SystemAssigned") {
		var prev struct {
			PrincipalID string `json:"principalId"`
		}
		_ = json.Unmarshal(old, &prev)
		pid := prev.PrincipalID
		if pid == "" {
			pid = derivedGUID("system|" + strings.ToLower(resourceID))
		}
		out["principalId"] = pid
		out["tenantId"] = s.o.TenantID
	}
	if strings.Contains(typ, "UserAssigned") {
		if len(in.UAI) == 0 {
			return nil, badContent("'identity.userAssignedIdentities' must name at least one identity when the type is UserAssigned")
		}
		uai := map[string]any{}
		for k := range in.UAI {
			if !strings.HasPrefix(strings.ToLower(k), "/subscriptions/") || !strings.Contains(strings.ToLower(k), "/providers/microsoft.managedidentity/userassignedidentities/") {
				return nil, badContent(fmt.Sprintf("'%s' is not the resource id of a user-assigned identity", clip(k)))
			}
			cid, pid, ok := "", "", false
			if s.o.UserAssigned != nil {
				cid, pid, ok = s.o.UserAssigned(k)
			}
			if !ok {
				cid, pid = derivedGUID("client|"+strings.ToLower(k)), derivedGUID("principal|"+strings.ToLower(k))
			}
			uai[k] = map[string]string{"clientId": cid, "principalId": pid}
		}
		out["userAssignedIdentities"] = uai
	}
	return marshal(out), nil
}

// derivedGUID is a stable version-4-shaped GUID derived from seed, so an
// identity keeps its ids across restarts without storing them separately.
func derivedGUID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
