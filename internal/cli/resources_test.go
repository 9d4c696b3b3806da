package cli

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/internal/testenv"
)

// resourceARM is a small stand-in for ARM's generic resources: resources by
// lower-cased ID, providers listing api-versions, lists with resourceType
// and tag filters and $top paging, and one asynchronous type
// (Contoso.Widgets/widgets: PUT with Azure-AsyncOperation, DELETE with
// Location, each one poll before it ends). Tokens come from the emulator.
type resourceARM struct {
	srv *httptest.Server

	mu        sync.Mutex
	resources map[string]map[string]any
	polls     map[string]int
	log       []string // "METHOD escaped-path?query"
}

const (
	resRG    = "/subscriptions/" + sub1 + "/resourceGroups/rg-web"
	resVault = resRG + "/providers/Microsoft.KeyVault/vaults/kv-web"
	resVNet  = resRG + "/providers/Microsoft.Network/virtualNetworks/vnet-web"
	resLock  = resVNet + "/providers/Microsoft.Authorization/locks/nodelete"
	resWidg  = resRG + "/providers/Contoso.Widgets/widgets/w1"
)

func newResourceARM(t *testing.T) (*testEnv, *resourceARM) {
	t.Helper()
	e := startEmulator(t, emulator.Options{})
	a := &resourceARM{resources: map[string]map[string]any{}, polls: map[string]int{}}
	a.srv = httptest.NewTLSServer(a)
	t.Cleanup(a.srv.Close)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.srv.CACertPEM())
	pool.AddCert(a.srv.Certificate())
	tr := testenv.LoopbackOnlyTransport()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	e.transport = tr
	e.env = map[string]string{
		"AZURE_POD_IDENTITY_AUTHORITY_HOST": e.srv.IMDSEndpoint(),
		"AZMSI_ARM_ENDPOINT":                a.srv.URL,
		"AZURE_SUBSCRIPTION_ID":             sub1,
	}
	return e, a
}

func (a *resourceARM) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.log...)
}

func (a *resourceARM) put(id string, res map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.resources[strings.ToLower(id)] = res
}

func armReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func armFail(w http.ResponseWriter, status int, code, msg string) {
	armReply(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (a *resourceARM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log = append(a.log, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery)
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
		armFail(w, 401, "AuthenticationFailed", "no token")
		return
	}
	p := strings.ToLower(r.URL.Path)
	q := r.URL.Query()
	switch {
	case q.Get("api-version") == "":
		armFail(w, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
	case strings.HasPrefix(p, "/subscriptions/"+sub1+"/providers/") && strings.Count(p, "/") == 4:
		a.provider(w, p[strings.LastIndex(p, "/")+1:])
	case strings.HasPrefix(p, "/ops/"):
		a.poll(w, p)
	case strings.HasSuffix(p, "/resources") && r.Method == http.MethodGet:
		a.list(w, r, strings.TrimSuffix(p, "/resources"))
	default:
		a.resource(w, r, p)
	}
}

func (a *resourceARM) provider(w http.ResponseWriter, ns string) {
	types := map[string][]map[string]any{
		"microsoft.keyvault": {{"resourceType": "vaults", "apiVersions": []string{"2023-07-01", "2024-11-01", "2025-01-01-preview"}}},
		"microsoft.network":  {{"resourceType": "virtualNetworks", "apiVersions": []string{"2024-05-01"}}},
		"microsoft.authorization": {{"resourceType": "locks", "apiVersions": []string{"2020-05-01", "2016-09-01"}},
			{"resourceType": "roleAssignments", "apiVersions": []string{"2022-04-01"}}},
		"contoso.widgets": {{"resourceType": "widgets", "apiVersions": []string{"2024-01-01"}}},
	}[ns]
	if types == nil {
		armFail(w, 404, "InvalidResourceNamespace", "The resource namespace '"+ns+"' is invalid.")
		return
	}
	armReply(w, 200, map[string]any{"namespace": ns, "registrationState": "Registered", "resourceTypes": types})
}

func (a *resourceARM) poll(w http.ResponseWriter, p string) {
	if a.polls[p] == 0 {
		a.polls[p]++
		w.Header().Set("Retry-After", "0")
		if strings.HasPrefix(p, "/ops/delete") {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		armReply(w, 200, map[string]string{"status": "InProgress"})
		return
	}
	if strings.HasPrefix(p, "/ops/delete") {
		w.WriteHeader(http.StatusOK)
		return
	}
	if res := a.resources[strings.TrimPrefix(p, "/ops/put")]; res != nil {
		res["properties"].(map[string]any)["provisioningState"] = "Succeeded"
	}
	armReply(w, 200, map[string]string{"status": "Succeeded"})
}

func (a *resourceARM) resource(w http.ResponseWriter, r *http.Request, id string) {
	res := a.resources[id]
	async := strings.Contains(id, "/contoso.widgets/")
	switch r.Method {
	case http.MethodGet:
		if res == nil {
			armFail(w, 404, "ResourceNotFound", "The Resource '"+id[strings.Index(id, "/providers/")+len("/providers/"):]+"' under resource group 'rg-web' was not found.")
			return
		}
		armReply(w, 200, res)
	case http.MethodPut:
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			armFail(w, 400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
			return
		}
		props, _ := body["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		props["provisioningState"] = "Succeeded"
		status := 201
		if res != nil {
			status = 200
		}
		if async {
			props["provisioningState"] = "Creating"
			w.Header().Set("Azure-AsyncOperation", a.srv.URL+"/ops/put"+id+"?api-version=2024-01-01")
			w.Header().Set("Retry-After", "0")
		}
		body["properties"] = props
		body["id"] = r.URL.Path
		body["name"] = r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		a.resources[id] = body
		armReply(w, status, body)
	case http.MethodDelete:
		if res == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		delete(a.resources, id)
		if async {
			w.Header().Set("Location", a.srv.URL+"/ops/delete"+id+"?api-version=2024-01-01")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.WriteHeader(http.StatusOK)
	default:
		armFail(w, 405, "MethodNotAllowed", r.Method)
	}
}

func (a *resourceARM) list(w http.ResponseWriter, r *http.Request, scope string) {
	q := r.URL.Query()
	flt := q.Get("$filter")
	var ids []string
	for id, res := range a.resources {
		if !strings.HasPrefix(id, scope+"/") {
			continue
		}
		tags, _ := res["tags"].(map[string]any)
		typ, _ := res["type"].(string)
		ok := true
		switch {
		case flt == "":
		case strings.HasPrefix(flt, "resourceType eq '"):
			ok = strings.EqualFold("resourceType eq '"+typ+"'", flt)
		case strings.HasPrefix(flt, "tagName eq '"):
			name, value, hasValue := strings.Cut(strings.TrimPrefix(flt, "tagName eq '"), "' and tagValue eq '")
			name, value = strings.TrimSuffix(name, "'"), strings.TrimSuffix(value, "'")
			v, has := tags[name]
			ok = has && (!hasValue || v == value)
		default:
			armFail(w, 400, "InvalidFilterInQueryString", "bad $filter "+flt)
			return
		}
		if ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	top, _ := strconv.Atoi(q.Get("$top"))
	if top == 0 {
		top = 2 // small pages, so that the CLI must follow nextLink
	}
	skip, _ := strconv.Atoi(q.Get("$skiptoken"))
	value := []any{}
	for i := skip; i < len(ids) && i < skip+top; i++ {
		value = append(value, a.resources[ids[i]])
	}
	out := map[string]any{"value": value}
	if skip+top < len(ids) {
		q.Set("$skiptoken", strconv.Itoa(skip+top))
		out["nextLink"] = a.srv.URL + r.URL.Path + "?" + q.Encode()
	}
	armReply(w, 200, out)
}

func TestResourcesCreateShowListDelete(t *testing.T) {
	e, a := newResourceARM(t)
	a.put(resVNet, map[string]any{"id": resVNet, "name": "vnet-web", "type": "Microsoft.Network/virtualNetworks", "location": "westus", "tags": map[string]any{"env": "prod"}})
	a.put(resLock, map[string]any{"id": resLock, "name": "nodelete", "type": "Microsoft.Authorization/locks", "properties": map[string]any{"level": "CanNotDelete"}})

	body := `{"location":"eastus","tags":{"env":"dev"},"type":"Microsoft.KeyVault/vaults","properties":{"tenantId":"t1","sku":{"family":"A","name":"standard"}}}`
	r := e.run(t, "resources", "create", resVault, "--api-version", "2024-11-01", "--body", body)
	wantCode(t, r, ExitOK)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("create output is not JSON: %v\n%s", err, r.stdout)
	}
	props, _ := got["properties"].(map[string]any)
	if got["id"] != resVault || got["name"] != "kv-web" || props["tenantId"] != "t1" || props["provisioningState"] != "Succeeded" {
		t.Fatalf("created: %s", r.stdout)
	}

	// show finds the api-version from the provider: the newest stable one.
	r = e.run(t, "resources", "show", strings.ToUpper(resVault), "--query", "properties.sku.name", "-o", "tsv")
	wantCode(t, r, ExitOK)
	if r.stdout != "standard\n" {
		t.Fatalf("show --query: %q", r.stdout)
	}
	r = e.run(t, "resources", "show", resLock, "-o", "table")
	wantCode(t, r, ExitOK)
	if want := "Name      ResourceGroup  Location  Type\n----      -------------  --------  ----\nnodelete  rg-web                   Microsoft.Authorization/locks\n"; r.stdout != want {
		t.Fatalf("show -o table:\n%q\nwant\n%q", r.stdout, want)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--query", "[].name", "-o", "tsv"}, "kv-web\nvnet-web\nnodelete\n"},
		{[]string{"-g", "rg-web", "--resource-type", "microsoft.keyvault/vaults", "--query", "[].name", "-o", "tsv"}, "kv-web\n"},
		{[]string{"--tag", "env=prod", "--query", "[].name", "-o", "tsv"}, "vnet-web\n"},
		{[]string{"--tag", "env", "--query", "[].name", "-o", "tsv"}, "kv-web\nvnet-web\n"},
		{[]string{"-g", "rg-other", "-o", "json"}, "[]\n"},
		{[]string{"--resource-type", "Microsoft.Network/virtualNetworks"},
			"Name      ResourceGroup  Location  Type\n----      -------------  --------  ----\nvnet-web  rg-web         westus    Microsoft.Network/virtualNetworks\n"},
	} {
		r := e.run(t, append([]string{"resources", "list"}, tc.args...)...)
		wantCode(t, r, ExitOK)
		if r.stdout != tc.want {
			t.Errorf("resources list %v:\n%q\nwant\n%q", tc.args, r.stdout, tc.want)
		}
	}

	r = e.run(t, "resources", "delete", resVault)
	wantCode(t, r, ExitOK)
	if r.stdout != "deleted "+resVault+"\n" {
		t.Fatalf("delete: %q", r.stdout)
	}
	r = e.run(t, "resources", "delete", resVault, "-o", "json") // already gone: 204, no error
	wantCode(t, r, ExitOK)
	if r.stdout != "" {
		t.Fatalf("delete -o json printed %q", r.stdout)
	}

	r = e.run(t, "resources", "show", resVault, "--api-version", "2024-11-01")
	wantCode(t, r, ExitError)
	contains(t, r.stderr, "(ResourceNotFound): The Resource 'microsoft.keyvault/vaults/kv-web' under resource group 'rg-web' was not found.")
	contains(t, r.stderr, "\nhint: check the resource ID: its name, type and resource group (names are case-insensitive); 'azmsi resources list' shows the resources the identity can see\n")
	if n := strings.Count(r.stderr, "\n"); n != 2 {
		t.Errorf("want the error and one hint line:\n%s", r.stderr)
	}

	var armCalls []string
	for _, l := range a.requests() {
		if !strings.Contains(l, "/resources?") {
			armCalls = append(armCalls, l)
		}
	}
	want := []string{
		"PUT " + resVault + "?api-version=2024-11-01",
		"GET /subscriptions/" + sub1 + "/providers/MICROSOFT.KEYVAULT?api-version=2021-04-01",
		// Keywords canonical, names as given.
		"GET /subscriptions/" + sub1 + "/resourceGroups/RG-WEB/providers/MICROSOFT.KEYVAULT/VAULTS/KV-WEB?api-version=2024-11-01",
		"GET /subscriptions/" + sub1 + "/providers/Microsoft.Authorization?api-version=2021-04-01",
		"GET " + resLock + "?api-version=2020-05-01",
		"GET /subscriptions/" + sub1 + "/providers/Microsoft.KeyVault?api-version=2021-04-01",
		"DELETE " + resVault + "?api-version=2024-11-01",
		"GET /subscriptions/" + sub1 + "/providers/Microsoft.KeyVault?api-version=2021-04-01",
		"DELETE " + resVault + "?api-version=2024-11-01",
		"GET " + resVault + "?api-version=2024-11-01",
	}
	if strings.Join(armCalls, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(armCalls, "\n"), strings.Join(want, "\n"))
	}
}

func TestResourcesListPagesAndFilters(t *testing.T) {
	e, a := newResourceARM(t)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		id := resRG + "/providers/Microsoft.Network/virtualNetworks/" + n
		a.put(id, map[string]any{"id": id, "name": n, "type": "Microsoft.Network/virtualNetworks", "location": "eastus"})
	}
	r := e.run(t, "resources", "list", "-g", "rg-web", "-o", "json", "--query", "length(@)")
	wantCode(t, r, ExitOK)
	if r.stdout != "5\n" {
		t.Fatalf("5 resources over 3 pages: %q", r.stdout)
	}
	var lists []string
	for _, l := range a.requests() {
		if strings.Contains(l, "/resources?") {
			lists = append(lists, l)
		}
	}
	want := []string{
		"GET " + resRG + "/resources?api-version=2021-04-01",
		"GET " + resRG + "/resources?%24skiptoken=2&api-version=2021-04-01",
		"GET " + resRG + "/resources?%24skiptoken=4&api-version=2021-04-01",
	}
	if strings.Join(lists, "\n") != strings.Join(want, "\n") {
		t.Errorf("list requests:\n%s\nwant:\n%s", strings.Join(lists, "\n"), strings.Join(want, "\n"))
	}

	r = e.run(t, "resources", "list", "--tag", "o'k=v 1")
	wantCode(t, r, ExitOK)
	if last := a.requests()[len(a.requests())-1]; last != "GET /subscriptions/"+sub1+"/resources?%24filter=tagName+eq+%27o%27%27k%27+and+tagValue+eq+%27v+1%27&api-version=2021-04-01" {
		t.Errorf("tag filter request %s", last)
	}
}

func TestResourcesAsyncCreateAndDelete(t *testing.T) {
	e, a := newResourceARM(t)
	r := e.run(t, "resources", "create", resWidg, "--api-version", "2024-01-01", "--body", `{"location":"eastus","properties":{"size":3}}`, "-o", "tsv", "--query", "properties.provisioningState")
	wantCode(t, r, ExitOK)
	if r.stdout != "Succeeded\n" {
		t.Fatalf("create waited for %q, want Succeeded", r.stdout)
	}
	r = e.run(t, "resources", "delete", resWidg, "--api-version", "2024-01-01")
	wantCode(t, r, ExitOK)
	low := strings.ToLower(resWidg)
	want := []string{
		"PUT " + resWidg + "?api-version=2024-01-01",
		"GET /ops/put" + low + "?api-version=2024-01-01",
		"GET /ops/put" + low + "?api-version=2024-01-01",
		"GET " + resWidg + "?api-version=2024-01-01",
		"DELETE " + resWidg + "?api-version=2024-01-01",
		"GET /ops/delete" + low + "?api-version=2024-01-01",
		"GET /ops/delete" + low + "?api-version=2024-01-01",
	}
	if got := a.requests(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	a.put(resWidg, map[string]any{"id": resWidg, "name": "w1", "properties": map[string]any{"provisioningState": "Succeeded"}})
	r = e.run(t, "resources", "delete", resWidg, "--api-version", "2024-01-01", "--no-wait")
	wantCode(t, r, ExitOK)
	if r.stdout != "deletion of "+resWidg+" started\n" || strings.Contains(a.requests()[len(a.requests())-1], "/ops/") {
		t.Errorf("--no-wait: %q, last request %s", r.stdout, a.requests()[len(a.requests())-1])
	}
}

func TestResourcesUsageErrors(t *testing.T) {
	e, a := newResourceARM(t)
	bodyFile := filepath.Join(t.TempDir(), "vault.json")
	if err := os.WriteFile(bodyFile, []byte(`["not","an","object"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"resources", "show"}, "azmsi resources show needs the resource ID"},
		{[]string{"resources", "show", "subscriptions/x"}, `invalid resource ID "subscriptions/x": it must start with '/'`},
		{[]string{"resources", "show", "/subscriptions/" + sub1 + "/resourceGroups/rg/vaults/kv"}, `unexpected segment "vaults"`},
		{[]string{"resources", "show", "/subscriptions/<sub>/resourceGroups/rg"}, `resource ID "/subscriptions/<sub>/resourceGroups/rg" is not usable`},
		{[]string{"resources", "delete", resVNet + "/providers/Microsoft.Authorization"}, `provider "Microsoft.Authorization" needs a resource type and name`},
		{[]string{"resources", "create", resVault, "--body", "{}"}, "--api-version is required"},
		{[]string{"resources", "create", resVault, "--api-version", "2024-11-01"}, "--body is required"},
		{[]string{"resources", "create", resVault, "--api-version", "2024-11-01", "--body", "{nope"}, "--body is not valid JSON"},
		{[]string{"resources", "create", resVault, "--api-version", "2024-11-01", "--body", "@" + bodyFile}, "--body must be a JSON object"},
		{[]string{"resources", "list", "--resource-type", "vaults"}, `--resource-type "vaults": want NAMESPACE/TYPE`},
		{[]string{"resources", "list", "--resource-type", "A.B/c", "--tag", "x=y"}, "--tag cannot be combined with --resource-type"},
		{[]string{"resources", "list", "--tag", "=v"}, `--tag "=v": want NAME=VALUE`},
		{[]string{"resources", "list", "-g", "a/b"}, `resource group name "a/b" must not contain '/'`},
		{[]string{"resources", "list", "-o", "yaml"}, `unknown output format "yaml"`},
		{[]string{"resources", "list", "extra"}, ""},
	} {
		r := e.run(t, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: want exit 2 and %q, got %s", tc.args, tc.want, r)
		}
	}
	if got := a.requests(); len(got) != 0 {
		t.Errorf("usage errors sent requests: %v", got)
	}
}

func TestResourcesAPIVersionNotFound(t *testing.T) {
	e, a := newResourceARM(t)
	r := e.run(t, "resources", "show", resRG+"/providers/Microsoft.KeyVault/managedHSMs/h1")
	wantCode(t, r, ExitError)
	contains(t, r.stderr, `azmsi: arm: provider Microsoft.KeyVault lists no api-version for resource type "managedHSMs"; pass the api-version yourself`)
	contains(t, r.stderr, "\nhint: pass --api-version with a version the provider of Microsoft.KeyVault/managedHSMs supports\n")
	r = e.run(t, "resources", "show", resRG+"/providers/Nope.Nope/things/t1")
	wantCode(t, r, ExitError)
	contains(t, r.stderr, "finding an api-version for Nope.Nope/things")
	contains(t, r.stderr, "(InvalidResourceNamespace)")
	if n := len(a.requests()); n != 2 {
		t.Errorf("%d requests, want the two provider reads: %v", n, a.requests())
	}
}
