package keyvault

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var versionedID = regexp.MustCompile(`^https://kv1\.vault\.azure\.net/secrets/db-password/[0-9a-f]{32}$`)

func TestSetGetVersions(t *testing.T) {
	e := newEnv(t)
	first := e.set(base+"/secrets/db-password"+av, "s3cr3t")
	id1, _ := first["id"].(string)
	if !versionedID.MatchString(id1) {
		t.Fatalf("id %q", id1)
	}
	if first["value"] != "s3cr3t" {
		t.Errorf("set response value %v", first["value"])
	}
	attrs := first["attributes"].(map[string]any)
	if attrs["enabled"] != true || attrs["created"] != float64(t0.Unix()) || attrs["updated"] != float64(t0.Unix()) ||
		attrs["recoveryLevel"] != "Recoverable+Purgeable" || attrs["recoverableDays"] != float64(90) {
		t.Errorf("attributes %v", attrs)
	}
	if tags, ok := first["tags"].(map[string]any); !ok || len(tags) != 0 {
		t.Errorf("tags %v, want {}", first["tags"])
	}

	e.clock.Advance(time.Minute)
	second := e.set(base+"/secrets/db-password"+av, "n3w")
	id2 := second["id"].(string)
	if id2 == id1 || !versionedID.MatchString(id2) {
		t.Fatalf("second id %q (first %q)", id2, id1)
	}
	v1 := id1[strings.LastIndex(id1, "/")+1:]

	for _, c := range []struct{ path, want, wantID string }{
		{"/secrets/db-password", "n3w", id2},
		{"/secrets/db-password/", "n3w", id2}, // Go sends the slash for the latest
		{"/secrets/DB-PASSWORD", "n3w", id2},  // names are case-insensitive
		{"/secrets/db-password/" + v1, "s3cr3t", id1},
		{"/secrets/db-password/" + strings.ToUpper(v1), "s3cr3t", id1},
	} {
		r := e.do("GET", base+c.path+av, tokOwner, nil)
		mustStatus(t, r, 200)
		b := r.json(t)
		if b["value"] != c.want || b["id"] != c.wantID {
			t.Errorf("GET %s: value %v id %v", c.path, b["value"], b["id"])
		}
	}
	r := e.do("GET", base+"/secrets/db-password/0123456789abcdef0123456789abcdef"+av, tokOwner, nil)
	mustStatus(t, r, 404)
	if code, _ := r.errCode(t); code != "SecretNotFound" {
		t.Errorf("code %q", code)
	}
	r = e.do("GET", base+"/secrets/nope"+av, tokOwner, nil)
	mustStatus(t, r, 404)
	if msg := r.errMessage(t); !strings.HasPrefix(msg, "A secret with (name/id) nope was not found in this key vault.") {
		t.Errorf("message %q", msg)
	}
}

func TestNameKeepsFirstCase(t *testing.T) {
	e := newEnv(t)
	e.set(base+"/secrets/DB-Password"+av, "a")
	b := e.set(base+"/secrets/db-password"+av, "b")
	if id := b["id"].(string); !strings.HasPrefix(id, base+"/secrets/DB-Password/") {
		t.Errorf("id %q", id)
	}
}

func TestSetWithMetadata(t *testing.T) {
	e := newEnv(t)
	r := e.do("PUT", base+"/secrets/db-password"+av, tokOwner,
		`{"value":"n3w","contentType":"text/plain","tags":{"env":"prod"},"attributes":{"enabled":true,"nbf":1767000000,"exp":1800000000,"created":1}}`)
	mustStatus(t, r, 200)
	b := r.json(t)
	a := b["attributes"].(map[string]any)
	if b["contentType"] != "text/plain" || b["tags"].(map[string]any)["env"] != "prod" ||
		a["nbf"] != float64(1767000000) || a["exp"] != float64(1800000000) || a["created"] != float64(t0.Unix()) {
		t.Errorf("bundle %s", r.body)
	}
}

