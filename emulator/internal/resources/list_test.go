package resources

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// seed puts n widgets in rg1 (even) and rg2 (odd), plus one vault and one
// untracked child, and returns the widgets' ids in list (id) order.
func seed(e *env, n int) {
	e.t.Helper()
	for i := range n {
		rg := []string{"rg1", "rg2"}[i%2]
		loc := []string{"eastus", "westeurope"}[i%3%2]
		id := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Contoso.Widgets/widgets/w%03d", sub1, rg, i)
		e.must("PUT", id, fmt.Sprintf(`{"location":%q,"tags":{"n":"%d","Team":"t%d"}}`, loc, i, i%4), 201)
	}
	e.must("PUT", rg1+"/providers/Microsoft.KeyVault/vaults/kv1?api-version=2024-11-01", `{"location":"eastus","tags":{"Team":"t1"}}`, 201)
	e.must("PUT", rg1+"/providers/Contoso.Widgets/widgets/w000/gears/g1", `{}`, 201)
}

// listAll follows nextLinks and returns every item's id and the pages seen.
func listAll(e *env, path string) (ids []string, pages int, items []map[string]any) {
	e.t.Helper()
	for path != "" {
		r := e.must("GET", path, "", 200)
		var page struct {
			Value    []map[string]any `json:"value"`
			NextLink string           `json:"nextLink"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			e.t.Fatal(err)
		}
		pages++
		for _, v := range page.Value {
			ids = append(ids, v["id"].(string))
			items = append(items, v)
		}
		path = strings.TrimPrefix(page.NextLink, "http://arm.test")
		if pages > 1000 {
			e.t.Fatal("paging does not end")
		}
	}
	return ids, pages, items
}

func TestListResources(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.PageSize = 7 })
	seed(e, 40)
	base := "/subscriptions/" + sub1 + "/resources?api-version=2025-04-01"
	ids, pages, items := listAll(e, base)
	if len(ids) != 41 || pages != 6 {
		t.Fatalf("%d resources in %d pages, want 41 in 6", len(ids), pages)
	}
	for i := 1; i < len(ids); i++ {
		if strings.ToLower(ids[i-1]) >= strings.ToLower(ids[i]) {
			t.Fatalf("not in id order: %s then %s", ids[i-1], ids[i])
		}
	}
	for _, it := range items {
		if _, ok := it["properties"]; ok {
			t.Fatal("list items carry properties")
		}
		if strings.Contains(it["id"].(string), "/gears/") {
			t.Fatal("an untracked child was listed")
		}
	}
	q := func(kv ...string) string {
		v := url.Values{"api-version": {"2025-04-01"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return "/subscriptions/" + sub1 + "/resources?" + v.Encode()
	}
	count := func(path string) int { ids, _, _ := listAll(e, path); return len(ids) }
	tests := []struct {
		name string
		path string
		want int
	}{
		{"by type", q("$filter", "resourceType eq 'Microsoft.KeyVault/vaults'"), 1},
		{"by type, case-insensitive", q("$filter", "resourcetype EQ 'contoso.widgets/WIDGETS'"), 40},
		{"type ne", q("$filter", "resourceType ne 'Contoso.Widgets/widgets'"), 1},
		{"by name", q("$filter", "name eq 'w007'"), 1},
		{"substringof name", q("$filter", "substringof('w01', name)"), 10},
		{"by location", q("$filter", "location eq 'westeurope'"), 13},
		{"by group", q("$filter", "resourceGroup eq 'RG2'"), 20},
		{"type and location", q("$filter", "resourceType eq 'Contoso.Widgets/widgets' and location eq 'eastus'"), 27},
		{"or", q("$filter", "name eq 'w001' or name eq 'w002'"), 2},
		{"parentheses", q("$filter", "(name eq 'w001' or name eq 'w002') and location eq 'eastus'"), 1}, // w001 is in westeurope
		{"tag name", q("$filter", "tagName eq 'team'"), 41},
		{"tag name and value", q("$filter", "tagName eq 'Team' and tagValue eq 't1'"), 11},
		{"tag prefix", q("$filter", "startswith(tagName, 'te')"), 41},
		{"group scope", "/subscriptions/" + sub1 + "/resourceGroups/rg1/resources?api-version=2025-04-01", 21},
		{"group scope filtered", "/subscriptions/" + sub1 + "/resourceGroups/rg1/resources?api-version=2025-04-01&%24filter=" + url.QueryEscape("resourceType eq 'Contoso.Widgets/widgets'"), 20},
		{"top is the page size", q("$top", "5"), 41},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := count(tc.path); got != tc.want {
				t.Fatalf("%d results, want %d", got, tc.want)
			}
		})
	}
	// Tag filters omit tags; $expand adds the times and state.
	_, _, tagged := listAll(e, q("$filter", "tagName eq 'Team' and tagValue eq 't1'"))
	if _, ok := tagged[0]["tags"]; ok {
		t.Error("tag-filtered results carry tags")
	}
	r := e.must("GET", q("$top", "3", "$expand", "createdTime,changedTime,provisioningState"), "", 200).json(t)
	first := r["value"].([]any)[0].(map[string]any)
	if first["createdTime"] != "2026-01-01T12:00:00Z" || first["provisioningState"] != "Succeeded" || first["changedTime"] == nil {
		t.Errorf("expanded item = %v", first)
	}
	if len(r["value"].([]any)) != 3 || !strings.Contains(r["nextLink"].(string), "%24top=3") {
		t.Errorf("$top page: %d items, nextLink %v", len(r["value"].([]any)), r["nextLink"])
	}
	// Visibility: rgOnly sees rg1's only.
	rr := e.do("GET", base, rgOnly, "")
	var vis struct{ Value []map[string]any }
	_ = json.Unmarshal(rr.body, &vis)
	for _, it := range vis.Value {
		if !strings.Contains(it["id"].(string), "/resourceGroups/rg1/") {
			t.Errorf("rgOnly sees %s", it["id"])
		}
	}
}

func TestListPagingIsStableUnderWrites(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.PageSize = 10 })
	seed(e, 30)
	r := e.must("GET", "/subscriptions/"+sub1+"/resourceGroups/rg1/resources?api-version=2025-04-01", "", 200).json(t)
	first := r["value"].([]any)
	last := first[len(first)-1].(map[string]any)["id"].(string)
	// Delete an item already returned and add one that sorts before the
	// continuation: neither may shift what the next page returns.
	e.must("DELETE", first[0].(map[string]any)["id"].(string), "", 200)
	e.must("PUT", rg1+"/providers/Contoso.Widgets/widgets/a000", `{"location":"eastus"}`, 201)
	ids, _, _ := listAll(e, strings.TrimPrefix(r["nextLink"].(string), "http://arm.test"))
	if len(ids) == 0 || strings.ToLower(ids[0]) <= strings.ToLower(last) {
		t.Fatalf("next page starts at %v after %s", ids, last)
	}
	if len(ids) != 16-10 {
		t.Errorf("%d items after the first page, want 6", len(ids))
	}
}

func TestListErrors(t *testing.T) {
	e := newEnv(t)
	base := "/subscriptions/" + sub1 + "/resources?api-version=2025-04-01"
	tests := []struct{ query, code string }{
		{"&%24filter=" + url.QueryEscape("color eq 'red'"), "InvalidFilterInQueryString"},
		{"&%24filter=" + url.QueryEscape("name eq red"), "InvalidFilterInQueryString"},
		{"&%24filter=" + url.QueryEscape("tagValue eq 'x'"), "InvalidFilterInQueryString"},
		{"&%24filter=" + url.QueryEscape("tagName eq 'a' and name eq 'b'"), "InvalidFilterInQueryString"},
		{"&%24filter=" + url.QueryEscape("name eq 'a' and"), "InvalidFilterInQueryString"},
		{"&%24top=0", "InvalidTopInQueryString"},
		{"&%24top=x", "InvalidTopInQueryString"},
		{"&%24expand=everything", "InvalidExpandQueryString"},
		{"&%24skiptoken=garbage", "InvalidSkipToken"},
	}
	for _, tc := range tests {
		r := e.do("GET", base+tc.query, owner, "")
		if r.status != 400 || r.code() != tc.code {
			t.Errorf("%s: %d %s, want 400 %s", tc.query, r.status, r.body, tc.code)
		}
	}
	// A token from one list does not continue another.
	e2 := newEnv(t, func(o *Options) { o.PageSize = 1 })
	seed(e2, 4)
	next := e2.must("GET", "/subscriptions/"+sub1+"/resourceGroups/rg1/resources?api-version=2025-04-01", "", 200).json(t)["nextLink"].(string)
	u, _ := url.Parse(next)
	tok := u.Query().Get("$skiptoken")
	if r := e2.do("GET", "/subscriptions/"+sub1+"/resourceGroups/rg2/resources?api-version=2025-04-01&%24skiptoken="+tok, owner, ""); r.status != 400 || r.code() != "InvalidSkipToken" {
		t.Errorf("foreign token: %d", r.status)
	}
	if r := e.do("GET", "/subscriptions/"+sub1+"/resourceGroups/nope/resources?api-version=2025-04-01", owner, ""); r.status != 404 || r.code() != "ResourceGroupNotFound" {
		t.Errorf("missing group: %d", r.status)
	}
}

func TestListCollections(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.PageSize = 4 })
	seed(e, 10)
	ids, pages, items := listAll(e, "/subscriptions/"+sub1+"/providers/Contoso.Widgets/widgets?api-version=2024-01-01")
	if len(ids) != 10 || pages != 3 {
		t.Fatalf("by subscription: %d in %d pages", len(ids), pages)
	}
	if items[0]["properties"] == nil || items[0]["systemData"] == nil {
		t.Error("RP list items must be full resources")
	}
	ids, _, _ = listAll(e, rg1+"/providers/Contoso.Widgets/widgets?api-version=2024-01-01")
	if len(ids) != 5 {
		t.Fatalf("by group: %d, want 5 (children excluded)", len(ids))
	}
	ids, _, _ = listAll(e, rg1+"/providers/Microsoft.KeyVault/vaults?api-version=2024-11-01")
	if !reflect.DeepEqual(ids, []string{rg1 + "/providers/Microsoft.KeyVault/vaults/kv1"}) {
		t.Fatalf("vaults = %v", ids)
	}
	if r := e.do("GET", rg1+"/providers/Contoso.Widgets/widgets?api-version=2024-01-01&%24filter=x", owner, ""); r.status != 400 {
		t.Errorf("$filter on an RP list: %d", r.status)
	}
}

// countingAuthz is a PrincipalAuthorizer: listing must ask For once per
// page, not Allowed per item.
type countingAuthz struct{ fors, alloweds int }

func (c *countingAuthz) Allowed(string, string, string) bool { c.alloweds++; return true }
func (c *countingAuthz) For(oid string) func(string, string) bool {
	c.fors++
	return func(_, scope string) bool { return !strings.Contains(scope, "w003") }
}

func TestListUsesPrincipalAuthorizer(t *testing.T) {
	ca := &countingAuthz{}
	e := newEnv(t, func(o *Options) { o.Authz = ca })
	seed(e, 10)
	ca.alloweds, ca.fors = 0, 0
	ids, _, _ := listAll(e, "/subscriptions/"+sub1+"/resources?api-version=2025-04-01")
	if len(ids) != 10 || ca.fors != 1 || ca.alloweds != 0 {
		t.Fatalf("%d items (want 10: w003 hidden), For %d times, Allowed %d times", len(ids), ca.fors, ca.alloweds)
	}
}

// TestListMergesExternal: records the emulator keeps elsewhere (vaults)
// appear in the listings in id order, across page boundaries, filtered
// like the store's.
func TestListMergesExternal(t *testing.T) {
	ext := []*Record{
		{ID: rg1 + "/providers/Microsoft.KeyVault/vaults/kv-b", Type: "Microsoft.KeyVault/vaults", Location: "eastus", Tags: map[string]string{"Team": "t9"}},
		{ID: "/subscriptions/" + sub1 + "/resourceGroups/rg2/providers/Microsoft.KeyVault/vaults/kv-a", Type: "Microsoft.KeyVault/vaults", Location: "westeurope"},
		{ID: "/subscriptions/" + sub2 + "/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/other-sub", Type: "Microsoft.KeyVault/vaults", Location: "eastus"},
	}
	e := newEnv(t, func(o *Options) {
		o.PageSize = 3
		o.External = func(sub string) []*Record {
			var out []*Record
			for _, r := range ext {
				if strings.Contains(r.ID, sub) {
					out = append(out, r)
				}
			}
			return out
		}
	})
	seed(e, 6) // w000…w005 in rg1/rg2, plus kv1 and an untracked gear
	ids, pages, _ := listAll(e, "/subscriptions/"+sub1+"/resources?api-version=2025-04-01")
	if len(ids) != 9 || pages != 3 {
		t.Fatalf("%d items in %d pages, want 9 in 3: %v", len(ids), pages, ids)
	}
	for i := 1; i < len(ids); i++ {
		if strings.ToLower(ids[i-1]) >= strings.ToLower(ids[i]) {
			t.Fatalf("not in id order at %d: %v", i, ids)
		}
	}
	vaults, _, _ := listAll(e, "/subscriptions/"+sub1+"/resources?api-version=2025-04-01&%24filter="+url.QueryEscape("resourceType eq 'Microsoft.KeyVault/vaults'"))
	if len(vaults) != 3 { // kv1 (generic) + kv-b + kv-a
		t.Fatalf("vaults = %v", vaults)
	}
	g, _, _ := listAll(e, "/subscriptions/"+sub1+"/resourceGroups/rg2/resources?api-version=2025-04-01")
	if len(g) != 4 || !strings.HasSuffix(g[3], "/kv-a") {
		t.Fatalf("rg2 = %v", g)
	}
	tagged, _, _ := listAll(e, "/subscriptions/"+sub1+"/resources?api-version=2025-04-01&%24filter="+url.QueryEscape("tagName eq 'team' and tagValue eq 't9'"))
	if len(tagged) != 1 || !strings.HasSuffix(tagged[0], "/kv-b") {
		t.Fatalf("tag filter = %v", tagged)
	}
}
