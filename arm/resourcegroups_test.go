package arm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// fakeGroups is a minimal in-test ARM for one subscription's groups.
type fakeGroups struct {
	mu     sync.Mutex
	groups map[string]ResourceGroup // key: lower-case name
	last   *http.Request
}

func (f *fakeGroups) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = r.Clone(context.Background())
	if r.URL.Query().Get("api-version") != ResourceGroupsAPIVersion {
		armError(w, 400, "InvalidApiVersionParameter", "bad api-version")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 3 || parts[0] != "subscriptions" || parts[1] != "s1" || parts[2] != "resourcegroups" {
		armError(w, 404, "SubscriptionNotFound", "The subscription 'x' could not be found.")
		return
	}
	if len(parts) == 3 {
		var vals []ResourceGroup
		for _, g := range f.groups {
			vals = append(vals, g)
		}
		b, _ := json.Marshal(map[string]any{"value": vals})
		writeJSON(w, 200, string(b))
		return
	}
	name := parts[3]
	key := strings.ToLower(name)
	g, ok := f.groups[key]
	switch r.Method {
	case "HEAD":
		if ok {
			w.WriteHeader(204)
		} else {
			w.WriteHeader(404)
		}
	case "GET":
		if !ok {
			armError(w, 404, "ResourceGroupNotFound", "Resource group '"+name+"' could not be found.")
			return
		}
		b, _ := json.Marshal(g)
		writeJSON(w, 200, string(b))
	case "PUT":
		var in ResourceGroup
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Location == "" {
			armError(w, 400, "InvalidRequestContent", "bad body")
			return
		}
		status := 201
		if ok {
			if !strings.EqualFold(g.Location, in.Location) {
				armError(w, 409, "InvalidResourceGroupLocation", "Invalid resource group location '"+in.Location+"'.")
				return
			}
			status = 200
		}
		g = ResourceGroup{ID: "/subscriptions/s1/resourceGroups/" + name, Name: name, Type: "Microsoft.Resources/resourceGroups",
			Location: in.Location, Tags: in.Tags, ManagedBy: in.ManagedBy, Properties: ResourceGroupProperties{"Succeeded"}}
		f.groups[key] = g
		b, _ := json.Marshal(g)
		writeJSON(w, status, string(b))
	case "PATCH":
		if !ok {
			armError(w, 404, "ResourceGroupNotFound", "not found")
			return
		}
		var in struct{ Tags map[string]string }
		json.NewDecoder(r.Body).Decode(&in)
		g.Tags = in.Tags
		f.groups[key] = g
		b, _ := json.Marshal(g)
		writeJSON(w, 200, string(b))
	case "DELETE":
		delete(f.groups, key)
		w.WriteHeader(200)
	}
}

func TestResourceGroupLifecycle(t *testing.T) {
	f := &fakeGroups{groups: map[string]ResourceGroup{}}
	e := newTLSEnv(t, f, nil)
	ctx := context.Background()

	if ok, err := e.c.ResourceGroupExists(ctx, "s1", "rg1"); ok || err != nil {
		t.Fatalf("exists before create: %v %v", ok, err)
	}
	rg, created, err := e.c.CreateOrUpdateResourceGroup(ctx, "s1", "rg1", ResourceGroup{Location: "eastus", Tags: map[string]string{"tag1": "value1"}})
	if err != nil || !created || rg.Name != "rg1" || rg.Properties.ProvisioningState != "Succeeded" {
		t.Fatalf("create: %+v %v %v", rg, created, err)
	}
	if f.last.Method != "PUT" || f.last.URL.Path != "/subscriptions/s1/resourcegroups/rg1" {
		t.Errorf("create request %s %s", f.last.Method, f.last.URL)
	}
	if _, created, err = e.c.CreateOrUpdateResourceGroup(ctx, "s1", "RG1", ResourceGroup{Location: "eastus"}); err != nil || created {
		t.Fatalf("update: %v %v", created, err)
	}
	_, _, err = e.c.CreateOrUpdateResourceGroup(ctx, "s1", "rg1", ResourceGroup{Location: "westus"})
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != 409 || re.Code != "InvalidResourceGroupLocation" {
		t.Fatalf("location change: %v", err)
	}
	if _, _, err := e.c.CreateOrUpdateResourceGroup(ctx, "s1", "rg1", ResourceGroup{}); err == nil || !strings.Contains(err.Error(), "location is required") {
		t.Fatalf("no location: %v", err)
	}
	if ok, err := e.c.ResourceGroupExists(ctx, "s1", "rg1"); !ok || err != nil {
		t.Fatalf("exists: %v %v", ok, err)
	}
	rg, err = e.c.UpdateResourceGroupTags(ctx, "s1", "rg1", map[string]string{"tag1": "value1", "tag2": "value2"})
	if err != nil || len(rg.Tags) != 2 || f.last.Method != "PATCH" {
		t.Fatalf("patch: %+v %v", rg, err)
	}
	got, err := e.c.GetResourceGroup(ctx, "s1", "rg1")
	if err != nil || got.Tags["tag2"] != "value2" || got.Location != "eastus" {
		t.Fatalf("get: %+v %v", got, err)
	}
	var names []string
	for g, err := range e.c.ResourceGroups(ctx, "s1", nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, g.Name)
	}
	if len(names) != 1 || !strings.EqualFold(names[0], "rg1") {
		t.Fatalf("list %v", names)
	}
	p, err := e.c.BeginDeleteResourceGroup(ctx, "s1", "rg1")
	if err != nil || !p.Done() {
		t.Fatalf("delete: %v", err)
	}
	_, err = e.c.GetResourceGroup(ctx, "s1", "rg1")
	if !errors.As(err, &re) || re.Code != "ResourceGroupNotFound" || !strings.Contains(err.Error(), "hint:") {
		t.Fatalf("get after delete: %v", err)
	}
	_, err = e.c.GetResourceGroup(ctx, "nope", "rg1")
	if !errors.As(err, &re) || re.Code != "SubscriptionNotFound" {
		t.Fatalf("unknown sub: %v", err)
	}
}

