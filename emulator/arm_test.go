package emulator

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/arm"
	"github.com/azmsi/azmsi/emulator/internal/config"
)

func TestARMAuthentication(t *testing.T) {
	e := startARM(t, Options{})
	good := e.token("vm-system")
	path := "/subscriptions?api-version=" + subV
	cases := []struct {
		name, auth, code, challenge string
	}{
		{"missing", "", "AuthenticationFailed", "The authentication failed because of missing 'Authorization' header."},
		{"basic scheme", "Basic " + good, "AuthenticationFailedInvalidHeader", "The authentication failed because of invalid 'Authorization' header."},
		{"no token", "Bearer", "AuthenticationFailedInvalidHeader", ""},
		{"garbage", "Bearer not-a-jwt", "InvalidAuthenticationToken", ""},
		{"bad signature", "Bearer " + good[:len(good)-4] + "AAAA", "InvalidAuthenticationToken", ""},
		{"wrong audience", "Bearer " + e.tokenFor("vm-system", "https://vault.azure.net"), "InvalidAuthenticationTokenAudience", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r armResp
			if c.auth == "" {
				r = e.do("GET", path, "", "")
			} else {
				r = e.do("GET", path, "", "", "Authorization", c.auth)
			}
			expect(t, r, 401, c.code)
			ch := r.header.Get("WWW-Authenticate")
			if !strings.HasPrefix(ch, `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="`) {
				t.Errorf("WWW-Authenticate = %q", ch)
			}
			if c.challenge != "" && !strings.Contains(ch, c.challenge) {
				t.Errorf("WWW-Authenticate = %q, want description %q", ch, c.challenge)
			}
			if strings.Contains(string(r.body), good[20:60]) {
				t.Errorf("response echoes the token: %s", r.body)
			}
		})
	}
	if r := e.do("GET", path, "", ""); r.errMessage() != "Authentication failed. The 'Authorization' header is missing." {
		t.Errorf("message %q", r.errMessage())
	}
	t.Run("expired", func(t *testing.T) {
		tok := e.token("vm-system")
		e.clk.Advance(25 * time.Hour)
		expect(t, e.do("GET", path, tok, ""), 401, "ExpiredAuthenticationToken")
	})
}

