package roles

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"
)

// serveTest routes every request to Store.Serve as the emulator's router
// does; the caller's object id comes from a test header (the real router
// takes it from the verified token).
func serveTest(s *Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, e := ParseTarget(r.URL.Path)
		if e != nil {
			WriteError(w, e)
			return
		}
		s.Serve(w, r, t, Caller{ObjectID: r.Header.Get("x-test-oid"), ClientID: "client-of-" + r.Header.Get("x-test-oid")})
	})
}

type result struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, h http.Handler, oid, method, path, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	r.Header.Set("x-test-oid", oid)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return result{status: w.Code, header: w.Header(), body: w.Body.String()}
}

func errorCode(t *testing.T, r result) string {
	t.Helper()
	var b struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	if r.header.Get("x-ms-error-code") != b.Error.Code || b.Error.Message == "" {
		t.Fatalf("x-ms-error-code %q, body %q", r.header.Get("x-ms-error-code"), r.body)
	}
	return b.Error.Code
}

const api = "?api-version=2022-04-01"

func newHTTPStore(t *testing.T) (*Store, http.Handler) {
	t.Helper()
	c := newClock()
	s := New(Options{Principals: lookup, TenantID: tenant, Now: c.Now})
	assign(t, s, ownerOID, OwnerID, subID)
	return s, serveTest(s)
}

func TestHTTPAssignmentVector(t *testing.T) {
	// protocols-2026 §21.6: assign Key Vault Secrets User to a UAMI on a vault.
	_, h := newHTTPStore(t)
	path := kv1 + "/providers/Microsoft.Authorization/roleAssignments/0b1c2d3e-0000-4000-8000-00000000000a" + api
	body := `{"properties":{"roleDefinitionId":"/subscriptions/bbbbbbbb-0000-4000-8000-000000000002/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
 "principalId":"dddddddd-0000-4000-8000-000000000004","principalType":"ServicePrincipal"}}`
	r := do(t, h, ownerOID, "PUT", path, body)
	if r.status != 201 {
		t.Fatalf("PUT = %d %s", r.status, r.body)
	}
	want := `{"id":"/subscriptions/bbbbbbbb-0000-4000-8000-000000000002/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1/providers/Microsoft.Authorization/roleAssignments/0b1c2d3e-0000-4000-8000-00000000000a",` +
		`"name":"0b1c2d3e-0000-4000-8000-00000000000a","type":"Microsoft.Authorization/roleAssignments",` +
		`"properties":{"roleDefinitionId":"/subscriptions/bbbbbbbb-0000-4000-8000-000000000002/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",` +
		`"principalId":"dddddddd-0000-4000-8000-000000000004","principalType":"ServicePrincipal",` +
		`"scope":"/subscriptions/bbbbbbbb-0000-4000-8000-000000000002/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1",` +
		`"condition":null,"conditionVersion":null,"createdOn":"2026-01-01T12:00:00.0000000Z","updatedOn":"2026-01-01T12:00:00.0000000Z",` +
		`"createdBy":null,"updatedBy":"eeeeeeee-0000-4000-8000-000000000005","delegatedManagedIdentityResourceId":null,"description":null}}`
	if r.body != want {
		t.Fatalf("PUT body\n%s\nwant\n%s", r.body, want)
	}
	if r.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
	// Same body under another GUID.
	r = do(t, h, ownerOID, "PUT", strings.Replace(path, "00000000000a", "00000000000b", 1), body)
	if r.status != 409 || r.body != `{"error":{"code":"RoleAssignmentExists","message":"The role assignment already exists."}}` {
		t.Fatalf("duplicate = %d %s", r.status, r.body)
	}
	// Re-PUT of the same name: 200.
	if r = do(t, h, ownerOID, "PUT", path, body); r.status != 200 {
		t.Fatalf("re-PUT = %d %s", r.status, r.body)
	}
	if r = do(t, h, ownerOID, "GET", path, ""); r.status != 200 || !strings.Contains(r.body, `"name":"0b1c2d3e-0000-4000-8000-00000000000a"`) {
		t.Fatalf("GET = %d %s", r.status, r.body)
	}
	// The same name at another scope is not there.
	if r = do(t, h, ownerOID, "GET", strings.Replace(path, "/providers/Microsoft.KeyVault/vaults/kv1", "", 1), ""); r.status != 404 || errorCode(t, r) != "RoleAssignmentNotFound" {
		t.Fatalf("GET at the group = %d %s", r.status, r.body)
	}
	if r = do(t, h, ownerOID, "DELETE", path, ""); r.status != 200 || !strings.Contains(r.body, `"principalId":"dddddddd-0000-4000-8000-000000000004"`) {
		t.Fatalf("DELETE = %d %s", r.status, r.body)
	}
	if r = do(t, h, ownerOID, "DELETE", path, ""); r.status != 204 || r.body != "" {
		t.Fatalf("second DELETE = %d %q", r.status, r.body)
	}
}

