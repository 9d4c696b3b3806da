package keyvault

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestSecretValueNeverInLogsOrErrors drives every operation, and every
// error path a request body can reach, with a canary value; the value
// may appear only in the bodies of successful get and set responses.
func TestSecretValueNeverInLogsOrErrors(t *testing.T) {
	const canary = "CANARY-7f3e9a-do-not-log"
	e := newEnv(t)
	url := base + "/secrets/db-password"
	withValue := func(r resp) { // get/set success: the value belongs there
		if r.status != 200 || !strings.Contains(string(r.body), canary) {
			t.Errorf("get/set: %d %s", r.status, r.body)
		}
	}
	noValue := func(what string, r resp) {
		if strings.Contains(string(r.body), canary) || strings.Contains(fmt.Sprint(r.header), canary) {
			t.Errorf("%s: the value is in the response: %s", what, r.body)
		}
	}
	withValue(e.do("PUT", url+av, tokOwner, map[string]any{"value": canary}))
	withValue(e.do("GET", url+av, tokOwner, nil))

	bodies := []string{
		`{"value":"` + canary + `"`,                               // syntax error after the value
		`{"value":"` + canary + `","tags":5}`,                     // type error after the value
		`{"value":"` + canary + strings.Repeat("x", 25600) + `"}`, // too large
		`{"value":"` + canary + `","contentType":"` + strings.Repeat("c", 300) + `"}`,
		`{"value":"` + canary + `","tags":{"":"x"}}`,
		`{"value":"` + canary + `` + "\x00" + `"}`,
	}
	for i, b := range bodies {
		for _, tok := range []string{tokOwner, tokUser, tokReader, tokARM, tokBroken, ""} {
			r := e.do("PUT", url+av, tok, b)
			noValue(fmt.Sprintf("bad body %d token %q", i, tok), r)
			r = e.do("PATCH", url+"/"+av, tok, b)
			noValue(fmt.Sprintf("patch body %d token %q", i, tok), r)
		}
	}
	// Every metadata and error response of the secret.
	for _, c := range []struct{ method, path, tok string }{
		{"GET", "/secrets", tokOwner}, {"GET", "/secrets/db-password/versions", tokOwner},
		{"PATCH", "/secrets/db-password/", tokOwner}, {"GET", "/secrets/db-password", tokReader},
		{"GET", "/secrets/db-password", tokUser + "x"}, {"PUT", "/secrets/db-password", tokUser},
		{"DELETE", "/secrets/db-password", tokOwner}, {"GET", "/deletedsecrets", tokOwner},
		{"GET", "/deletedsecrets/db-password", tokOwner}, {"PUT", "/secrets/db-password", tokOwner},
		{"POST", "/deletedsecrets/db-password/recover", tokOwner},
	} {
		noValue(c.method+" "+c.path, e.do(c.method, base+c.path+av, c.tok, map[string]any{"value": canary}))
	}
	// Disabled: the refusal carries no value.
	e.do("PATCH", url+"/"+av, tokOwner, map[string]any{"attributes": map[string]any{"enabled": false}})
	noValue("disabled get", e.do("GET", url+av, tokOwner, nil))

	// A failing store.
	e.store.fail = true
	noValue("store failure", e.do("PUT", url+av, tokOwner, map[string]any{"value": canary + "2"}))
	e.store.fail = false

	if logs := e.logs.String(); strings.Contains(logs, canary) || !strings.Contains(logs, `"operation":"SetSecret"`) {
		t.Errorf("logs hold the value, or no request was logged:\n%s", logs)
	}
	// The in-memory record prints redacted, in fmt and slog alike.
	rec := e.h.store.get("kv1", "db-password", t0.Unix())
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("record", "rec", rec, "v", rec.latest().Value)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s %q", rec.Versions, rec.Versions, rec.Versions, rec.latest().Value, rec.latest().Value), sb.String()} {
		if strings.Contains(s, canary) {
			t.Errorf("formatting reveals the value: %s", s)
		}
	}
	// Sanity: the canary did reach the persisted record.
	if !strings.Contains(string(e.store.recs["kv1/db-password"]), canary) {
		t.Error("the canary never reached the store; the test proves nothing")
	}
}
