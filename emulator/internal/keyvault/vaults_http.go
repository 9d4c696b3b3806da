package keyvault

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/apiversion"
)

// Control-plane actions checked on the vault routes.
const (
	actionVaultRead         = "Microsoft.KeyVault/vaults/read"
	actionVaultWrite        = "Microsoft.KeyVault/vaults/write"
	actionVaultDelete       = "Microsoft.KeyVault/vaults/delete"
	actionAccessPolicyWrite = "Microsoft.KeyVault/vaults/accessPolicies/write"
	actionDeletedRead       = "Microsoft.KeyVault/deletedVaults/read"
	actionPurge             = "Microsoft.KeyVault/locations/deletedVaults/purge/action"
	actionCheckName         = "Microsoft.KeyVault/checkNameAvailability/read"
	vaultType               = "Microsoft.KeyVault/vaults"
)

// Handles reports whether an (escaped) ARM path belongs to this service:
// the vault types under a subscription's or group's
// providers/Microsoft.KeyVault. The namespace itself and its register and
// unregister actions are the provider's (resource manager discovery: the
// Azure CLI reads them before any vault request).
func Handles(escapedPath string) bool {
	segs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	switch {
	case len(segs) >= 4 && strings.EqualFold(segs[0], "subscriptions") && strings.EqualFold(segs[2], "providers"):
		return strings.EqualFold(segs[3], "Microsoft.KeyVault") && len(segs) >= 5 &&
			!(len(segs) == 5 && (strings.EqualFold(segs[4], "register") || strings.EqualFold(segs[4], "unregister")))
	case len(segs) >= 6 && strings.EqualFold(segs[0], "subscriptions") && strings.EqualFold(segs[2], "resourceGroups") && strings.EqualFold(segs[4], "providers"):
		return strings.EqualFold(segs[5], "Microsoft.KeyVault")
	}
	return false
}

type armError struct {
	status        int
	code, message string
}

func writeARMError(w http.ResponseWriter, e armError) {
	w.Header().Set("x-ms-error-code", e.code)
	writeJSON(w, e.status, map[string]any{"error": map[string]string{"code": e.code, "message": e.message}})
}

// vaultRoute is a parsed control-plane path.
type vaultRoute struct {
	kind     string // vault, vaults-group, vaults-sub, accesspolicy, deleted-list, deleted, purge, checkname
	sub, rg  string
	name     string
	location string
	policyOp string // add, replace, remove
}