func TestResourceGroupExistsOddStatus(t *testing.T) {
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/forbidden") {
			armError(w, 403, "AuthorizationFailed", "x")
			return
		}
		w.WriteHeader(200)
	}), nil)
	if ok, err := e.c.ResourceGroupExists(context.Background(), "s", "rg"); ok || err == nil || !strings.Contains(err.Error(), "204 or 404") {
		t.Fatalf("200 on HEAD: %v %v", ok, err)
	}
	if _, err := e.c.ResourceGroupExists(context.Background(), "s", "forbidden"); err == nil {
		t.Fatal("403 on HEAD should be an error")
	}
}

func TestListGroupsOptionsAndValidation(t *testing.T) {
	var q atomicQuery
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q.set(r.URL.RawQuery)
		writeJSON(w, 200, `{"value":[]}`)
	}), nil)
	ctx := context.Background()
	for _, err := range e.c.ResourceGroups(ctx, "s", &ListGroupsOptions{Filter: TagFilter("env", "o'brien"), Top: 5}) {
		t.Fatal(err)
	}
	got := q.get()
	for _, want := range []string{"%24filter=tagName+eq+%27env%27+and+tagValue+eq+%27o%27%27brien%27", "%24top=5", "api-version=2021-04-01"} {
		if !strings.Contains(got, want) {
			t.Errorf("query %q lacks %q", got, want)
		}
	}
	for _, bad := range []struct{ sub, name string }{{"", "rg"}, {"s", ""}, {"s/../x", "rg"}, {"s", "a/b"}, {"s", "a?b"}, {"s", ".."}} {
		if _, err := e.c.GetResourceGroup(ctx, bad.sub, bad.name); err == nil {
			t.Errorf("GetResourceGroup(%q, %q) accepted", bad.sub, bad.name)
		}
	}
	if _, err := e.c.ResourceGroupPages("s", &ListGroupsOptions{Top: -1}).Collect(ctx); err == nil {
		t.Error("negative Top accepted")
	}
	if _, err := e.c.GetSubscription(ctx, "a/b"); err == nil {
		t.Error("bad subscription id accepted")
	}
}

type atomicQuery struct {
	mu sync.Mutex
	s  string
}

func (a *atomicQuery) set(s string) { a.mu.Lock(); a.s = s; a.mu.Unlock() }
func (a *atomicQuery) get() string  { a.mu.Lock(); defer a.mu.Unlock(); return a.s }

func TestSubscriptionsFromSpecVector(t *testing.T) {
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"value":[{"id":"/subscriptions/291bba3f-e0a5-47bc-a099-3bdcb2a50a05","authorizationSource":"RoleBased",
  "managedByTenants":[{"tenantId":"8f70baf1-1f6e-46a2-a1ff-238dac1ebfb7"}],"subscriptionId":"291bba3f-e0a5-47bc-a099-3bdcb2a50a05",
  "tenantId":"31c75423-32d6-4322-88b7-c478bdde4858","displayName":"Example Subscription","state":"Enabled",
  "subscriptionPolicies":{"locationPlacementId":"Internal_2014-09-01","quotaId":"Internal_2014-09-01","spendingLimit":"Off"},
  "tags":{"tagKey1":"tagValue1"}}]}`)
	}), nil)
	var subs []Subscription
	for s, err := range e.c.Subscriptions(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	s := subs[0]
	if len(subs) != 1 || s.DisplayName != "Example Subscription" || s.ManagedByTenants[0].TenantID != "8f70baf1-1f6e-46a2-a1ff-238dac1ebfb7" ||
		s.SubscriptionPolicies.SpendingLimit != "Off" || s.Tags["tagKey1"] != "tagValue1" || s.AuthorizationSource != "RoleBased" {
		t.Fatalf("%+v", subs)
	}
}