func TestUpdateAttributes(t *testing.T) {
	e := newEnv(t)
	b := e.set(base+"/secrets/db-password"+av, "s3cr3t")
	v1 := b["id"].(string)[len(base+"/secrets/db-password/"):]
	e.clock.Advance(time.Hour)

	r := e.do("PATCH", base+"/secrets/db-password/"+v1+av, tokOwner,
		map[string]any{"contentType": "text/x", "tags": map[string]string{"a": "1"}, "attributes": map[string]any{"enabled": false, "exp": 1700000000}, "value": "ignored"})
	mustStatus(t, r, 200)
	u := r.json(t)
	if _, has := u["value"]; has {
		t.Error("PATCH response carries the value")
	}
	a := u["attributes"].(map[string]any)
	if u["contentType"] != "text/x" || a["enabled"] != false || a["exp"] != float64(1700000000) ||
		a["updated"] != float64(t0.Add(time.Hour).Unix()) || a["created"] != float64(t0.Unix()) {
		t.Errorf("updated bundle %s", r.body)
	}

	// Disabled: listed, but its value is refused.
	r = e.do("GET", base+"/secrets/db-password"+av, tokOwner, nil)
	mustStatus(t, r, 403)
	if code, inner := r.errCode(t); code != "Forbidden" || inner != "SecretDisabled" || r.errMessage(t) != "Operation get is not allowed on a disabled secret." {
		t.Errorf("disabled get: %s", r.body)
	}
	r = e.do("GET", base+"/secrets"+av, tokOwner, nil)
	mustStatus(t, r, 200)
	if items := r.json(t)["value"].([]any); len(items) != 1 {
		t.Errorf("list %s", r.body)
	}

	// Re-enabled and expired (exp in the past), then not yet valid:
	// Key Vault's get still works outside the nbf/exp window.
	mustStatus(t, e.do("PATCH", base+"/secrets/db-password/"+av, tokOwner, map[string]any{"attributes": map[string]any{"enabled": true}}), 200)
	r = e.do("GET", base+"/secrets/db-password"+av, tokOwner, nil)
	mustStatus(t, r, 200)
	mustStatus(t, e.do("PATCH", base+"/secrets/db-password"+av, tokOwner, map[string]any{"attributes": map[string]any{"nbf": 4000000000}}), 200)
	mustStatus(t, e.do("GET", base+"/secrets/db-password"+av, tokOwner, nil), 200)

	// An empty PATCH body changes nothing but the updated time.
	mustStatus(t, e.do("PATCH", base+"/secrets/db-password/"+av, tokOwner, nil), 200)
	// Unknown version and unknown secret.
	mustStatus(t, e.do("PATCH", base+"/secrets/db-password/0123456789abcdef0123456789abcdef"+av, tokOwner, "{}"), 404)
	mustStatus(t, e.do("PATCH", base+"/secrets/other/"+av, tokOwner, "{}"), 404)
}

func TestListPaging(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"c", "A", "b"} {
		e.set(base+"/secrets/"+n+av, "v-"+n)
	}
	r := e.do("GET", base+"/secrets?maxresults=2&api-version=2026-04-01", tokOwner, nil)
	mustStatus(t, r, 200)
	p := r.json(t)
	items := p["value"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["id"] != base+"/secrets/A" || items[1].(map[string]any)["id"] != base+"/secrets/b" {
		t.Fatalf("page 1 %s", r.body)
	}
	if _, has := items[0].(map[string]any)["value"]; has {
		t.Error("list items carry values")
	}
	next, _ := p["nextLink"].(string)
	if !strings.HasPrefix(next, base+"/secrets?") || !strings.Contains(next, "api-version=2026-04-01") || !strings.Contains(next, "maxresults=2") {
		t.Fatalf("nextLink %q", next)
	}
	// Followed verbatim, as Go azsecrets does.
	r = e.do("GET", next, tokOwner, nil)
	mustStatus(t, r, 200)
	p = r.json(t)
	items = p["value"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != base+"/secrets/c" {
		t.Fatalf("page 2 %s", r.body)
	}
	if v, present := p["nextLink"]; !present || v != nil {
		t.Errorf("last page nextLink %v (present %v), want null", v, present)
	}
	// Default page size 25.
	r = e.do("GET", base+"/secrets"+av, tokOwner, nil)
	if items := r.json(t)["value"].([]any); len(items) != 3 {
		t.Errorf("default page %d items", len(items))
	}
	for _, q := range []string{"maxresults=0", "maxresults=26", "maxresults=x", "$skiptoken=!!"} {
		r := e.do("GET", base+"/secrets?"+q+"&api-version=7.5", tokOwner, nil)
		mustStatus(t, r, 400)
		if code, _ := r.errCode(t); code != "BadParameter" {
			t.Errorf("%s: code %q", q, code)
		}
	}
}

func TestListVersionsPaging(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, e.set(base+"/secrets/db-password"+av, "v")["id"].(string))
	}
	var got []string
	next := base + "/secrets/db-password/versions?maxresults=2&api-version=7.6"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		r := e.do("GET", next, tokOwner, nil)
		mustStatus(t, r, 200)
		p := r.json(t)
		for _, it := range p["value"].([]any) {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		next, _ = p["nextLink"].(string)
		if next != "" && !strings.Contains(next, "api-version=7.6") {
			t.Errorf("nextLink %q lost the api-version", next)
		}
	}
	if strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Errorf("versions %v\nwant %v", got, ids)
	}
	mustStatus(t, e.do("GET", base+"/secrets/nope/versions"+av, tokOwner, nil), 404)
}