func TestARMCommonHeaders(t *testing.T) {
	e := startARM(t, Options{})
	tok := e.token("vm-system")
	r := e.do("GET", "/subscriptions?api-version="+subV, tok, "")
	expect(t, r, 200, "")
	want := map[string]string{
		"Cache-Control":             "no-cache",
		"Pragma":                    "no-cache",
		"Expires":                   "-1",
		"Content-Type":              "application/json; charset=utf-8",
		"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
		"X-Content-Type-Options":    "nosniff",
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	id := r.header.Get("x-ms-request-id")
	if !config.GUID.MatchString(id) || r.header.Get("x-ms-correlation-request-id") != id {
		t.Errorf("request id %q, correlation %q", id, r.header.Get("x-ms-correlation-request-id"))
	}
	if rr := r.header.Get("x-ms-routing-request-id"); !strings.HasSuffix(rr, ":"+id) || !strings.HasPrefix(rr, "EMULATOR:20251126T120000Z:") {
		t.Errorf("routing id %q", rr)
	}
	if r.header.Get("x-ms-ratelimit-remaining-subscription-reads") == "" {
		t.Error("no reads rate-limit header on GET")
	}
	r2 := e.do("GET", "/subscriptions?api-version="+subV, tok, "", "x-ms-correlation-request-id", "11111111-2222-3333-4444-555555555555")
	if got := r2.header.Get("x-ms-correlation-request-id"); got != "11111111-2222-3333-4444-555555555555" {
		t.Errorf("correlation id not echoed: %q", got)
	}
	if r2.header.Get("x-ms-request-id") == id {
		t.Error("request id repeated")
	}
	w := e.do("PUT", groupPath(sub1, "hdr"), tok, `{"location":"eastus"}`)
	expect(t, w, 201, "")
	if w.header.Get("x-ms-ratelimit-remaining-subscription-writes") == "" {
		t.Error("no writes rate-limit header on PUT")
	}
	d := e.do("DELETE", groupPath(sub1, "hdr"), tok, "")
	expect(t, d, 202, "")
	if d.header.Get("x-ms-ratelimit-remaining-subscription-deletes") == "" {
		t.Error("no deletes rate-limit header on DELETE")
	}
}

func TestARMRoutingAndAPIVersions(t *testing.T) {
	e := startARM(t, Options{})
	tok := e.token("vm-system")
	cases := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"no api-version", "GET", "/subscriptions", 400, "MissingApiVersionParameter"},
		{"malformed api-version", "GET", "/subscriptions?api-version=latest", 400, "InvalidApiVersionParameter"},
		{"api-version older than the oldest", "GET", "/subscriptions?api-version=2015-01-01", 400, "InvalidApiVersionParameter"},
		{"newer api-version served as the newest", "GET", "/subscriptions?api-version=2099-01-01", 200, ""},
		{"groups at 2025-04-01 (armresources/v3, @azure/arm-resources 8)", "GET", "/subscriptions/" + sub1 + "/resourcegroups?api-version=2025-04-01", 200, ""},
		{"group at 2025-04-01", "GET", "/subscriptions/" + sub1 + "/resourcegroups/rg-web?api-version=2025-04-01", 200, ""},
		{"unknown route", "GET", "/nothing/here?api-version=" + rgV, 404, "NotFound"},
		{"unknown group route", "GET", "/subscriptions/" + sub1 + "/resourcegroups/rg-web/exportTemplate?api-version=" + rgV, 404, "NotFound"},
		{"unknown provider namespace", "GET", "/providers/Microsoft.Foo?api-version=" + rgV, 404, "InvalidResourceNamespace"},
		{"providers are served", "GET", "/subscriptions/" + sub1 + "/providers?api-version=" + rgV, 200, ""},
		{"wrong method", "POST", "/subscriptions?api-version=" + subV, 405, "MethodNotAllowed"},
		{"delete subscription", "DELETE", "/subscriptions/" + sub1 + "?api-version=" + subV, 405, "MethodNotAllowed"},
		{"camel case", "GET", "/subscriptions/" + sub1 + "/resourceGroups/rg-web?api-version=" + rgV, 200, ""},
		{"upper case", "GET", "/SUBSCRIPTIONS/" + sub1 + "/RESOURCEGROUPS/RG-WEB?api-version=" + rgV, 200, ""},
		{"query order", "GET", "/subscriptions/" + sub1 + "/resourcegroups?%24top=1&api-version=" + rgV, 200, ""},
		{"tenants", "GET", "/tenants?api-version=2022-12-01", 200, ""},
		{"every rg version", "GET", "/subscriptions/" + sub1 + "/resourcegroups?api-version=2024-11-01", 200, ""},
		{"old subscription version", "GET", "/subscriptions?api-version=2016-06-01", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, tok, "")
			expect(t, r, c.status, c.code)
		})
	}
	r := e.do("GET", "/subscriptions?api-version=2015-01-01", tok, "")
	if want := "The api-version '2015-01-01' is invalid. The supported versions are '2022-12-01,2021-01-01,2020-01-01,2019-11-01,2019-06-01,2018-06-01,2016-06-01'."; r.errMessage() != want {
		t.Errorf("message %q, want %q", r.errMessage(), want)
	}
	strict := startARM(t, Options{StrictAPIVersions: true})
	stok := strict.token("vm-system")
	expect(t, strict.do("GET", "/subscriptions?api-version=2099-01-01", stok, ""), 400, "InvalidApiVersionParameter")
	expect(t, strict.do("GET", "/subscriptions/"+sub1+"/resourcegroups?api-version=2025-04-01", stok, ""), 200, "")
	if r := e.do("POST", "/subscriptions?api-version="+subV, tok, ""); r.header.Get("Allow") != "GET" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
	r = e.do("GET", "/tenants?api-version=2022-12-01", tok, "")
	if !strings.Contains(string(r.body), `"tenantId":"`+e.s.config().TenantID+`"`) {
		t.Errorf("tenants body %s", r.body)
	}
	if got := e.s.Stats().ARMRequests; got < int64(len(cases)) {
		t.Errorf("ARMRequests = %d, want >= %d", got, len(cases))
	}
}

