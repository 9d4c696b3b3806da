package arm

import (
	"strings"
	"testing"
)

const sub1 = "00000000-0000-0000-0000-000000000001"

// testRoutes are the patterns of the built-in ARM routes (package
// emulator's routes.go) with a do-nothing handler.
func testRoutes(t testing.TB) *routeTable {
	nop := func(*Service, *Request) {}
	rt, err := newRouteTable([]Route{
		{Path: "/tenants", Type: "Microsoft.Resources/subscriptions", Get: nop},
		{Path: "/subscriptions", Type: "Microsoft.Resources/subscriptions", Get: nop},
		{Path: "/subscriptions/{subscriptionId}", Type: "Microsoft.Resources/subscriptions", Get: nop},
		{Path: "/subscriptions/{subscriptionId}/resourcegroups", Type: "Microsoft.Resources/resourceGroups", Get: nop},
		{Path: "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", Type: "Microsoft.Resources/resourceGroups", Get: nop, Put: nop},
		{Path: "/subscriptions/{subscriptionId}/operationresults/{operationId}", Type: "Microsoft.Resources/resourceGroups", Get: nop},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func TestRouteMatch(t *testing.T) {
	rt := testRoutes(t)
	for _, c := range []struct {
		path, route, sub, group string
	}{
		{"/tenants", "/tenants", "", ""},
		{"/SUBSCRIPTIONS/x/resourceGroups/rg%2Fa", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", "x", "rg/a"},
		{"//subscriptions//s/resourcegroups/", "/subscriptions/{subscriptionId}/resourcegroups", "s", ""},
		{"/subscriptions/s/other", "", "", ""},
		{"/subscriptions/s/resourcegroups/g/x", "", "", ""},
		{"/%zz", "", "", ""},
	} {
		r, p, ok := rt.match(c.path)
		if !ok {
			if c.route != "" {
				t.Errorf("%s: no route, want %s", c.path, c.route)
			}
			continue
		}
		if r.Path != c.route || p.get("subscriptionId") != c.sub || p.get("resourceGroupName") != c.group {
			t.Errorf("%s: %s sub=%q group=%q, want %s %q %q", c.path, r.Path, p.get("subscriptionId"), p.get("resourceGroupName"), c.route, c.sub, c.group)
		}
	}
	if _, err := newRouteTable([]Route{{Path: "/x//y", Type: "Microsoft.Resources/resourceGroups", Get: func(*Service, *Request) {}}}); err == nil {
		t.Error("a pattern with an empty segment was accepted")
	}
}

func FuzzParseARMPath(f *testing.F) {
	for _, s := range []string{
		"/subscriptions", "/subscriptions/" + sub1, "/SUBSCRIPTIONS/x/resourceGroups/rg%2Fa",
		"//subscriptions//s/resourcegroups/", "/subscriptions/s/operationresults/eyJ", "/tenants", "/%zz", "",
	} {
		f.Add(s)
	}
	rt := testRoutes(f)
	f.Fuzz(func(t *testing.T, path string) {
		r, p, ok := rt.match(path)
		if !ok {
			return
		}
		for _, s := range r.segs {
			if isParam(s) && p.get(s[1:len(s)-1]) == "" {
				t.Fatalf("%s matched %s without %s", path, r.Path, s)
			}
		}
	})
}

func FuzzParseSkipToken(f *testing.F) {
	good := skipToken{V: 1, Scope: "groups:x", After: "rg-1", Left: -1}.encode()
	for _, s := range []string{good, good + "==", "bogus", "", "eyJ2IjoxfQ", strings.Repeat("A", 3000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := parseSkipToken(s, "groups:x")
		if err != nil {
			return
		}
		if tok.Scope != "groups:x" || tok.V != 1 || tok.Left == 0 || tok.Left < -1 {
			t.Fatalf("accepted invalid token %+v", tok)
		}
		again, err := parseSkipToken(tok.encode(), "groups:x")
		if err != nil || again != tok {
			t.Fatalf("round trip %+v → %+v, %v", tok, again, err)
		}
	})
}

func FuzzParseTagFilter(f *testing.F) {
	for _, s := range []string{"tagName eq 'a'", "tagName eq 'a' and tagValue eq 'b'", "tagname eq 'it''s'", "tagName eq '", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := parseTagFilter(s)
		if err != nil {
			return
		}
		if !flt.match(map[string]string{strings.ToUpper(flt.name): flt.value}) {
			t.Fatalf("filter %+v does not match its own tag", flt)
		}
	})
}

func FuzzDeleteJob(f *testing.F) {
	f.Add(deleteJob{JobID: "J", JobLocation: "eastus", Sub: sub1, Group: "g"}.encode())
	f.Add("eyJqb2JJZCI6IlJFU09VUkNFR1JPVVBERUxFVElPTkpPQi1NWUpTVEVTVDEtRUFTVFVTIiwiam9iTG9jYXRpb24iOiJlYXN0dXMifQ")
	f.Fuzz(func(t *testing.T, s string) {
		j, ok := parseDeleteJob(s)
		if ok && (j.Sub == "" || j.Group == "") {
			t.Fatalf("accepted %+v", j)
		}
	})
}
