package arm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeARM is a small generic-resource ARM for these tests: resources by
// lower-cased ID, PUT/GET/PATCH/DELETE, lists with resourceType and tag
// filters and $top paging. Types listed in async answer PUT with
// Azure-AsyncOperation and DELETE with Location, each needing two polls.
type fakeARM struct {
	t     *testing.T
	base  func() string // the server's URL, for absolute links
	async map[string]bool

	mu        sync.Mutex
	resources map[string]map[string]any
	ops       map[string]int // operation → polls left
	log       []string       // "METHOD path?query" of every request
}

func newFakeARM(t *testing.T, async ...string) *fakeARM {
	f := &fakeARM{t: t, async: map[string]bool{}, resources: map[string]map[string]any{}, ops: map[string]int{}}
	for _, a := range async {
		f.async[strings.ToLower(a)] = true
	}
	return f
}

func (f *fakeARM) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *fakeARM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery)
	if r.URL.Query().Get("api-version") == "" {
		armError(w, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	path := strings.ToLower(r.URL.Path)
	switch {
	case strings.HasPrefix(path, "/operations/"):
		f.poll(w, r, path)
	case strings.HasSuffix(path, "/resources") && r.Method == http.MethodGet:
		f.list(w, r, strings.TrimSuffix(path, "/resources"))
	default:
		f.resource(w, r, path)
	}
}

func (f *fakeARM) poll(w http.ResponseWriter, r *http.Request, path string) {
	left, ok := f.ops[path]
	if !ok {
		armError(w, 404, "NotFound", "no operation "+path)
		return
	}
	if left > 0 {
		f.ops[path] = left - 1
		w.Header().Set("Retry-After", "3")
		if strings.Contains(path, "/delete/") {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		writeJSON(w, 200, `{"status":"InProgress"}`)
		return
	}
	if strings.Contains(path, "/delete/") {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	id := strings.TrimPrefix(path, "/operations/put")
	if props, ok := f.resources[id]["properties"].(map[string]any); ok {
		props["provisioningState"] = "Succeeded"
	}
	writeJSON(w, 200, `{"status":"Succeeded"}`)
}

func typeOf(id string) string {
	rid, err := ParseResourceID(id)
	if err != nil {
		return ""
	}
	return strings.ToLower(rid.Type())
}

func (f *fakeARM) resource(w http.ResponseWriter, r *http.Request, id string) {
	rid, err := ParseResourceID(r.URL.Path)
	if err != nil || rid.Namespace == "" {
		armError(w, 400, "InvalidResourceId", "bad id "+r.URL.Path)
		return
	}
	res := f.resources[id]
	switch r.Method {
	case http.MethodGet:
		if res == nil {
			armError(w, 404, "ResourceNotFound", fmt.Sprintf("The Resource '%s' under resource group '%s' was not found.", rid.Type()+"/"+rid.Name(), rid.ResourceGroup))
			return
		}
		b, _ := json.Marshal(res)
		writeJSON(w, 200, string(b))
	case http.MethodPut:
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			armError(w, 400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
			return
		}
		status := http.StatusOK
		if res == nil {
			status = http.StatusCreated
		}
		body["id"], body["name"], body["type"] = rid.String(), rid.Name(), rid.Type()
		state := "Succeeded"
		if f.async[typeOf(id)] {
			state = "Creating"
			op := "/operations/put" + id
			f.ops[op] = 2
			w.Header().Set("Azure-AsyncOperation", f.base()+op+"?api-version=2024-01-01")
			w.Header().Set("Retry-After", "10")
			status = http.StatusCreated
		}
		props, _ := body["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		props["provisioningState"] = state
		body["properties"] = props
		f.resources[id] = body
		b, _ := json.Marshal(body)
		writeJSON(w, status, string(b))
	case http.MethodPatch:
		if res == nil {
			armError(w, 404, "ResourceNotFound", "not found")
			return
		}
		var body struct {
			Tags map[string]string `json:"tags"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			armError(w, 400, "InvalidRequestContent", "bad body")
			return
		}
		tags := map[string]any{}
		for k, v := range body.Tags {
			tags[k] = v
		}
		res["tags"] = tags
		b, _ := json.Marshal(res)
		writeJSON(w, 200, string(b))
	case http.MethodDelete:
		if res == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		delete(f.resources, id)
		if f.async[typeOf(id)] {
			op := "/operations/delete" + id
			f.ops[op] = 2
			w.Header().Set("Location", f.base()+op+"?api-version=2024-01-01")
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.WriteHeader(http.StatusOK)
	default:
		armError(w, 405, "MethodNotAllowed", r.Method)
	}
}

// list serves {scope}/resources: $filter "resourceType eq 'T'" or
// "tagName eq 'N' [and tagValue eq 'V']", $top page size, $skiptoken.
func (f *fakeARM) list(w http.ResponseWriter, r *http.Request, scope string) {
	q := r.URL.Query()
	var wantType, tagName, tagValue string
	hasValue := false
	if flt := q.Get("$filter"); flt != "" {
		for _, part := range strings.Split(flt, " and ") {
			k, v, ok := strings.Cut(part, " eq ")
			if !ok || len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
				armError(w, 400, "InvalidFilterInQueryString", "bad filter "+flt)
				return
			}
			v = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
			switch k {
			case "resourceType":
				wantType = strings.ToLower(v)
			case "tagName":
				tagName = v
			case "tagValue":
				tagValue, hasValue = v, true
			default:
				armError(w, 400, "InvalidFilterInQueryString", "bad filter "+flt)
				return
			}
		}
	}
	var ids []string
	for id, res := range f.resources {
		if !strings.HasPrefix(id, scope+"/") || (wantType != "" && typeOf(id) != wantType) {
			continue
		}
		if tagName != "" {
			tags, _ := res["tags"].(map[string]any)
			v, ok := tags[tagName]
			if !ok || (hasValue && v != tagValue) {
				continue
			}
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	top, _ := strconv.Atoi(q.Get("$top"))
	if top <= 0 {
		top = 100
	}
	skip, _ := strconv.Atoi(q.Get("$skiptoken"))
	page := []any{}
	for i := skip; i < len(ids) && i < skip+top; i++ {
		res := map[string]any{}
		for k, v := range f.resources[ids[i]] {
			if k != "properties" { // lists leave properties out
				res[k] = v
			}
		}
		if strings.Contains(q.Get("$expand"), "createdTime") {
			res["createdTime"] = "2026-01-01T12:00:00Z"
		}
		page = append(page, res)
	}
	out := map[string]any{"value": page}
	if skip+top < len(ids) {
		next := r.URL.Query()
		next.Set("$skiptoken", strconv.Itoa(skip+top))
		out["nextLink"] = f.base() + r.URL.Path + "?" + next.Encode()
	}
	b, _ := json.Marshal(out)
	writeJSON(w, 200, string(b))
}

const (
	rgID    = "/subscriptions/s1/resourceGroups/rg1"
	vaultID = rgID + "/providers/Microsoft.KeyVault/vaults/kv1"
	vnetID  = rgID + "/providers/Microsoft.Network/virtualNetworks/vnet1"
)

func newFakeEnv(t *testing.T, async ...string) (*testEnv, *fakeARM) {
	f := newFakeARM(t, async...)
	e := newTLSEnv(t, f, nil)
	f.base = func() string { return e.srv.URL }
	return e, f
}

func TestResourceLifecycle(t *testing.T) {
	e, f := newFakeEnv(t)
	ctx := context.Background()

	r, err := e.c.CreateOrUpdateResource(ctx, vaultID, "2024-11-01", []byte(`{"location":"eastus","tags":{"env":"dev"},"properties":{"sku":{"name":"standard"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != vaultID || r.Name != "kv1" || r.Type != "Microsoft.KeyVault/vaults" || r.Location != "eastus" || r.Tags["env"] != "dev" || r.State() != "Succeeded" {
		t.Fatalf("created %+v", r)
	}
	if _, err := e.c.CreateOrUpdateResource(ctx, vnetID, "2024-05-01", []byte(`{"location":"westus"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.CreateOrUpdateResource(ctx, vnetID+"/subnets/default", "2024-05-01", []byte(`{"properties":{"addressPrefix":"10.0.0.0/24"}}`)); err != nil {
		t.Fatal(err)
	}

	got, err := e.c.GetResource(ctx, strings.ToUpper(vaultID), "2024-11-01")
	if err != nil || got.Name != "kv1" || !strings.Contains(string(got.Raw), `"sku":{"name":"standard"}`) {
		t.Fatalf("get: %+v %v", got, err)
	}

	got, err = e.c.UpdateResourceTags(ctx, vaultID, "2024-11-01", map[string]string{"env": "prod", "owner": "ops"})
	if err != nil || got.Tags["env"] != "prod" || got.Tags["owner"] != "ops" || len(got.Tags) != 2 {
		t.Fatalf("tags: %+v %v", got.Tags, err)
	}

	names := func(o *ListResourcesOptions) string {
		t.Helper()
		var out []string
		for r, err := range e.c.Resources(ctx, "s1", o) {
			if err != nil {
				t.Fatalf("list %+v: %v", o, err)
			}
			out = append(out, r.Name)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		o    *ListResourcesOptions
		want string
	}{
		{nil, "kv1 vnet1 default"},
		{&ListResourcesOptions{ResourceGroup: "rg1", Top: 1}, "kv1 vnet1 default"}, // three pages
		{&ListResourcesOptions{Filter: ResourceTypeFilter("Microsoft.Network/virtualNetworks")}, "vnet1"},
		{&ListResourcesOptions{Filter: TagFilter("env", "prod")}, "kv1"},
		{&ListResourcesOptions{Filter: TagFilter("env", "dev")}, ""},
		{&ListResourcesOptions{Filter: TagNameFilter("owner")}, "kv1"},
		{&ListResourcesOptions{ResourceGroup: "other"}, ""},
	} {
		if got := names(tc.o); got != tc.want {
			t.Errorf("list %+v: %q, want %q", tc.o, got, tc.want)
		}
	}

	p, err := e.c.BeginDeleteResource(ctx, vaultID, "2024-11-01")
	if err != nil || !p.Done() {
		t.Fatalf("delete: %v done %v", err, p != nil && p.Done())
	}
	p, err = e.c.BeginDeleteResource(ctx, vaultID, "2024-11-01") // gone: 204
	if err != nil || !p.Done() {
		t.Fatalf("second delete: %v", err)
	}
	if resp, _ := p.Result(); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("second delete status %d, want 204", resp.StatusCode)
	}
	_, err = e.c.GetResource(ctx, vaultID, "2024-11-01")
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 || re.Code != "ResourceNotFound" {
		t.Fatalf("get after delete: %v", err)
	}
	if len(e.sleep.got()) != 0 {
		t.Fatalf("synchronous operations waited: %v", e.sleep.got())
	}
	if n := len(f.requests()); n != 17 {
		t.Errorf("%d requests, want 17:\n%s", n, strings.Join(f.requests(), "\n"))
	}
}

func TestResourceAsyncCreateAndDelete(t *testing.T) {
	e, f := newFakeEnv(t, "Contoso.Widgets/widgets")
	ctx := context.Background()
	const id = rgID + "/providers/Contoso.Widgets/widgets/w1"

	r, err := e.c.CreateOrUpdateResource(ctx, id, "2024-01-01", []byte(`{"location":"eastus","properties":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.State() != "Succeeded" || r.Name != "w1" {
		t.Fatalf("after the operation: %+v state %q", r, r.State())
	}
	// 10s from the PUT, then 3s, 3s from the two running polls; then the
	// final GET of the resource.
	if w := fmt.Sprint(e.sleep.got()); w != "[10s 3s 3s]" {
		t.Errorf("waits %s, want [10s 3s 3s]", w)
	}
	p, err := e.c.BeginDeleteResource(ctx, id, "2024-01-01")
	if err != nil || p.Done() {
		t.Fatalf("delete: %v done %v", err, p != nil && p.Done())
	}
	resp, err := p.Wait(ctx)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete wait: %v %v", resp, err)
	}
	want := []string{
		"PUT /subscriptions/s1/resourceGroups/rg1/providers/Contoso.Widgets/widgets/w1?api-version=2024-01-01",
		"GET /operations/put/subscriptions/s1/resourcegroups/rg1/providers/contoso.widgets/widgets/w1?api-version=2024-01-01",
		"GET /operations/put/subscriptions/s1/resourcegroups/rg1/providers/contoso.widgets/widgets/w1?api-version=2024-01-01",
		"GET /operations/put/subscriptions/s1/resourcegroups/rg1/providers/contoso.widgets/widgets/w1?api-version=2024-01-01",
		"GET /subscriptions/s1/resourceGroups/rg1/providers/Contoso.Widgets/widgets/w1?api-version=2024-01-01",
		"DELETE /subscriptions/s1/resourceGroups/rg1/providers/Contoso.Widgets/widgets/w1?api-version=2024-01-01",
		"GET /operations/delete/subscriptions/s1/resourcegroups/rg1/providers/contoso.widgets/widgets/w1?api-version=2024-01-01",
		"GET /operations/delete/subscriptions/s1/resourcegroups/rg1/providers/contoso.widgets/widgets/w1?api-version=2024-01-01",
		"GET /operations/delete/subscriptions/s1/resourcegroups/rg1/providers/contoso.widgets/widgets/w1?api-version=2024-01-01",
	}
	if got := f.requests(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAsyncCreateFailed(t *testing.T) {
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.Header().Set("Azure-AsyncOperation", "https://"+r.Host+"/op?api-version=1")
			w.Header().Set("Retry-After", "0")
			writeJSON(w, 201, `{"properties":{"provisioningState":"Creating"}}`)
			return
		}
		writeJSON(w, 200, `{"status":"Failed","error":{"code":"QuotaExceeded","message":"no more widgets in eastus"}}`)
	}), nil)
	_, err := e.c.CreateOrUpdateResource(context.Background(), rgID+"/providers/Contoso.Widgets/widgets/w1", "2024-01-01", []byte(`{}`))
	var re *ResponseError
	if !errors.As(err, &re) || re.OperationStatus != "Failed" || re.Code != "QuotaExceeded" || !strings.Contains(err.Error(), "no more widgets in eastus") {
		t.Fatalf("err %v", err)
	}
}

func TestResourceRequestURLs(t *testing.T) {
	var got []string
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery)
		if strings.HasSuffix(r.URL.Path, "/resources") {
			writeJSON(w, 200, `{"value":[]}`)
			return
		}
		writeJSON(w, 200, `{"name":"x"}`)
	}), nil)
	ctx := context.Background()
	lock := vnetID + "/subnets/default/providers/Microsoft.Authorization/locks/no delete"
	for _, id := range []string{lock, "/providers/Microsoft.Management/managementGroups/mg1", "/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/ra1"} {
		if _, err := e.c.GetResource(ctx, id, "2020-05-01"); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = e.c.ResourcePages("s1", &ListResourcesOptions{Filter: ResourceTypeFilter("Microsoft.KeyVault/vaults"), Expand: "createdTime,changedTime", Top: 5}).Collect(ctx)
	_, _ = e.c.ResourcePages("s1", &ListResourcesOptions{ResourceGroup: "rg 1", Filter: TagFilter("o'k", "v"), APIVersion: "2025-04-01"}).Collect(ctx)
	want := []string{
		"GET /subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/default/providers/Microsoft.Authorization/locks/no%20delete?api-version=2020-05-01",
		"GET /providers/Microsoft.Management/managementGroups/mg1?api-version=2020-05-01",
		"GET /subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/ra1?api-version=2020-05-01",
		"GET /subscriptions/s1/resources?%24expand=createdTime%2CchangedTime&%24filter=resourceType+eq+%27Microsoft.KeyVault%2Fvaults%27&%24top=5&api-version=2021-04-01",
		"GET /subscriptions/s1/resourceGroups/rg%201/resources?%24filter=tagName+eq+%27o%27%27k%27+and+tagValue+eq+%27v%27&api-version=2025-04-01",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestResourceInputErrors(t *testing.T) {
	var requests int
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests++ }), nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"no api-version", func() error { _, err := e.c.GetResource(ctx, vaultID, " "); return err },
			"no api-version for Microsoft.KeyVault/vaults; pass the resource provider's api-version"},
		{"api-version with a query", func() error { _, err := e.c.GetResource(ctx, vaultID, "2024-01-01&x=1"); return err },
			`api-version "2024-01-01&x=1" for Microsoft.KeyVault/vaults is not of the form YYYY-MM-DD[-preview]`},
		{"bad ID", func() error { _, err := e.c.GetResource(ctx, "/subscriptions/s1/vaults/kv1", "2024-01-01"); return err },
			`unexpected segment "vaults"`},
		{"dot-dot segment", func() error { _, err := e.c.GetResource(ctx, rgID+"/providers/A.B/t/..", "2024-01-01"); return err },
			`has the segment "..", which would not stay one path segment`},
		{"body not an object", func() error {
			_, err := e.c.CreateOrUpdateResource(ctx, vaultID, "2024-01-01", []byte(`[1]`))
			return err
		},
			"the resource body must be a JSON object"},
		{"body null", func() error {
			_, err := e.c.CreateOrUpdateResource(ctx, vaultID, "2024-01-01", []byte(`null`))
			return err
		},
			"the resource body must be a JSON object"},
		{"negative top", func() error {
			_, err := e.c.ResourcePages("s1", &ListResourcesOptions{Top: -1}).Collect(ctx)
			return err
		},
			"ListResourcesOptions.Top is -1"},
		{"group with a slash", func() error {
			_, err := e.c.ResourcePages("s1", &ListResourcesOptions{ResourceGroup: "a/b"}).Collect(ctx)
			return err
		}, `resource group name "a/b" must not contain '/'`},
	} {
		err := tc.call()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
	}
	if requests != 0 {
		t.Fatalf("%d requests sent for bad input", requests)
	}
}

func TestResourceAPIVersion(t *testing.T) {
	var requests []string
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests = append(requests, r.URL.Path+"?"+r.URL.RawQuery)
		switch strings.ToLower(r.URL.Path) {
		case "/subscriptions/s1/providers/microsoft.network":
			writeJSON(w, 200, `{"namespace":"Microsoft.Network","resourceTypes":[
				{"resourceType":"virtualNetworks","apiVersions":["2023-09-01","2024-05-01","2024-07-01-preview","2019-02-01"]},
				{"resourceType":"virtualNetworks/subnets","apiVersions":["2024-01-01-preview","2023-01-01-preview"]},
				{"resourceType":"dnszones","apiVersions":[]}]}`)
		case "/providers/microsoft.management":
			writeJSON(w, 200, `{"namespace":"Microsoft.Management","resourceTypes":[{"resourceType":"managementGroups","apiVersions":["2021-04-01","2023-04-01"]}]}`)
		default:
			armError(w, 404, "InvalidResourceNamespace", "The resource namespace is invalid.")
		}
	}), nil)
	ctx := context.Background()
	for _, tc := range []struct{ id, want, wantErr string }{
		{vnetID, "2024-05-01", ""},
		{strings.ToUpper(vnetID) + "/SUBNETS/default", "2024-01-01-preview", ""},
		{"/providers/Microsoft.Management/managementGroups/mg1", "2023-04-01", ""},
		{rgID, "2021-04-01", ""},
		{"/subscriptions/s1", "2022-12-01", ""},
		{rgID + "/providers/Microsoft.Network/dnszones/z", "", `provider Microsoft.Network lists no api-version for resource type "dnszones"; pass the api-version yourself`},
		{rgID + "/providers/Microsoft.Network/publicIPAddresses/ip", "", `lists no api-version for resource type "publicIPAddresses"`},
		{rgID + "/providers/Nope.Nope/t/n", "", "finding an api-version for Nope.Nope/t: arm: GET"},
	} {
		v, err := e.c.ResourceAPIVersion(ctx, tc.id)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: %q, %v; want error %q", tc.id, v, err, tc.wantErr)
			}
			continue
		}
		if err != nil || v != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.id, v, err, tc.want)
		}
	}
	if n := len(requests); n != 6 { // none for the group and the subscription
		t.Errorf("%d requests: %v", n, requests)
	}
	if requests[0] != "/subscriptions/s1/providers/Microsoft.Network?api-version=2021-04-01" {
		t.Errorf("provider request %s", requests[0])
	}
}