func TestARMSubscriptions(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Identities = append(cfg.Identities, Identity{Name: "nobody", Kind: KindUser,
		ClientID: "44444444-4444-4444-4444-444444444444", ObjectID: "44444444-4444-4444-4444-aaaaaaaaaaaa",
		ResourceID: "/subscriptions/" + sub1 + "/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nobody"})
	e := startARM(t, Options{Config: cfg, PageSize: 1})

	ids := func(name string) []string {
		var out []string
		u := "/subscriptions?api-version=" + subV
		for u != "" {
			r := e.do("GET", u, e.token(name), "")
			expect(t, r, 200, "")
			var page struct {
				Value []struct{ SubscriptionID string } `json:"value"`
				Next  string                            `json:"nextLink"`
			}
			if err := json.Unmarshal(r.body, &page); err != nil {
				t.Fatal(err)
			}
			for _, s := range page.Value {
				out = append(out, s.SubscriptionID)
			}
			u = page.Next
		}
		return out
	}
	if got := fmt.Sprint(ids("app-contributor")); got != "["+sub1+" "+sub2+"]" {
		t.Errorf("app-contributor sees %s", got)
	}
	if got := fmt.Sprint(ids("vm-system")); got != "["+sub1+"]" {
		t.Errorf("vm-system sees %s", got)
	}
	r := e.do("GET", "/subscriptions?api-version="+subV, e.token("nobody"), "")
	expect(t, r, 200, "")
	if string(r.body) != `{"value":[]}` {
		t.Errorf("no-role list = %s, want empty value", r.body)
	}

	tok := e.token("vm-system")
	r = e.do("GET", "/subscriptions/"+sub1+"?api-version="+subV, tok, "")
	expect(t, r, 200, "")
	var s map[string]any
	if err := json.Unmarshal(r.body, &s); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "subscriptionId", "tenantId", "displayName", "state", "subscriptionPolicies", "authorizationSource", "managedByTenants", "tags"} {
		if _, ok := s[k]; !ok {
			t.Errorf("subscription lacks %q: %s", k, r.body)
		}
	}
	if s["id"] != "/subscriptions/"+sub1 || s["authorizationSource"] != "RoleBased" || s["state"] != "Enabled" || s["tenantId"] != cfg.TenantID {
		t.Errorf("subscription %s", r.body)
	}
	expect(t, e.do("GET", "/subscriptions/"+sub2+"?api-version="+subV, tok, ""), 404, "SubscriptionNotFound")
	expect(t, e.do("GET", "/subscriptions/00000000-0000-0000-0000-000000000009?api-version="+subV, tok, ""), 404, "SubscriptionNotFound")
	expect(t, e.do("GET", "/subscriptions/not-a-guid?api-version="+subV, tok, ""), 400, "InvalidSubscriptionId")
	expect(t, e.do("GET", "/subscriptions?api-version="+subV+"&%24skiptoken=bogus", tok, ""), 400, "InvalidSkipToken")
}