func TestSoftDeleteRecoverPurge(t *testing.T) {
	e := newEnv(t)
	e.set(base+"/secrets/db-password"+av, "s3cr3t")
	e.clock.Advance(time.Hour)
	deletedAt := t0.Add(time.Hour).Unix()

	r := e.do("DELETE", base+"/secrets/db-password"+av, tokOwner, nil)
	mustStatus(t, r, 200)
	d := r.json(t)
	if d["recoveryId"] != base+"/deletedsecrets/db-password" || d["deletedDate"] != float64(deletedAt) ||
		d["scheduledPurgeDate"] != float64(deletedAt+90*86400) || !versionedID.MatchString(d["id"].(string)) {
		t.Errorf("delete response %s", r.body)
	}
	if _, has := d["value"]; has {
		t.Error("delete response carries the value")
	}
	mustStatus(t, e.do("GET", base+"/secrets/db-password"+av, tokOwner, nil), 404)
	mustStatus(t, e.do("DELETE", base+"/secrets/db-password"+av, tokOwner, nil), 404)
	if items := e.do("GET", base+"/secrets"+av, tokOwner, nil).json(t)["value"].([]any); len(items) != 0 {
		t.Errorf("deleted secret listed")
	}

	r = e.do("PUT", base+"/secrets/db-password"+av, tokOwner, map[string]any{"value": "again"})
	mustStatus(t, r, 409)
	if code, inner := r.errCode(t); code != "Conflict" || inner != "ObjectIsDeletedButRecoverable" ||
		r.errMessage(t) != "Secret db-password is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged." {
		t.Errorf("reuse: %s", r.body)
	}

	r = e.do("GET", base+"/deletedsecrets"+av, tokOwner, nil)
	mustStatus(t, r, 200)
	items := r.json(t)["value"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != base+"/secrets/db-password" || items[0].(map[string]any)["recoveryId"] != base+"/deletedsecrets/db-password" {
		t.Errorf("deleted list %s", r.body)
	}
	mustStatus(t, e.do("GET", base+"/deletedsecrets/db-password"+av, tokOwner, nil), 200)

	r = e.do("POST", base+"/deletedsecrets/db-password/recover"+av, tokOwner, nil)
	mustStatus(t, r, 200)
	if _, has := r.json(t)["recoveryId"]; has {
		t.Errorf("recovered bundle still deleted: %s", r.body)
	}
	r = e.do("GET", base+"/secrets/db-password"+av, tokOwner, nil)
	mustStatus(t, r, 200)
	if r.json(t)["value"] != "s3cr3t" {
		t.Error("recovered value lost")
	}
	mustStatus(t, e.do("GET", base+"/deletedsecrets/db-password"+av, tokOwner, nil), 404)
	mustStatus(t, e.do("POST", base+"/deletedsecrets/db-password/recover"+av, tokOwner, nil), 404)

	// Delete and purge; the name is free again, with its new case.
	mustStatus(t, e.do("DELETE", base+"/secrets/db-password"+av, tokOwner, nil), 200)
	r = e.do("DELETE", base+"/deletedsecrets/db-password"+av, tokOwner, nil)
	mustStatus(t, r, 204)
	if len(r.body) != 0 {
		t.Errorf("204 with a body %q", r.body)
	}
	r = e.do("GET", base+"/deletedsecrets/db-password"+av, tokOwner, nil)
	mustStatus(t, r, 404)
	if code, _ := r.errCode(t); code != "SecretNotFound" {
		t.Errorf("code %q", code)
	}
	mustStatus(t, e.do("DELETE", base+"/deletedsecrets/db-password"+av, tokOwner, nil), 404)
	if id := e.set(base+"/secrets/DB-password"+av, "fresh")["id"].(string); !strings.HasPrefix(id, base+"/secrets/DB-password/") {
		t.Errorf("id after purge %q", id)
	}
	if len(e.store.recs) != 1 {
		t.Errorf("persisted records %d, want 1", len(e.store.recs))
	}
}

func TestDeletedSecretPurgedAfterRetention(t *testing.T) {
	e := newEnv(t)
	lock := "https://kvlock.vault.azure.net"
	e.set(lock+"/secrets/s"+av, "v")
	r := e.do("DELETE", lock+"/secrets/s"+av, tokOwner, nil)
	mustStatus(t, r, 200)
	if d := r.json(t); d["scheduledPurgeDate"] != float64(t0.Unix()+7*86400) || d["attributes"].(map[string]any)["recoveryLevel"] != "Recoverable" {
		t.Errorf("delete on a 7-day purge-protected vault: %s", r.body)
	}
	// Purge protection refuses the purge.
	r = e.do("DELETE", lock+"/deletedsecrets/s"+av, tokOwner, nil)
	mustStatus(t, r, 403)
	if _, inner := r.errCode(t); inner != "PurgeProtectionEnabled" {
		t.Errorf("inner %q", inner)
	}
	e.clock.Advance(7*24*time.Hour - time.Second)
	mustStatus(t, e.do("GET", lock+"/deletedsecrets/s"+av, tokOwner, nil), 200)
	e.clock.Advance(time.Second)
	mustStatus(t, e.do("GET", lock+"/deletedsecrets/s"+av, tokOwner, nil), 404)
	if items := e.do("GET", lock+"/deletedsecrets"+av, tokOwner, nil).json(t)["value"].([]any); len(items) != 0 {
		t.Error("purged secret listed")
	}
	// The name is free and the stale record is gone from the store.
	e.set(lock+"/secrets/s"+av, "w")
	if len(e.store.recs) != 1 {
		t.Errorf("records %d", len(e.store.recs))
	}
}
