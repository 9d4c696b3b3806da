package keyvault

import (
	"net/http"
	"strconv"
)

func (h *Handler) fail(req *request, e kvError) { writeError(req.w, e) }

// storeFailed answers a Persister failure (the change was not made).
func (h *Handler) storeFailed(req *request) {
	h.fail(req, kvError{status: http.StatusInternalServerError, code: "InternalError",
		message: "The emulator could not store the change; see its log for the storage error."})
}

// setSecret: PUT /secrets/{name} creates a new version and makes it
// current; a soft-deleted name cannot be reused until recovered or purged.
func (h *Handler) setSecret(req *request) {
	name := req.name
	var in setIn
	if e := readJSON(req.r, &in, false); e != nil {
		h.fail(req, *e)
		return
	}
	if in.Value == nil {
		h.fail(req, badParameter("The request body must contain 'value' (a string)."))
		return
	}
	if len(*in.Value) > MaxValueBytes {
		h.fail(req, badParameter("The secret value is "+strconv.Itoa(len(*in.Value))+" bytes; Key Vault accepts at most "+strconv.Itoa(MaxValueBytes)+" bytes."))
		return
	}
	if e := checkMetadata(in.ContentType, in.Tags); e != nil {
		h.fail(req, *e)
		return
	}
	v := secretVersion{Version: newVersionID(), Value: secretValue(*in.Value), Tags: copyTags(in.Tags),
		Enabled: true, Created: req.now, Updated: req.now}
	if in.ContentType != nil {
		v.ContentType = *in.ContentType
	}
	applyAttributes(&v, in.Attributes)
	var out *secretRecord
	var refusal *kvError
	full := h.store.count(req.host.vault) >= h.maxSecrets
	err := h.store.update(req.host.vault, name, req.now, func(old *secretRecord) (*secretRecord, bool) {
		switch {
		case old == nil && full:
			refusal = &kvError{status: http.StatusForbidden, code: "Forbidden", inner: "EmulatorLimit",
				message: "The emulator keeps at most " + strconv.Itoa(h.maxSecrets) + " secrets per vault; delete and purge some first."}
			return nil, false
		case old == nil:
			out = &secretRecord{Name: name, Versions: []secretVersion{v}}
		case old.Deleted:
			refusal = &kvError{status: http.StatusConflict, code: "Conflict", inner: "ObjectIsDeletedButRecoverable",
				message: "Secret " + old.Name + " is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."}
			return nil, false
		case len(old.Versions) >= h.maxVersions:
			refusal = &kvError{status: http.StatusForbidden, code: "Forbidden", inner: "EmulatorLimit",
				message: "The emulator keeps at most " + strconv.Itoa(h.maxVersions) + " versions per secret; delete and purge the secret to start over."}
			return nil, false
		default:
			out = old.clone()
			out.Versions = append(out.Versions, v)
		}
		return out, true
	})
	if err != nil {
		h.storeFailed(req)
		return
	}
	if refusal != nil {
		h.fail(req, *refusal)
		return
	}
	writeJSON(req.w, http.StatusOK, req.bundle(out, out.latest(), true, true))
}

// getSecret: GET /secrets/{name}[/{version}] returns the value, unless
// the version is disabled. nbf and exp are informational: Key Vault's get
// works outside that window (Learn "about secrets", date-time controlled
// operations).
func (h *Handler) getSecret(req *request) {
	rec, v, ok := h.findVersion(req)
	if !ok {
		return
	}
	if !v.Enabled {
		h.fail(req, kvError{status: http.StatusForbidden, code: "Forbidden", inner: "SecretDisabled",
			message: "Operation get is not allowed on a disabled secret."})
		return
	}
	writeJSON(req.w, http.StatusOK, req.bundle(rec, v, true, true))
}

// findVersion resolves the live secret and version of the route; on
// failure it has answered 404.
func (h *Handler) findVersion(req *request) (*secretRecord, *secretVersion, bool) {
	name, version := req.name, req.version
	rec := h.store.get(req.host.vault, name, req.now)
	if rec == nil || rec.Deleted {
		h.fail(req, secretNotFound(name))
		return nil, nil, false
	}
	if version == "" {
		return rec, rec.latest(), true
	}
	v, ok := rec.version(version)
	if !ok {
		h.fail(req, secretNotFound(name+"/"+version))
		return nil, nil, false
	}
	return rec, v, true
}

// updateSecret: PATCH /secrets/{name}/{version} changes contentType,
// attributes and tags (tags replaced whole when given); the value cannot
// change. The response has no value (unverified).
func (h *Handler) updateSecret(req *request) {
	name, version := req.name, req.version
	var in updateIn
	if e := readJSON(req.r, &in, true); e != nil {
		h.fail(req, *e)
		return
	}
	if e := checkMetadata(in.ContentType, in.Tags); e != nil {
		h.fail(req, *e)
		return
	}
	var out *secretRecord
	var idx int
	var refusal *kvError
	err := h.store.update(req.host.vault, name, req.now, func(old *secretRecord) (*secretRecord, bool) {
		if old == nil || old.Deleted {
			e := secretNotFound(name)
			refusal = &e
			return nil, false
		}
		idx = len(old.Versions) - 1
		if version != "" {
			found := false
			for i := range old.Versions {
				if equalFoldASCII(old.Versions[i].Version, version) {
					idx, found = i, true
				}
			}
			if !found {
				e := secretNotFound(name + "/" + version)
				refusal = &e
				return nil, false
			}
		}
		out = old.clone()
		v := &out.Versions[idx]
		if in.ContentType != nil {
			v.ContentType = *in.ContentType
		}
		if in.Tags != nil {
			v.Tags = copyTags(in.Tags)
		}
		applyAttributes(v, in.Attributes)
		v.Updated = req.now
		return out, true
	})
	if err != nil {
		h.storeFailed(req)
		return
	}
	if refusal != nil {
		h.fail(req, *refusal)
		return
	}
	writeJSON(req.w, http.StatusOK, req.bundle(out, &out.Versions[idx], false, true))
}

// deleteSecret: DELETE /secrets/{name} soft-deletes every version; the
// emulator completes at once (Key Vault may answer ObjectIsBeingDeleted
// for a moment; the SDK pollers cope with both).
func (h *Handler) deleteSecret(req *request) {
	name := req.name
	var out *secretRecord
	err := h.store.update(req.host.vault, name, req.now, func(old *secretRecord) (*secretRecord, bool) {
		if old == nil || old.Deleted {
			return nil, false
		}
		out = old.clone()
		out.Deleted = true
		out.DeletedDate = req.now
		out.ScheduledPurgeDate = req.now + int64(req.vault.retentionDays())*secondsPerDay
		return out, true
	})
	if err != nil {
		h.storeFailed(req)
		return
	}
	if out == nil {
		h.fail(req, secretNotFound(name))
		return
	}
	writeJSON(req.w, http.StatusOK, req.bundle(out, out.latest(), false, true))
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
