package emulator

import (
	"strings"
	"testing"
)

func FuzzParseARMPath(f *testing.F) {
	for _, s := range []string{
		"/subscriptions", "/subscriptions/" + sub1, "/SUBSCRIPTIONS/x/resourceGroups/rg%2Fa",
		"//subscriptions//s/resourcegroups/", "/subscriptions/s/operationresults/eyJ", "/tenants", "/%zz", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		p, ok := parseARMPath(path)
		if !ok {
			return
		}
		if p.route < routeTenants || p.route > routeOperation {
			t.Fatalf("route %d", p.route)
		}
		if p.route == routeGroup && (p.group == "" || p.sub == "") {
			t.Fatalf("group route without names: %+v", p)
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

func FuzzCheckJSONDepth(f *testing.F) {
	f.Add(`{"a":[1,{"b":"]]]"}]}`)
	f.Add(`"\"{{{"`)
	f.Fuzz(func(t *testing.T, s string) {
		_ = checkJSONDepth([]byte(s), maxARMBodyDepth)
	})
}