func TestHTTPEscalationRefused(t *testing.T) {
	s, h := newHTTPStore(t)
	const contributor = "33333333-0000-4000-8000-000000000001"
	directory[contributor] = Principal{ObjectID: contributor, Type: "ServicePrincipal"}
	assign(t, s, contributor, ContributorID, subID)
	path := rg1 + "/providers/Microsoft.Authorization/roleAssignments/0b1c2d3e-0000-4000-8000-000000000001" + api
	body := `{"properties":{"roleDefinitionId":"` + roleIDPrefix + OwnerID + `","principalId":"` + contributor + `"}}`
	r := do(t, h, contributor, "PUT", path, body)
	if r.status != 403 || errorCode(t, r) != "AuthorizationFailed" || r.header.Get("x-ms-failure-cause") != "gateway" {
		t.Fatalf("Contributor granting itself Owner = %d %s", r.status, r.body)
	}
	want := "The client 'client-of-" + contributor + "' with object id '" + contributor + "' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '" + rg1 + "' or the scope is invalid."
	if !strings.Contains(r.body, want) {
		t.Fatalf("403 body %s\nwant it to contain %s", r.body, want)
	}
	if s.Allowed(contributor, actRAWrite, rg1) || s.Len() != 2 {
		t.Fatal("the refused assignment was stored")
	}
	// Contributor may read assignments, but not delete the Owner's.
	if r = do(t, h, contributor, "GET", rg1+"/providers/Microsoft.Authorization/roleAssignments"+api, ""); r.status != 200 {
		t.Fatalf("Contributor list = %d", r.status)
	}
	ownerName := s.ListAssignments(mustScope(t, subID), AssignmentFilter{Principal: ownerOID})[0].Name
	if r = do(t, h, contributor, "DELETE", subID+"/providers/Microsoft.Authorization/roleAssignments/"+ownerName+api, ""); r.status != 403 {
		t.Fatalf("Contributor deleting the Owner's assignment = %d", r.status)
	}
	// A principal with no role at all cannot even list.
	if r = do(t, h, userOID, "GET", rg1+"/providers/Microsoft.Authorization/roleAssignments"+api, ""); r.status != 403 || !strings.Contains(r.body, "roleAssignments/read") {
		t.Fatalf("list without a role = %d %s", r.status, r.body)
	}
	// Custom roles: writing needs roleDefinitions/write on every assignable scope.
	def := `{"properties":{"roleName":"escalate","permissions":[{"actions":["*"]}],"assignableScopes":["` + rg1 + `"]}}`
	if r = do(t, h, contributor, "PUT", subID+"/providers/Microsoft.Authorization/roleDefinitions/aaaa0000-0000-4000-8000-000000000001"+api, def); r.status != 403 {
		t.Fatalf("Contributor writing a custom role = %d %s", r.status, r.body)
	}
}

