package broker

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

func tokenURL(base string, q url.Values) string { return base + TokenPath + "?" + q.Encode() }

// Requests the broker refuses never reach upstream and get IMDS-shaped
// errors.
func TestRejections(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{})
	hc := testenv.LoopbackOnlyClient(nil)
	ok := url.Values{"api-version": {"2018-02-01"}, "resource": {armResource}}
	with := func(kv ...string) url.Values {
		q := url.Values{}
		for k, v := range ok {
			q[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			q.Add(kv[i], kv[i+1])
		}
		return q
	}
	for _, tc := range []struct {
		name   string
		url    string
		header http.Header
		status int
		code   string
	}{
		{"no Metadata header", tokenURL(b.url, ok), http.Header{}, 400, "bad_request_102"},
		{"Metadata false", tokenURL(b.url, ok), http.Header{"Metadata": {"false"}}, 400, "bad_request_102"},
		{"X-Forwarded-For", tokenURL(b.url, ok), http.Header{"Metadata": {"true"}, "X-Forwarded-For": {"10.0.0.1"}}, 400, "bad_request"},
		{"empty X-Forwarded-For", tokenURL(b.url, ok), http.Header{"Metadata": {"true"}, "X-Forwarded-For": {""}}, 400, "bad_request"},
		{"Forwarded", tokenURL(b.url, ok), http.Header{"Metadata": {"true"}, "Forwarded": {"for=10.0.0.1"}}, 400, "bad_request"},
		{"loop", tokenURL(b.url, ok), http.Header{"Metadata": {"true"}, hopHeader: {"1"}}, 508, "loop_detected"},
		{"unknown path", b.url + "/metadata/instance/compute?api-version=2021-02-01", meta(), 404, "not_found"},
		{"no api-version", tokenURL(b.url, url.Values{"resource": {armResource}}), meta(), 400, "invalid_request"},
		{"old api-version", tokenURL(b.url, with("api-version", "2017-09-01")), meta(), 400, "invalid_request"},
		{"no resource", tokenURL(b.url, url.Values{"api-version": {"2018-02-01"}}), meta(), 400, "invalid_request"},
		{"two scopes", tokenURL(b.url, url.Values{"api-version": {"2018-02-01"}, "resource": {"a/.default b/.default"}}), meta(), 400, "invalid_request"},
		{"repeated resource", tokenURL(b.url, with("resource", vaultResource)), meta(), 400, "invalid_request"},
		{"two selectors", tokenURL(b.url, with("client_id", contributorID, "object_id", contributorOID)), meta(), 400, "invalid_request"},
		{"bad client_id", tokenURL(b.url, with("client_id", "not-a-guid")), meta(), 400, "invalid_request"},
		{"bad msi_res_id", tokenURL(b.url, with("msi_res_id", "/subscriptions/x")), meta(), 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, hc, tc.url, tc.header)
			if status != tc.status || body["error"] != tc.code || body["error_description"] == "" {
				t.Errorf("got %d %v, want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
	// Other methods.
	post, _ := http.NewRequest(http.MethodPost, tokenURL(b.url, ok), nil)
	post.Header.Set("Metadata", "true")
	resp, err := hc.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	// A non-loopback TCP peer (as a wildcard listener would see it).
	for _, addr := range []string{"10.1.2.3:5555", "[2001:db8::1]:80", "garbage"} {
		rr := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, tokenURL("", ok), nil)
		req.Header.Set("Metadata", "true")
		req.RemoteAddr = addr
		b.ServeHTTP(rr, req)
		var body errorBody
		_ = json.Unmarshal(rr.Body.Bytes(), &body)
		if rr.Code != 403 || body.Error != "forbidden" {
			t.Errorf("peer %s: %d %+v", addr, rr.Code, body)
		}
	}
	if n := emu.Stats().TokenRequests; n != 0 {
		t.Errorf("upstream saw %d requests, want 0", n)
	}
	if s := b.Stats(); s.Rejected != 19 || s.UpstreamRequests != 0 {
		t.Errorf("rejected %d (want 19), upstream %d", s.Rejected, s.UpstreamRequests)
	}
}

// A successful answer has IMDS's shape: strings for numbers, the resource
// and the selector echoed.
func TestResponseShape(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{})
	hc := testenv.LoopbackOnlyClient(nil)
	cfg := emu.Config()
	rid := cfg.Identities[1].ResourceID
	for _, tc := range []struct {
		sel, value, echo, appid string
	}{
		{"", "", "", systemClientID},
		{"client_id", contributorID, "client_id", contributorID},
		{"object_id", contributorOID, "object_id", contributorID},
		{"msi_res_id", rid, "msi_res_id", contributorID},
		{"mi_res_id", rid, "msi_res_id", contributorID},
	} {
		q := url.Values{"api-version": {"2019-08-01"}, "resource": {vaultResource}}
		if tc.sel != "" {
			q.Set(tc.sel, tc.value)
		}
		status, body := get(t, hc, tokenURL(b.url, q), meta())
		if status != 200 {
			t.Fatalf("%s: %d %v", tc.sel, status, body)
		}
		for _, k := range []string{"access_token", "expires_in", "expires_on", "ext_expires_in", "not_before", "resource", "token_type", "client_id"} {
			if _, isString := body[k].(string); !isString {
				t.Errorf("%s: %q is %T, want a string", tc.sel, k, body[k])
			}
		}
		if body["resource"] != vaultResource || body["token_type"] != "Bearer" || body["client_id"] != tc.appid {
			t.Errorf("%s: resource %v, token_type %v, client_id %v", tc.sel, body["resource"], body["token_type"], body["client_id"])
		}
		if tc.echo != "" && tc.echo != "client_id" && body[tc.echo] != tc.value {
			t.Errorf("%s: %s = %v, want it echoed", tc.sel, tc.echo, body[tc.echo])
		}
		c, err := identity.ParseClaims(body["access_token"].(string))
		if err != nil || c.AppID != tc.appid {
			t.Errorf("%s: token appid %q (%v)", tc.sel, c.AppID, err)
		}
	}
	// Five forms, but resource ID forms share one credential: 4 identities
	// keys (system, client, object, resource) → 4 upstream requests.
	if s := b.Stats(); s.UpstreamRequests != 4 || s.Identities != 4 {
		t.Errorf("upstream %d, identities %d; want 4, 4", s.UpstreamRequests, s.Identities)
	}
}

// --allow-identity: listed identities are served, others get 403 without
// an upstream request.
func TestAllowIdentities(t *testing.T) {
	emu := startEmulator(t, emulator.Options{})
	b := startBroker(t, emu.IMDSEndpoint(), Options{AllowIdentities: []string{"system", strings.ToUpper(contributorID)}})
	ctx := context.Background()
	for _, id := range []identity.ID{{}, identity.ClientID(contributorID)} {
		if _, err := client(t, b.url, id).Token(ctx, armResource); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	for _, id := range []identity.ID{identity.ClientID(readerID), identity.ObjectID(contributorOID)} {
		_, err := client(t, b.url, id).Token(ctx, armResource)
		var ae *identity.AuthError
		if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.Code != "forbidden" || !strings.Contains(ae.Description, "allow-identity") {
			t.Errorf("%s: %v, want 403 forbidden", id, err)
		}
	}
	if n := emu.Stats().TokenRequests; n != 2 {
		t.Errorf("upstream saw %d requests, want 2", n)
	}
	if _, err := New(Options{AllowIdentities: []string{"someone"}}); err == nil || !strings.Contains(err.Error(), "someone") {
		t.Errorf("bad allow entry: %v", err)
	}
}

func TestValidAPIVersion(t *testing.T) {
	for v, want := range map[string]bool{
		"2018-02-01": true, "2019-08-01": true, "2021-12-13-preview": true,
		"": false, "2017-12-01": false, "2018-02": false, "2018-02-01x": false, "latest": false, "2018-13-01": false,
	} {
		if got := validAPIVersion(v); got != want {
			t.Errorf("validAPIVersion(%q) = %v", v, got)
		}
	}
}