func TestResourceKeepsRaw(t *testing.T) {
	var r Resource
	in := `{"id":"/x","name":"n","kind":"k","sku":{"name":"S1","capacity":2},"identity":{"type":"UserAssigned","userAssignedIdentities":{"/id":{"clientId":"c"}}},"futureField":{"a":1},"provisioningState":"Updating"}`
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if string(r.Raw) != in || r.Kind != "k" || r.SKU.Name != "S1" || *r.SKU.Capacity != 2 || r.Identity.UserAssignedIdentities["/id"].ClientID != "c" || r.State() != "Updating" {
		t.Fatalf("%+v", r)
	}
	if err := json.Unmarshal([]byte(`{"properties":{"provisioningState":"Succeeded"},"provisioningState":"Updating"}`), &r); err != nil || r.State() != "Succeeded" {
		t.Fatalf("state %q %v", r.State(), err)
	}
	if err := json.Unmarshal([]byte(`{"name":5}`), &r); err == nil {
		t.Fatal("a number for name accepted")
	}
}

// A PUT answered without polling headers but with a non-terminal
// provisioningState is followed by reading the resource until the state
// ends, as azcore's body poller does.
func TestCreateFollowsProvisioningState(t *testing.T) {
	for _, tc := range []struct {
		name    string
		states  []string // what each GET after the PUT reports
		wantErr string
		gets    int
	}{
		{"succeeds", []string{"Creating", "Provisioning", "Succeeded"}, "", 3},
		{"fails", []string{"Creating", "Failed"}, "long-running operation ended Failed: the resource's provisioningState is Failed", 2},
		{"canceled", []string{"canceled"}, "ended canceled", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			gets := 0
			e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if r.Method == http.MethodPut {
					writeJSON(w, 201, `{"name":"w1","properties":{"provisioningState":"Accepted"}}`)
					return
				}
				st := tc.states[min(gets, len(tc.states)-1)]
				gets++
				w.Header().Set("Retry-After", "2")
				writeJSON(w, 200, `{"name":"w1","properties":{"provisioningState":"`+st+`","size":3}}`)
			}), nil)
			r, err := e.c.CreateOrUpdateResource(context.Background(), rgID+"/providers/Contoso.Widgets/widgets/w1", "2024-01-01", []byte(`{"location":"eastus"}`))
			mu.Lock()
			defer mu.Unlock()
			if gets != tc.gets {
				t.Errorf("%d GETs, want %d", gets, tc.gets)
			}
			if tc.wantErr != "" {
				var re *ResponseError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.wantErr) || re.OperationStatus == "" {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || r.State() != "Succeeded" || !strings.Contains(string(r.Properties), `"size":3`) {
				t.Fatalf("%+v %v", r, err)
			}
			// PollInterval (5s) before the first read, then the server's 2s.
			if w := fmt.Sprint(e.sleep.got()); w != "[5s 2s 2s]" {
				t.Errorf("waits %s", w)
			}
		})
	}
}

func TestBodyPollerResumes(t *testing.T) {
	var e *testEnv
	state := "Updating"
	e = newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"properties":{"provisioningState":"`+state+`"}}`)
	}), nil)
	ctx := context.Background()
	resp, err := e.c.Do(ctx, http.MethodPatch, rgID+"/providers/A.B/t/n", "2024-01-01", []byte(`{"tags":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.c.PollerFromResponse(resp)
	if err != nil || p.Done() {
		t.Fatalf("a PATCH still Updating is not done: %v", err)
	}
	tok, err := p.ResumeToken()
	if err != nil {
		t.Fatal(err)
	}
	state = "Succeeded"
	p2, err := e.c.ResumePoller(tok)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := p2.Wait(ctx); err != nil || !strings.Contains(string(r.Body), "Succeeded") {
		t.Fatalf("resumed: %v %v", r, err)
	}
	// A DELETE's body says nothing about the deletion: done at once.
	resp.Method = http.MethodDelete
	if p, err := e.c.PollerFromResponse(resp); err != nil || !p.Done() {
		t.Fatalf("DELETE with a body state: %v", err)
	}
}