func TestHTTPListFilters(t *testing.T) {
	s, h := newHTTPStore(t)
	assign(t, s, uamiOID, ReaderID, rg1)
	assign(t, s, uamiOID, KeyVaultSecretsUserID, kv1)
	assign(t, s, userOID, ReaderID, kv1)
	list := func(scope, filter string) []string {
		t.Helper()
		q := api
		if filter != "" {
			q += "&$filter=" + strings.ReplaceAll(strings.ReplaceAll(filter, " ", "%20"), "'", "%27")
		}
		r := do(t, h, ownerOID, "GET", scope+"/providers/Microsoft.Authorization/roleAssignments"+q, "")
		if r.status != 200 {
			t.Fatalf("list %s %s = %d %s", scope, filter, r.status, r.body)
		}
		var b struct {
			Value []struct {
				Properties struct{ PrincipalID, Scope string }
			}
		}
		if err := json.Unmarshal([]byte(r.body), &b); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range b.Value {
			out = append(out, v.Properties.PrincipalID[:4]+"@"+v.Properties.Scope[strings.LastIndex(v.Properties.Scope, "/")+1:])
		}
		sort.Strings(out)
		return out
	}
	tests := []struct {
		scope, filter, want string
	}{
		{rg1, "", "dddd@kv1,dddd@rg1,eeee@" + sub + ",ffff@kv1"},
		{rg1, "atScope()", "dddd@rg1,eeee@" + sub},
		{kv1, "atScope() and assignedTo('" + uamiOID + "')", "dddd@kv1,dddd@rg1"},
		{subID, "principalId eq '" + userOID + "'", "ffff@kv1"},
		{subID, "assignedTo('" + strings.ToUpper(uamiOID) + "')", "dddd@kv1,dddd@rg1"},
	}
	for _, tt := range tests {
		if got := strings.Join(list(tt.scope, tt.filter), ","); got != tt.want {
			t.Errorf("list at %s with %q = %s; want %s", tt.scope[strings.LastIndex(tt.scope, "/")+1:], tt.filter, got, tt.want)
		}
	}
	r := do(t, h, ownerOID, "GET", rg1+"/providers/Microsoft.Authorization/roleAssignments"+api+"&$filter=roleName%20eq%20%27Reader%27", "")
	if r.status != 400 || errorCode(t, r) != "InvalidFilterInQueryString" {
		t.Fatalf("bad filter = %d %s", r.status, r.body)
	}
}