func TestARMResourceGroupCRUD(t *testing.T) {
	e := startARM(t, Options{})
	tok := e.token("app-contributor")

	r := e.do("PUT", groupPath(sub1, "MyGroup"), tok, `{"location":"eastus","tags":{"tag1":"value1"}}`)
	expect(t, r, 201, "")
	want := `{"id":"/subscriptions/` + sub1 + `/resourceGroups/MyGroup","name":"MyGroup","type":"Microsoft.Resources/resourceGroups","location":"eastus","tags":{"tag1":"value1"},"properties":{"provisioningState":"Succeeded"}}`
	if string(r.body) != want {
		t.Errorf("PUT body\n got %s\nwant %s", r.body, want)
	}
	r = e.do("PUT", groupPath(sub1, "mygroup"), tok, `{"location":"East US","tags":{"a":"b"}}`)
	expect(t, r, 200, "")
	if !strings.Contains(string(r.body), `"name":"MyGroup"`) || !strings.Contains(string(r.body), `"tags":{"a":"b"}`) {
		t.Errorf("re-PUT must keep the first casing and replace tags: %s", r.body)
	}
	expect(t, e.do("GET", groupPath(sub1, "MYGROUP"), tok, ""), 200, "")
	if r := e.do("HEAD", groupPath(sub1, "mygroup"), tok, ""); r.status != 204 || len(r.body) != 0 {
		t.Errorf("HEAD existing: %d %q", r.status, r.body)
	}
	if r := e.do("HEAD", groupPath(sub1, "nope"), tok, ""); r.status != 404 || len(r.body) != 0 {
		t.Errorf("HEAD missing: %d %q", r.status, r.body)
	}
	r = e.do("GET", groupPath(sub1, "nope"), tok, "")
	expect(t, r, 404, "ResourceGroupNotFound")
	if r.errMessage() != "Resource group 'nope' could not be found." {
		t.Errorf("message %q", r.errMessage())
	}
	r = e.do("PUT", groupPath(sub1, "mygroup"), tok, `{"location":"westus"}`)
	expect(t, r, 409, "InvalidResourceGroupLocation")
	if r.errMessage() != "Invalid resource group location 'westus'. The Resource group already exists in location 'eastus'." {
		t.Errorf("message %q", r.errMessage())
	}
	r = e.do("PATCH", groupPath(sub1, "mygroup"), tok, `{"tags":{"tag1":"value1","tag2":"value2"}}`)
	expect(t, r, 200, "")
	if !strings.Contains(string(r.body), `"tags":{"tag1":"value1","tag2":"value2"}`) {
		t.Errorf("PATCH body %s", r.body)
	}
	r = e.do("PATCH", groupPath(sub1, "mygroup"), tok, `{"managedBy":"x"}`)
	if !strings.Contains(string(r.body), `"tag2":"value2"`) || !strings.Contains(string(r.body), `"managedBy":"x"`) {
		t.Errorf("PATCH without tags must keep them: %s", r.body)
	}
	expect(t, e.do("PATCH", groupPath(sub1, "absent"), tok, `{"tags":{}}`), 404, "ResourceGroupNotFound")

	long := strings.Repeat("a", 91)
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	bad := []struct {
		name, group, body string
		status            int
		code              string
	}{
		{"no location", "g1", `{"tags":{}}`, 400, "LocationRequired"},
		{"empty body", "g1", ``, 400, "InvalidRequestContent"},
		{"not json", "g1", `{location:`, 400, "InvalidRequestContent"},
		{"trailing data", "g1", `{"location":"eastus"} {}`, 400, "InvalidRequestContent"},
		{"deep", "g1", `{"location":"eastus","properties":` + deep + `}`, 400, "InvalidRequestContent"},
		{"huge", "g1", `{"location":"eastus","x":"` + strings.Repeat("x", arm.MaxBody) + `"}`, 400, "InvalidRequestContent"},
		{"tag not string", "g1", `{"location":"eastus","tags":{"a":1}}`, 400, "InvalidRequestContent"},
		{"bad location", "g1", `{"location":"east-us!"}`, 400, "LocationNotAvailableForResourceGroup"},
		{"bad tag name", "g1", `{"location":"eastus","tags":{"a/b":"c"}}`, 400, "InvalidTagNameCharacters"},
		{"long tag value", "g1", `{"location":"eastus","tags":{"a":"` + strings.Repeat("v", 257) + `"}}`, 400, "InvalidTagValueLength"},
		{"bad char", "bad%20name", `{"location":"eastus"}`, 400, "InvalidResourceGroup"},
		{"trailing period", "name.", `{"location":"eastus"}`, 400, "InvalidResourceGroup"},
		{"too long", long, `{"location":"eastus"}`, 400, "InvalidResourceGroup"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			expect(t, e.do("PUT", groupPath(sub1, c.group), tok, c.body), c.status, c.code)
		})
	}
	r = e.do("PUT", groupPath(sub1, "a%24b"), tok, `{"location":"eastus"}`)
	if r.errMessage() != "The provided resource group name 'a$b' has these invalid characters: '$'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'." {
		t.Errorf("message %q", r.errMessage())
	}
	// Unicode letters, digits and ( ) are fine; 90 characters are fine.
	for _, name := range []string{"gr%C3%BCppe(1)_x.y", strings.Repeat("b", 90)} {
		expect(t, e.do("PUT", groupPath(sub1, name), tok, `{"location":"eastus"}`), 201, "")
	}
	r = e.do("GET", groupPath(sub1, "gr%C3%BCppe(1)_x.y"), tok, "")
	if !strings.Contains(string(r.body), `"name":"grüppe(1)_x.y"`) {
		t.Errorf("unicode name: %s", r.body)
	}
}

