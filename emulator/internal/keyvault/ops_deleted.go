package keyvault

import "net/http"

// listDeleted: GET /deletedsecrets, soft-deleted secrets not yet purged.
func (h *Handler) listDeleted(req *request) {
	size, cursor, e := pageParams(req)
	if e != nil {
		h.fail(req, *e)
		return
	}
	recs := h.store.list(req.host.vault, cursor, req.now, func(r *secretRecord) bool { return r.Deleted })
	writeJSON(req.w, http.StatusOK, listPage(req, "/deletedsecrets", recs, size, func(r *secretRecord) bundleOut {
		return req.bundle(r, r.latest(), false, false)
	}))
}

// getDeleted: GET /deletedsecrets/{name}, the latest version without value.
func (h *Handler) getDeleted(req *request) {
	rec := h.store.get(req.host.vault, req.name, req.now)
	if rec == nil || !rec.Deleted {
		h.fail(req, deletedSecretNotFound(req.name))
		return
	}
	writeJSON(req.w, http.StatusOK, req.bundle(rec, rec.latest(), false, true))
}

// purgeDeleted: DELETE /deletedsecrets/{name} → 204, unless the vault has
// purge protection (text unverified).
func (h *Handler) purgeDeleted(req *request) {
	if req.vault.PurgeProtection {
		if rec := h.store.get(req.host.vault, req.name, req.now); rec != nil && rec.Deleted {
			h.fail(req, kvError{status: http.StatusForbidden, code: "Forbidden", inner: "PurgeProtectionEnabled",
				message: "Operation 'purge' is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed."})
			return
		}
	}
	found := false
	err := h.store.update(req.host.vault, req.name, req.now, func(old *secretRecord) (*secretRecord, bool) {
		if old == nil || !old.Deleted {
			return nil, false
		}
		found = true
		return nil, true
	})
	if err != nil {
		h.storeFailed(req)
		return
	}
	if !found {
		h.fail(req, deletedSecretNotFound(req.name))
		return
	}
	req.w.WriteHeader(http.StatusNoContent)
}

// recoverDeleted: POST /deletedsecrets/{name}/recover restores every
// version; the response is the latest version without value (unverified).
func (h *Handler) recoverDeleted(req *request) {
	var out *secretRecord
	err := h.store.update(req.host.vault, req.name, req.now, func(old *secretRecord) (*secretRecord, bool) {
		if old == nil || !old.Deleted {
			return nil, false
		}
		out = old.clone()
		out.Deleted, out.DeletedDate, out.ScheduledPurgeDate = false, 0, 0
		return out, true
	})
	if err != nil {
		h.storeFailed(req)
		return
	}
	if out == nil {
		h.fail(req, deletedSecretNotFound(req.name))
		return
	}
	writeJSON(req.w, http.StatusOK, req.bundle(out, out.latest(), false, true))
}