func TestHTTPRoleDefinitions(t *testing.T) {
	_, h := newHTTPStore(t)
	base := subID + "/providers/Microsoft.Authorization/roleDefinitions"
	r := do(t, h, uamiOID, "GET", base+api+"&$filter=roleName%20eq%20%27Key%20Vault%20Secrets%20User%27", "")
	want := `{"value":[{"id":"/subscriptions/bbbbbbbb-0000-4000-8000-000000000002/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",` +
		`"name":"4633458b-17de-408a-b874-0445c86b69e6","type":"Microsoft.Authorization/roleDefinitions","properties":{"roleName":"Key Vault Secrets User","type":"BuiltInRole",` +
		`"description":"Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.","assignableScopes":["/"],` +
		`"permissions":[{"actions":[],"notActions":[],"dataActions":["Microsoft.KeyVault/vaults/secrets/getSecret/action","Microsoft.KeyVault/vaults/secrets/readMetadata/action"],"notDataActions":[]}],` +
		`"createdOn":null,"updatedOn":null,"createdBy":null,"updatedBy":null}}]}`
	if r.status != 200 || r.body != want {
		t.Fatalf("by name = %d\n%s\nwant\n%s", r.status, r.body, want)
	}
	// Tenant-rooted GET by id.
	r = do(t, h, uamiOID, "GET", "/providers/Microsoft.Authorization/roleDefinitions/"+strings.ToUpper(ReaderID)+api, "")
	if r.status != 200 || !strings.HasPrefix(r.body, `{"id":"/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"`) || !strings.Contains(r.body, `"actions":["*/read"]`) {
		t.Fatalf("GET Reader at the tenant = %d %s", r.status, r.body)
	}
	if r = do(t, h, uamiOID, "GET", base+"/00000000-0000-4000-8000-000000000000"+api, ""); r.status != 404 || errorCode(t, r) != "RoleDefinitionDoesNotExist" {
		t.Fatalf("GET unknown = %d %s", r.status, r.body)
	}
	// A custom role: PUT 201, then visible by type filter, then usable.
	id := "aaaa0000-0000-4000-8000-000000000001"
	def := `{"properties":{"roleName":"VM operator","description":"starts VMs","type":"CustomRole",
		"permissions":[{"actions":["Microsoft.Compute/virtualMachines/start/action","Microsoft.Compute/virtualMachines/read"]}],"assignableScopes":["` + rg1 + `"]}}`
	r = do(t, h, ownerOID, "PUT", base+"/"+id+api, def)
	if r.status != 201 || !strings.Contains(r.body, `"roleName":"VM operator","type":"CustomRole"`) || !strings.Contains(r.body, `"notActions":[]`) ||
		!strings.Contains(r.body, `"createdOn":"2026-01-01T12:00:00.0000000Z"`) {
		t.Fatalf("PUT custom = %d %s", r.status, r.body)
	}
	r = do(t, h, ownerOID, "GET", rg1+"/providers/Microsoft.Authorization/roleDefinitions"+api+"&$filter=type%20eq%20%27CustomRole%27", "")
	if r.status != 200 || strings.Count(r.body, `"name":`) != 1 || !strings.Contains(r.body, id) {
		t.Fatalf("custom roles at rg1 = %d %s", r.status, r.body)
	}
	ra := rg1 + "/providers/Microsoft.Authorization/roleAssignments/0b1c2d3e-0000-4000-8000-000000000001" + api
	if r = do(t, h, ownerOID, "PUT", ra, `{"properties":{"roleDefinitionId":"`+base+"/"+id+`","principalId":"`+uamiOID+`"}}`); r.status != 201 {
		t.Fatalf("assign custom = %d %s", r.status, r.body)
	}
	if r = do(t, h, ownerOID, "DELETE", base+"/"+id+api, ""); r.status != 400 || errorCode(t, r) != "RoleDefinitionHasAssignments" {
		t.Fatalf("delete assigned custom = %d %s", r.status, r.body)
	}
	do(t, h, ownerOID, "DELETE", ra, "")
	if r = do(t, h, ownerOID, "DELETE", base+"/"+id+api, ""); r.status != 200 {
		t.Fatalf("delete custom = %d %s", r.status, r.body)
	}
	if r = do(t, h, ownerOID, "DELETE", base+"/"+id+api, ""); r.status != 204 {
		t.Fatalf("delete custom again = %d %s", r.status, r.body)
	}
}