func TestARMDeleteLongRunning(t *testing.T) {
	e := startARM(t, Options{DeleteDuration: 3 * time.Second})
	tok := e.token("app-contributor")
	expect(t, e.do("DELETE", groupPath(sub1, "missing"), tok, ""), 404, "ResourceGroupNotFound")

	r := e.do("DELETE", groupPath(sub1, "RG-WEB"), tok, "")
	expect(t, r, 202, "")
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, e.base+"/subscriptions/"+sub1+"/operationresults/") || !strings.HasSuffix(loc, "?api-version="+rgV) {
		t.Fatalf("Location %q", loc)
	}
	if ra := r.header.Get("Retry-After"); ra != "0" && ra != "1" {
		t.Errorf("Retry-After %q", ra)
	}
	if len(r.body) != 0 {
		t.Errorf("202 body %q", r.body)
	}
	again := e.do("DELETE", groupPath(sub1, "rg-web"), tok, "")
	expect(t, again, 202, "")
	if again.header.Get("Location") != loc {
		t.Errorf("repeated DELETE gave another operation")
	}

	g := e.do("GET", groupPath(sub1, "rg-web"), tok, "")
	if !strings.Contains(string(g.body), `"provisioningState":"Deleting"`) {
		t.Errorf("during delete: %s", g.body)
	}
	expect(t, e.do("PUT", groupPath(sub1, "rg-web"), tok, `{"location":"eastus"}`), 409, "ResourceGroupBeingDeleted")
	expect(t, e.do("PATCH", groupPath(sub1, "rg-web"), tok, `{"tags":{}}`), 409, "ResourceGroupBeingDeleted")

	polls := 0
	for {
		p := e.do("GET", loc, tok, "")
		if p.status == 200 {
			if len(p.body) != 0 || p.header.Get("Location") != "" {
				t.Errorf("final poll: body %q Location %q", p.body, p.header.Get("Location"))
			}
			break
		}
		expect(t, p, 202, "")
		if p.header.Get("Location") != loc || p.header.Get("Retry-After") == "" {
			t.Errorf("running poll headers: %v", p.header)
		}
		polls++
		if polls > 10 {
			t.Fatal("delete never finished")
		}
		e.clk.Advance(time.Second)
	}
	if polls != 3 {
		t.Errorf("%d polls before done, want 3 (3 s delete, 1 s steps)", polls)
	}
	expect(t, e.do("GET", groupPath(sub1, "rg-web"), tok, ""), 404, "ResourceGroupNotFound")
	expect(t, e.do("GET", loc, tok, ""), 200, "")
	expect(t, e.do("GET", "/subscriptions/"+sub1+"/operationresults/garbage?api-version="+rgV, tok, ""), 404, "OperationNotFound")
	// The name is free again.
	expect(t, e.do("PUT", groupPath(sub1, "rg-web"), tok, `{"location":"westus"}`), 201, "")
}

func TestARMThrottling(t *testing.T) {
	e := startARM(t, Options{ARMRequestBudget: 3})
	tok := e.token("vm-system")
	path := "/subscriptions?api-version=" + subV
	for i := 0; i < 3; i++ {
		r := e.do("GET", path, tok, "")
		expect(t, r, 200, "")
		if got := r.header.Get("x-ms-ratelimit-remaining-subscription-reads"); got != fmt.Sprint(2-i) {
			t.Errorf("remaining after %d: %q", i+1, got)
		}
	}
	r := e.do("GET", path, tok, "")
	expect(t, r, 429, "TooManyRequests")
	if ra := r.header.Get("Retry-After"); ra != "4" {
		// budget 3 refills at 0.3/s: one token takes 3.33 s → 4.
		t.Errorf("Retry-After %q, want 4", ra)
	}
	expect(t, e.do("GET", path, e.token("app-reader"), ""), 200, "") // own bucket
	e.clk.Advance(4 * time.Second)
	expect(t, e.do("GET", path, tok, ""), 200, "")
	expect(t, e.do("GET", path, tok, ""), 429, "TooManyRequests")
}