func parseVaultRoute(path string) (vaultRoute, bool) {
	if !Handles(path) {
		return vaultRoute{}, false
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	eq := strings.EqualFold
	if len(segs) >= 8 && eq(segs[2], "resourceGroups") && eq(segs[6], "vaults") {
		rt := vaultRoute{sub: segs[1], rg: segs[3]}
		switch len(segs) {
		case 7:
			rt.kind = "vaults-group"
		case 8:
			rt.kind, rt.name = "vault", segs[7]
		case 10:
			if !eq(segs[8], "accessPolicies") {
				return vaultRoute{}, false
			}
			rt.kind, rt.name, rt.policyOp = "accesspolicy", segs[7], strings.ToLower(segs[9])
		default:
			return vaultRoute{}, false
		}
		return rt, true
	}
	if len(segs) == 7 && eq(segs[2], "resourceGroups") && eq(segs[6], "vaults") {
		return vaultRoute{kind: "vaults-group", sub: segs[1], rg: segs[3]}, true
	}
	if len(segs) >= 5 && eq(segs[2], "providers") {
		rt := vaultRoute{sub: segs[1]}
		switch {
		case len(segs) == 5 && eq(segs[4], "vaults"):
			rt.kind = "vaults-sub"
		case len(segs) == 5 && eq(segs[4], "deletedVaults"):
			rt.kind = "deleted-list"
		case len(segs) == 5 && eq(segs[4], "checkNameAvailability"):
			rt.kind = "checkname"
		case len(segs) == 8 && eq(segs[4], "locations") && eq(segs[6], "deletedVaults"):
			rt.kind, rt.location, rt.name = "deleted", segs[5], segs[7]
		case len(segs) == 9 && eq(segs[4], "locations") && eq(segs[6], "deletedVaults") && eq(segs[8], "purge"):
			rt.kind, rt.location, rt.name = "purge", segs[5], segs[7]
		default:
			return vaultRoute{}, false
		}
		return rt, true
	}
	return vaultRoute{}, false
}

// allowedMethods per route kind.
var vaultMethods = map[string][]string{
	"vault": {"GET", "PUT", "PATCH", "DELETE"}, "vaults-group": {"GET"}, "vaults-sub": {"GET"},
	"accesspolicy": {"PUT"}, "deleted-list": {"GET"}, "deleted": {"GET"}, "purge": {"POST"}, "checkname": {"POST"},
}

// ServeHTTP serves a path Handles accepted.
func (s *VaultService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	caller, ok := s.o.Auth.Authenticate(w, r)
	if !ok {
		return
	}
	rt, ok := parseVaultRoute(r.URL.Path)
	if !ok {
		writeARMError(w, armError{http.StatusNotFound, "InvalidResourceType", "The resource type under Microsoft.KeyVault in '" + clip(r.URL.Path) + "' is not served by the emulator (it serves vaults, deletedVaults and checkNameAvailability)."})
		return
	}
	if !contains(vaultMethods[rt.kind], r.Method) {
		w.Header().Set("Allow", strings.Join(vaultMethods[rt.kind], ", "))
		writeARMError(w, armError{http.StatusMethodNotAllowed, "MethodNotAllowed", "The method '" + clip(r.Method) + "' is not allowed here; allowed: " + strings.Join(vaultMethods[rt.kind], ", ") + "."})
		return
	}
	res, refusal := s.o.Versions.Check(vaultType, r.URL.Query().Get("api-version"), "")
	if refusal != nil {
		writeARMError(w, armError{http.StatusBadRequest, refusal.Code, refusal.Message})
		return
	}
	req := &vaultReq{w: w, r: r, rt: rt, caller: caller, api: res, now: s.o.Now()}
	switch rt.kind {
	case "vault":
		switch r.Method {
		case "GET":
			s.getVault(req)
		case "PUT", "PATCH":
			s.putVault(req)
		case "DELETE":
			s.deleteVault(req)
		}
	case "vaults-group", "vaults-sub":
		s.listVaults(req)
	case "accesspolicy":
		s.updateAccessPolicies(req)
	case "deleted-list":
		s.listDeleted(req)
	case "deleted":
		s.getDeletedVault(req)
	case "purge":
		s.purgeVault(req)
	case "checkname":
		s.checkName(req)
	}
}

type vaultReq struct {
	w      http.ResponseWriter
	r      *http.Request
	rt     vaultRoute
	caller ARMCaller
	api    apiversion.Result
	now    time.Time
}

func (s *VaultService) authorize(req *vaultReq, action, scope string) bool {
	if s.o.Authz.Allowed(req.caller.ObjectID, action, scope) {
		return true
	}
	writeARMError(req.w, armError{http.StatusForbidden, "AuthorizationFailed",
		"The client '" + req.caller.ClientID + "' with object id '" + req.caller.ObjectID + "' does not have authorization to perform action '" + action +
			"' over scope '" + scope + "' or the scope is invalid. If access was recently granted, please refresh your credentials."})
	return false
}

func (rt vaultRoute) vaultID() string {
	return "/subscriptions/" + rt.sub + "/resourceGroups/" + rt.rg + "/providers/Microsoft.KeyVault/vaults/" + rt.name
}

func notFoundVault(rt vaultRoute) armError {
	return armError{http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.KeyVault/vaults/" + clip(rt.name) + "' under resource group '" + clip(rt.rg) + "' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"}
}

// liveVault finds the vault of the route (live, in its group), or nil.
func (s *VaultService) liveVault(rt vaultRoute) *vaultRecord {
	v := s.vaults[strings.ToLower(rt.name)]
	if v == nil || v.Deleted || !strings.EqualFold(v.Subscription, rt.sub) || !strings.EqualFold(v.Group, rt.rg) {
		return nil
	}
	return v
}

type vaultOut struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties vaultProperties   `json:"properties"`
}

// render is the vault as ARM shows it; vaultUri is computed now, since the
// emulator's port may have changed since the vault was created.
func (s *VaultService) render(v *vaultRecord) vaultOut {
	tags := v.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	p := v.Properties
	p.VaultURI = s.o.VaultURI(v.Name)
	if p.AccessPolicies == nil {
		p.AccessPolicies = []vaultAccessPolicy{}
	}
	return vaultOut{ID: v.id(), Name: v.Name, Type: vaultType, Location: v.Location, Tags: tags, Properties: p}
}

func (s *VaultService) getVault(req *vaultReq) {
	if !s.authorize(req, actionVaultRead, req.rt.vaultID()) {
		return
	}
	s.mu.Lock()
	s.expireLocked(req.now)
	v := s.liveVault(req.rt)
	s.mu.Unlock()
	if v == nil {
		writeARMError(req.w, notFoundVault(req.rt))
		return
	}
	writeJSON(req.w, http.StatusOK, s.render(v))
}

// vaultIn is a PUT or PATCH body.
type vaultIn struct {
	Location   *string           `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties *json.RawMessage  `json:"properties"`
}

func readVaultBody(r *http.Request) (vaultIn, *armError) {
	var in vaultIn
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 4<<20))
	if err != nil {
		return in, &armError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is larger than 4 MiB."}
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return in, &armError{http.StatusBadRequest, "InvalidRequestContent", "The request content is not valid JSON for a Microsoft.KeyVault/vaults resource."}
	}
	return in, nil
}

// atLeast reports whether version a (yyyy-mm-dd[-preview]) is b or newer.
func atLeast(a, b string) bool { return len(a) >= 10 && a[:10] >= b }

func (s *VaultService) putVault(req *vaultReq) {
	rt := req.rt
	if !validVaultName(rt.name) {
		writeARMError(req.w, armError{http.StatusBadRequest, "VaultNameNotValid", "The vault name '" + clip(rt.name) + "' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens."})
		return
	}
	if !s.authorize(req, actionVaultWrite, rt.vaultID()) {
		return
	}
	if !s.o.GroupExists(rt.sub, rt.rg) {
		writeARMError(req.w, armError{http.StatusNotFound, "ResourceGroupNotFound", "Resource group '" + clip(rt.rg) + "' could not be found."})
		return
	}
	in, e := readVaultBody(req.r)
	if e != nil {
		writeARMError(req.w, *e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(req.now)
	existing := s.vaults[strings.ToLower(rt.name)]
	patch := req.r.Method == http.MethodPatch
	var rec vaultRecord
	switch {
	case existing != nil && existing.Deleted:
		recover := false
		if in.Properties != nil {
			var cm struct {
				CreateMode string `json:"createMode"`
			}
			_ = json.Unmarshal(*in.Properties, &cm)
			recover = strings.EqualFold(cm.CreateMode, "recover")
		}
		if !recover || patch {
			writeARMError(req.w, armError{http.StatusConflict, "ConflictError", "A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault."})
			return
		}
		rec = *existing
		rec.Properties = existing.Properties.clone()
		rec.Subscription, rec.Group = rt.sub, rt.rg
		rec.Deleted, rec.DeletionDate, rec.ScheduledPurgeDate = false, time.Time{}, time.Time{}
		rec.Properties.CreateMode = ""
		if err := s.save(rt.name, &rec); err != nil {
			writeARMError(req.w, armError{http.StatusInternalServerError, "InternalServerError", "The emulator could not store the vault."})
			return
		}
		writeJSON(req.w, http.StatusOK, s.render(&rec))
		return
	case existing != nil && (!strings.EqualFold(existing.Subscription, rt.sub) || !strings.EqualFold(existing.Group, rt.rg)):
		writeARMError(req.w, armError{http.StatusConflict, "VaultAlreadyExists", "The vault name '" + rt.name + "' is already in use. Vault names are globally unique so it is possible that the name is already taken."})
		return
	case existing == nil && patch:
		writeARMError(req.w, notFoundVault(rt))
		return
	case existing == nil:
		if len(s.vaults) >= s.o.MaxVaults {
			writeARMError(req.w, armError{http.StatusConflict, "EmulatorLimit", "The emulator keeps at most " + strconv.Itoa(s.o.MaxVaults) + " vaults; delete and purge some first."})
			return
		}
		rec = vaultRecord{Subscription: rt.sub, Group: rt.rg, Name: rt.name}
	default:
		rec = *existing
		rec.Properties = existing.Properties.clone()
	}
	// Location: required on create; cannot change.
	switch {
	case in.Location != nil && existing != nil && !strings.EqualFold(*in.Location, existing.Location):
		writeARMError(req.w, armError{http.StatusBadRequest, "LocationNotAvailableForResourceType", "The location of vault '" + rt.name + "' is " + existing.Location + " and cannot be changed."})
		return
	case in.Location != nil:
		rec.Location = strings.ToLower(strings.ReplaceAll(*in.Location, " ", ""))
	case existing == nil:
		writeARMError(req.w, armError{http.StatusBadRequest, "LocationRequired", "The location property is required for this definition."})
		return
	}
	if in.Tags != nil || !patch {
		rec.Tags = in.Tags
	}
	old := rec.Properties.clone()
	if in.Properties == nil && (!patch || existing == nil) {
		writeARMError(req.w, armError{http.StatusBadRequest, "BadRequest", "The property 'properties' is required: tenantId and sku at least."})
		return
	}
	if in.Properties != nil {
		if !patch {
			rec.Properties = vaultProperties{}
		}
		if err := json.Unmarshal(*in.Properties, &rec.Properties); err != nil {
			writeARMError(req.w, armError{http.StatusBadRequest, "InvalidRequestContent", "The 'properties' of the vault have a wrong type."})
			return
		}
	}
	p := &rec.Properties
	if msg := p.validate(); msg != "" {
		writeARMError(req.w, armError{http.StatusBadRequest, "BadRequest", msg})
		return
	}
	if old.purgeProtected() && !p.purgeProtected() {
		writeARMError(req.w, armError{http.StatusBadRequest, "BadRequest", "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection for a vault is an irreversible action."})
		return
	}
	// Defaults: RBAC on for creates with 2026-02-01 or newer (Learn); an
	// update without the property keeps what the vault had.
	if p.EnableRbacAuthorization == nil {
		v := atLeast(req.api.BehavesAs, "2026-02-01")
		if old.EnableRbacAuthorization != nil {
			v = *old.EnableRbacAuthorization
		}
		p.EnableRbacAuthorization = &v
	}
	t := true
	p.EnableSoftDelete = &t
	if p.SoftDeleteRetentionInDays == nil {
		d := 90
		if old.SoftDeleteRetentionInDays != nil {
			d = *old.SoftDeleteRetentionInDays
		}
		p.SoftDeleteRetentionInDays = &d
	}
	if p.EnablePurgeProtection == nil && old.EnablePurgeProtection != nil {
		p.EnablePurgeProtection = old.EnablePurgeProtection
	}
	p.Sku.Family, p.Sku.Name = "A", strings.ToLower(p.Sku.Name)
	p.VaultURI = s.o.VaultURI(rec.Name)
	p.ProvisioningState = "Succeeded"
	p.CreateMode = ""
	if p.PublicNetworkAccess == "" {
		p.PublicNetworkAccess = "Enabled"
	}
	if err := s.save(rt.name, &rec); err != nil {
		writeARMError(req.w, armError{http.StatusInternalServerError, "InternalServerError", "The emulator could not store the vault."})
		return
	}
	status := http.StatusOK
	if existing == nil {
		status = http.StatusCreated
	}
	writeJSON(req.w, status, s.render(&rec))
}

func (s *VaultService) deleteVault(req *vaultReq) {
	if !s.authorize(req, actionVaultDelete, req.rt.vaultID()) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.liveVault(req.rt)
	if v == nil {
		req.w.WriteHeader(http.StatusNoContent)
		return
	}
	rec := *v
	rec.Deleted = true
	rec.DeletionDate = req.now.UTC().Truncate(time.Second)
	rec.ScheduledPurgeDate = rec.DeletionDate.AddDate(0, 0, rec.Properties.retention())
	if err := s.save(rec.Name, &rec); err != nil {
		writeARMError(req.w, armError{http.StatusInternalServerError, "InternalServerError", "The emulator could not store the vault."})
		return
	}
	s.removed(&rec)
	req.w.WriteHeader(http.StatusOK)
}

func (s *VaultService) listVaults(req *vaultReq) {
	if req.rt.kind == "vaults-group" {
		if !s.o.GroupExists(req.rt.sub, req.rt.rg) {
			writeARMError(req.w, armError{http.StatusNotFound, "ResourceGroupNotFound", "Resource group '" + clip(req.rt.rg) + "' could not be found."})
			return
		}
	}
	s.mu.Lock()
	s.expireLocked(req.now)
	vs := s.sortedVaults(func(v *vaultRecord) bool {
		return !v.Deleted && strings.EqualFold(v.Subscription, req.rt.sub) && (req.rt.kind == "vaults-sub" || strings.EqualFold(v.Group, req.rt.rg))
	})
	s.mu.Unlock()
	// As ARM: the list holds what the caller may read.
	out := []vaultOut{}
	for _, v := range vs {
		if s.o.Authz.Allowed(req.caller.ObjectID, actionVaultRead, v.id()) {
			out = append(out, s.render(v))
		}
	}
	writeJSON(req.w, http.StatusOK, map[string]any{"value": out})
}

type deletedVaultOut struct {
	ID         string              `json:"id"`
	Name       string              `json:"name"`
	Type       string              `json:"type"`
	Properties deletedVaultDetails `json:"properties"`
}

type deletedVaultDetails struct {
	VaultID                string            `json:"vaultId"`
	Location               string            `json:"location"`
	DeletionDate           string            `json:"deletionDate"`
	ScheduledPurgeDate     string            `json:"scheduledPurgeDate"`
	Tags                   map[string]string `json:"tags"`
	PurgeProtectionEnabled bool              `json:"purgeProtectionEnabled"`
}

func renderDeleted(v *vaultRecord) deletedVaultOut {
	tags := v.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return deletedVaultOut{
		ID:   "/subscriptions/" + v.Subscription + "/providers/Microsoft.KeyVault/locations/" + v.Location + "/deletedVaults/" + v.Name,
		Name: v.Name, Type: "Microsoft.KeyVault/deletedVaults",
		Properties: deletedVaultDetails{VaultID: v.id(), Location: v.Location, Tags: tags, PurgeProtectionEnabled: v.Properties.purgeProtected(),
			DeletionDate: v.DeletionDate.UTC().Format(time.RFC3339), ScheduledPurgeDate: v.ScheduledPurgeDate.UTC().Format(time.RFC3339)},
	}
}

func (s *VaultService) listDeleted(req *vaultReq) {
	if !s.authorize(req, actionDeletedRead, "/subscriptions/"+req.rt.sub) {
		return
	}
	s.mu.Lock()
	s.expireLocked(req.now)
	vs := s.sortedVaults(func(v *vaultRecord) bool { return v.Deleted && strings.EqualFold(v.Subscription, req.rt.sub) })
	s.mu.Unlock()
	out := []deletedVaultOut{}
	for _, v := range vs {
		out = append(out, renderDeleted(v))
	}
	writeJSON(req.w, http.StatusOK, map[string]any{"value": out})
}

// deletedVault finds the deleted vault of the route, or answers 404.
func (s *VaultService) deletedVault(req *vaultReq) *vaultRecord {
	v := s.vaults[strings.ToLower(req.rt.name)]
	if v == nil || !v.Deleted || !strings.EqualFold(v.Subscription, req.rt.sub) || !strings.EqualFold(v.Location, req.rt.location) {
		writeARMError(req.w, armError{http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.KeyVault/deletedVaults/" + clip(req.rt.name) + "' under location '" + clip(req.rt.location) + "' was not found."})
		return nil
	}
	return v
}

func (s *VaultService) getDeletedVault(req *vaultReq) {
	if !s.authorize(req, actionDeletedRead, "/subscriptions/"+req.rt.sub) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(req.now)
	if v := s.deletedVault(req); v != nil {
		writeJSON(req.w, http.StatusOK, renderDeleted(v))
	}
}

func (s *VaultService) purgeVault(req *vaultReq) {
	if !s.authorize(req, actionPurge, "/subscriptions/"+req.rt.sub) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(req.now)
	v := s.deletedVault(req)
	if v == nil {
		return
	}
	if v.Properties.purgeProtected() {
		writeARMError(req.w, armError{http.StatusConflict, "Conflict", "The vault '" + v.Name + "' has purge protection enabled; it is purged automatically on " + v.ScheduledPurgeDate.UTC().Format(time.RFC3339) + "."})
		return
	}
	if err := s.purgeLocked(v); err != nil {
		writeARMError(req.w, armError{http.StatusInternalServerError, "InternalServerError", "The emulator could not purge the vault."})
		return
	}
	s.removed(v)
	req.w.WriteHeader(http.StatusOK)
}

func (s *VaultService) checkName(req *vaultReq) {
	if !s.authorize(req, actionCheckName, "/subscriptions/"+req.rt.sub) {
		return
	}
	var in struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	b, _ := io.ReadAll(http.MaxBytesReader(nil, req.r.Body, 1<<16))
	if json.Unmarshal(b, &in) != nil || !strings.EqualFold(in.Type, vaultType) {
		writeARMError(req.w, armError{http.StatusBadRequest, "InvalidRequestContent", "The body must be {\"name\": NAME, \"type\": \"Microsoft.KeyVault/vaults\"}."})
		return
	}
	out := map[string]any{"nameAvailable": true}
	s.mu.Lock()
	s.expireLocked(req.now)
	v := s.vaults[strings.ToLower(in.Name)]
	s.mu.Unlock()
	switch {
	case !validVaultName(in.Name):
		out = map[string]any{"nameAvailable": false, "reason": "AccountNameInvalid", "message": "Vault name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens."}
	case v != nil:
		out = map[string]any{"nameAvailable": false, "reason": "AlreadyExists", "message": "The vault name '" + v.Name + "' is already in use."}
	}
	writeJSON(req.w, http.StatusOK, out)
}

// updateAccessPolicies: PUT …/vaults/{vault}/accessPolicies/{add|replace|remove}
// with {"properties":{"accessPolicies":[…]}}.
func (s *VaultService) updateAccessPolicies(req *vaultReq) {
	rt := req.rt
	if rt.policyOp != "add" && rt.policyOp != "replace" && rt.policyOp != "remove" {
		writeARMError(req.w, armError{http.StatusBadRequest, "BadRequest", "The access policy operation must be add, replace or remove."})
		return
	}
	if !s.authorize(req, actionAccessPolicyWrite, rt.vaultID()) {
		return
	}
	var in struct {
		Properties struct {
			AccessPolicies []vaultAccessPolicy `json:"accessPolicies"`
		} `json:"properties"`
	}
	b, _ := io.ReadAll(http.MaxBytesReader(nil, req.r.Body, 4<<20))
	if json.Unmarshal(b, &in) != nil {
		writeARMError(req.w, armError{http.StatusBadRequest, "InvalidRequestContent", "The body must be {\"properties\": {\"accessPolicies\": [...]}}."})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.liveVault(rt)
	if v == nil {
		writeARMError(req.w, notFoundVault(rt))
		return
	}
	rec := *v
	cur := append([]vaultAccessPolicy(nil), v.Properties.AccessPolicies...)
	same := func(a, b vaultAccessPolicy) bool {
		return strings.EqualFold(a.TenantID, b.TenantID) && strings.EqualFold(a.ObjectID, b.ObjectID) && strings.EqualFold(a.ApplicationID, b.ApplicationID)
	}
	switch rt.policyOp {
	case "replace":
		cur = in.Properties.AccessPolicies
	case "add":
		for _, np := range in.Properties.AccessPolicies {
			merged := false
			for i := range cur {
				if same(cur[i], np) {
					cur[i].Permissions.Secrets = unionFold(cur[i].Permissions.Secrets, np.Permissions.Secrets)
					cur[i].Permissions.Keys = unionFold(cur[i].Permissions.Keys, np.Permissions.Keys)
					cur[i].Permissions.Certificates = unionFold(cur[i].Permissions.Certificates, np.Permissions.Certificates)
					merged = true
				}
			}
			if !merged {
				cur = append(cur, np)
			}
		}
	case "remove":
		kept := cur[:0]
		for _, p := range cur {
			drop := false
			for _, rp := range in.Properties.AccessPolicies {
				drop = drop || same(p, rp)
			}
			if !drop {
				kept = append(kept, p)
			}
		}
		cur = kept
	}
	rec.Properties.AccessPolicies = cur
	if msg := rec.Properties.validate(); msg != "" {
		writeARMError(req.w, armError{http.StatusBadRequest, "BadRequest", msg})
		return
	}
	if err := s.save(rec.Name, &rec); err != nil {
		writeARMError(req.w, armError{http.StatusInternalServerError, "InternalServerError", "The emulator could not store the vault."})
		return
	}
	writeJSON(req.w, http.StatusOK, map[string]any{
		"id": rec.id() + "/accessPolicies/" + rt.policyOp, "type": "Microsoft.KeyVault/vaults/accessPolicies",
		"properties": map[string]any{"accessPolicies": cur}})
}

func unionFold(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		found := false
		for _, y := range out {
			found = found || strings.EqualFold(x, y)
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}