func TestHTTPBadInput(t *testing.T) {
	_, h := newHTTPStore(t)
	ra := rg1 + "/providers/Microsoft.Authorization/roleAssignments/"
	good := `{"properties":{"roleDefinitionId":"` + roleIDPrefix + ReaderID + `","principalId":"` + uamiOID + `"}}`
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"name not a GUID", "PUT", ra + "web-reader", good, 400, "InvalidRoleAssignmentId"},
		{"empty body", "PUT", ra + "0b1c2d3e-0000-4000-8000-000000000001", "", 400, "InvalidRequestContent"},
		{"not JSON", "PUT", ra + "0b1c2d3e-0000-4000-8000-000000000001", "{properties:", 400, "InvalidRequestContent"},
		{"trailing data", "PUT", ra + "0b1c2d3e-0000-4000-8000-000000000001", good + "{}", 400, "InvalidRequestContent"},
		{"huge", "PUT", ra + "0b1c2d3e-0000-4000-8000-000000000001", `{"x":"` + strings.Repeat("x", maxBody) + `"}`, 400, "InvalidRequestContent"},
		{"no properties", "PUT", ra + "0b1c2d3e-0000-4000-8000-000000000001", `{}`, 400, "InvalidRequestContent"},
		{"no role", "PUT", ra + "0b1c2d3e-0000-4000-8000-000000000001", `{"properties":{"principalId":"` + uamiOID + `"}}`, 400, "InvalidRequestContent"},
		{"no principal", "PUT", ra + "0b1c2d3e-0000-4000-8000-000000000001", `{"properties":{"roleDefinitionId":"` + roleIDPrefix + ReaderID + `"}}`, 400, "InvalidRequestContent"},
		{"body scope differs", "PUT", ra + "0b1c2d3e-0000-4000-8000-000000000001", `{"properties":{"roleDefinitionId":"` + roleIDPrefix + ReaderID + `","principalId":"` + uamiOID + `","scope":"` + subID + `"}}`, 400, "InvalidCreateRoleAssignmentRequest"},
		{"forged principal", "PUT", ra + "0b1c2d3e-0000-4000-8000-000000000001", `{"properties":{"roleDefinitionId":"` + roleIDPrefix + ReaderID + `","principalId":"99999999-0000-4000-8000-000000000009"}}`, 400, "PrincipalNotFound"},
		{"client id instead of object id", "PUT", ra + "0b1c2d3e-0000-4000-8000-000000000001", `{"properties":{"roleDefinitionId":"` + roleIDPrefix + ReaderID + `","principalId":"cccccccc-0000-4000-8000-000000000003"}}`, 400, "PrincipalNotFound"},
		{"POST", "POST", ra + "0b1c2d3e-0000-4000-8000-000000000001", good, 405, "MethodNotAllowed"},
		{"PUT collection", "PUT", strings.TrimSuffix(ra, "/"), good, 405, "MethodNotAllowed"},
		{"unknown collection", "GET", rg1 + "/providers/Microsoft.Authorization/denyAssignments", "", 400, "InvalidResourceType"},
		{"nested below a name", "GET", ra + "0b1c2d3e-0000-4000-8000-000000000001/x", "", 400, "InvalidResourceType"},
		{"bad scope", "GET", "/subscriptions/" + sub + "/resourceGroups/providers/Microsoft.Authorization/roleAssignments", "", 400, "InvalidScope"},
		{"bad definition filter", "GET", subID + "/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName%20eq%20Reader", "", 400, "InvalidFilterInQueryString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, h, ownerOID, tt.method, tt.path, tt.body)
			if r.status != tt.status || errorCode(t, r) != tt.code {
				t.Fatalf("= %d %s; want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
}

func TestHTTPDelayedGrant(t *testing.T) {
	c := newClock()
	s := New(Options{Now: c.Now, Delay: time.Minute})
	s.Restore(nil, []Assignment{{Name: "0b1c2d3e-0000-4000-8000-0000000000aa", Scope: subID, RoleDefinitionID: OwnerID, PrincipalID: ownerOID}})
	h := serveTest(s)
	ra := rg1 + "/providers/Microsoft.Authorization/roleAssignments/0b1c2d3e-0000-4000-8000-000000000001" + api
	r := do(t, h, ownerOID, "PUT", ra, `{"properties":{"roleDefinitionId":"`+roleIDPrefix+ReaderID+`","principalId":"`+uamiOID+`"}}`)
	if r.status != 201 {
		t.Fatalf("PUT = %d %s (restored assignments must apply at once)", r.status, r.body)
	}
	list := rg1 + "/providers/Microsoft.Authorization/roleAssignments" + api
	if r = do(t, h, uamiOID, "GET", list, ""); r.status != 403 {
		t.Fatalf("list before the delay = %d", r.status)
	}
	c.Advance(time.Minute)
	if r = do(t, h, uamiOID, "GET", list, ""); r.status != 200 {
		t.Fatalf("list after the delay = %d %s", r.status, r.body)
	}
}