func TestARMRBAC(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Identities = append(cfg.Identities, Identity{Name: "rg-only", Kind: KindUser,
		ClientID: "55555555-5555-5555-5555-555555555555", ObjectID: "55555555-5555-5555-5555-aaaaaaaaaaaa",
		ResourceID: "/subscriptions/" + sub1 + "/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/rg-only"})
	cfg.RoleAssignments = append(cfg.RoleAssignments,
		RoleAssignment{Identity: "rg-only", Scope: "/subscriptions/" + sub1 + "/resourceGroups/rg-data", Role: "Contributor"})
	e := startARM(t, Options{Config: cfg})

	reader := e.token("app-reader")
	r := e.do("PUT", groupPath(sub1, "new"), reader, `{"location":"eastus"}`)
	expect(t, r, 403, "AuthorizationFailed")
	if want := "The client '33333333-3333-3333-3333-333333333333' with object id '33333333-3333-3333-3333-aaaaaaaaaaaa' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/write' over scope '/subscriptions/" + sub1 + "/resourcegroups/new' or the scope is invalid. If access was recently granted, please refresh your credentials."; r.errMessage() != want {
		t.Errorf("message\n got %q\nwant %q", r.errMessage(), want)
	}
	if r.header.Get("x-ms-failure-cause") != "gateway" {
		t.Error("no x-ms-failure-cause: gateway")
	}

	rgOnly := e.token("rg-only")
	contrib := e.token("app-contributor")
	vm := e.token("vm-system")
	matrix := []struct {
		name, tok, method, path, body string
		status                        int
		code                          string
	}{
		{"reader get", reader, "GET", groupPath(sub1, "rg-web"), "", 200, ""},
		{"reader head", reader, "HEAD", groupPath(sub1, "rg-web"), "", 204, ""},
		{"reader patch", reader, "PATCH", groupPath(sub1, "rg-web"), `{"tags":{}}`, 403, "AuthorizationFailed"},
		{"reader delete", reader, "DELETE", groupPath(sub1, "rg-web"), "", 403, "AuthorizationFailed"},
		{"contributor reads sub2", contrib, "GET", groupPath(sub2, "rg-sandbox"), "", 200, ""},
		{"contributor is reader in sub2", contrib, "PUT", groupPath(sub2, "x"), `{"location":"eastus"}`, 403, "AuthorizationFailed"},
		{"no role in sub2: get rg", vm, "GET", groupPath(sub2, "rg-sandbox"), "", 403, "AuthorizationFailed"},
		{"no role in sub2: list", vm, "GET", "/subscriptions/" + sub2 + "/resourcegroups?api-version=" + rgV, "", 403, "AuthorizationFailed"},
		{"no role in sub2: subscription", vm, "GET", "/subscriptions/" + sub2 + "?api-version=" + subV, "", 404, "SubscriptionNotFound"},
		{"unknown subscription", vm, "GET", groupPath("00000000-0000-0000-0000-000000000099", "x"), "", 404, "SubscriptionNotFound"},
		{"rg-only reads its group", rgOnly, "GET", groupPath(sub1, "RG-DATA"), "", 200, ""},
		{"rg-only writes its group", rgOnly, "PATCH", groupPath(sub1, "rg-data"), `{"tags":{"k":"v"}}`, 200, ""},
		{"rg-only other group", rgOnly, "GET", groupPath(sub1, "rg-web"), "", 403, "AuthorizationFailed"},
		{"rg-only create other", rgOnly, "PUT", groupPath(sub1, "other"), `{"location":"eastus"}`, 403, "AuthorizationFailed"},
		{"rg-only sees subscription", rgOnly, "GET", "/subscriptions/" + sub1 + "?api-version=" + subV, "", 200, ""},
	}
	for _, c := range matrix {
		t.Run(c.name, func(t *testing.T) {
			expect(t, e.do(c.method, c.path, c.tok, c.body), c.status, c.code)
		})
	}
	names, _ := e.listAll("/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, rgOnly, nil)
	if fmt.Sprint(names) != "[rg-data]" {
		t.Errorf("rg-only lists %v, want only rg-data", names)
	}
	r = e.do("GET", groupPath(sub1, "rg-web"), vm, "", "Authorization", "Bearer "+e.token("app-reader"))
	expect(t, r, 200, "")
}

func TestARMDisabledSubscriptionIsReadOnly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Subscriptions[0].State = "Disabled"
	e := startARM(t, Options{Config: cfg})
	tok := e.token("app-contributor")
	expect(t, e.do("PUT", groupPath(sub1, "x"), tok, `{"location":"eastus"}`), 409, "ReadOnlyDisabledSubscription")
	expect(t, e.do("GET", groupPath(sub1, "rg-web"), tok, ""), 200, "")
}

func TestARMResetRestoresGroups(t *testing.T) {
	e := startARM(t, Options{})
	tok := e.token("app-contributor")
	expect(t, e.do("PUT", groupPath(sub1, "temp"), tok, `{"location":"eastus"}`), 201, "")
	expect(t, e.do("DELETE", groupPath(sub1, "rg-web"), tok, ""), 202, "")
	if err := e.s.reset(); err != nil {
		t.Fatal(err)
	}
	expect(t, e.do("GET", groupPath(sub1, "temp"), tok, ""), 404, "ResourceGroupNotFound")
	r := e.do("GET", groupPath(sub1, "rg-web"), tok, "")
	expect(t, r, 200, "")
	if !strings.Contains(string(r.body), "Succeeded") {
		t.Errorf("after reset: %s", r.body)
	}
}

// TestARMHandlerToleratesOddPaths drives the handler directly: repeated
// slashes and a trailing slash still route (the listener's mux may redirect
// such paths before they reach ARM).
func TestARMHandlerToleratesOddPaths(t *testing.T) {
	e := startARM(t, Options{})
	tok := e.token("vm-system")
	for _, p := range []string{
		"//subscriptions//" + sub1 + "/resourcegroups/?api-version=" + rgV,
		"/subscriptions/" + sub1 + "/resourcegroups/rg-%77eb?api-version=" + rgV,
	} {
		req := httptest.NewRequest("GET", "https://example.test"+p, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		e.s.arm.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Errorf("%s: %d %s", p, rec.Code, rec.Body)
		}
	}
}

// Polling a delete's operation result needs read access to the group: an
// identity without a role in the subscription learns nothing about it.
func TestARMOperationResultNeedsReadAccess(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RoleAssignments = cfg.RoleAssignments[:3] // app-reader keeps no role
	e := startARM(t, Options{Config: cfg, DeleteDuration: 3 * time.Second})
	r := e.do("DELETE", groupPath(sub1, "rg-data"), e.token("app-contributor"), "")
	expect(t, r, 202, "")
	loc := r.header.Get("Location")
	expect(t, e.do("GET", loc, e.token("app-reader"), ""), 403, "AuthorizationFailed")
	expect(t, e.do("GET", loc, e.token("vm-system"), ""), 202, "") // Contributor on the subscription
	e.clk.Advance(5 * time.Second)
	expect(t, e.do("GET", loc, e.token("app-reader"), ""), 403, "AuthorizationFailed")
	expect(t, e.do("GET", loc, e.token("app-contributor"), ""), 200, "")
}

// A role on a resource group's scope dies with the group: a group created
// again under the same name does not inherit it (as in Azure).
func TestARMGroupRoleDoesNotSurviveRecreate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RoleAssignments = append(cfg.RoleAssignments, RoleAssignment{Identity: "app-reader", Scope: "/subscriptions/" + sub1 + "/resourceGroups/rg-data", Role: "Contributor"})
	e := startARM(t, Options{Config: cfg, DeleteDuration: time.Second})
	reader, owner := e.token("app-reader"), e.token("app-contributor")
	expect(t, e.do("PATCH", groupPath(sub1, "rg-data"), reader, `{"tags":{"a":"1"}}`), 200, "")
	expect(t, e.do("DELETE", groupPath(sub1, "rg-data"), owner, ""), 202, "")
	e.clk.Advance(2 * time.Second)
	expect(t, e.do("GET", groupPath(sub1, "rg-data"), owner, ""), 404, "ResourceGroupNotFound")
	expect(t, e.do("PUT", groupPath(sub1, "RG-DATA"), reader, `{"location":"westeurope"}`), 403, "AuthorizationFailed")
	expect(t, e.do("PUT", groupPath(sub1, "RG-DATA"), owner, `{"location":"westeurope"}`), 201, "")
	expect(t, e.do("PATCH", groupPath(sub1, "rg-data"), reader, `{"tags":{"a":"2"}}`), 403, "AuthorizationFailed")
	expect(t, e.do("GET", groupPath(sub1, "rg-data"), reader, ""), 200, "") // Reader on the subscription still reads
	// A reset restores the configured group and its role.
	must(t, e.s.reset())
	expect(t, e.do("PATCH", groupPath(sub1, "rg-data"), reader, `{"tags":{"a":"3"}}`), 200, "")
}
