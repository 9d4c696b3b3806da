package emulator

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

func manyGroupsConfig(n int) *Config {
	cfg := DefaultConfig()
	groups := make([]ResourceGroup, 0, n)
	for i := 0; i < n; i++ {
		g := ResourceGroup{Name: fmt.Sprintf("rg-%05d", i), Location: "eastus"}
		if i%10 == 0 {
			g.Tags = map[string]string{"Env": "prod"}
		} else if i%10 == 1 {
			g.Tags = map[string]string{"env": "dev"}
		}
		groups = append(groups, g)
	}
	cfg.Subscriptions[0].ResourceGroups = groups
	return cfg
}

func checkExactlyOnce(t *testing.T, names []string, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, n := range names {
		seen[strings.ToLower(n)]++
	}
	for n, c := range seen {
		if c > 1 {
			t.Errorf("%s listed %d times", n, c)
		}
	}
	for _, w := range want {
		if seen[strings.ToLower(w)] != 1 {
			t.Errorf("%s missing", w)
		}
	}
}

func TestARMPaging2500(t *testing.T) {
	const n = 2500
	e := startARM(t, Options{Config: manyGroupsConfig(n), PageSize: 100})
	tok := e.token("vm-system")
	names, pages := e.listAll("/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, tok, nil)
	if len(names) != n || pages != 25 {
		t.Fatalf("%d groups in %d pages, want %d in 25", len(names), pages, n)
	}
	var want []string
	for i := 0; i < n; i++ {
		want = append(want, fmt.Sprintf("rg-%05d", i))
	}
	checkExactlyOnce(t, names, want)
	if !sort.StringsAreSorted(names) {
		t.Error("not in stable (sorted) order")
	}

	// The Python SDK sends $skiptoken unencoded and swaps in its own
	// api-version; Go re-encodes the query sorted. Both must work.
	r := e.do("GET", "/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, tok, "")
	var first struct{ NextLink string }
	mustJSON(t, r.body, &first)
	u, err := url.Parse(first.NextLink)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u.RawQuery, "api-version="+rgV) || !strings.Contains(u.RawQuery, "%24skiptoken=") {
		t.Errorf("nextLink query %q", u.RawQuery)
	}
	tokVal := u.Query().Get("$skiptoken")
	for _, q := range []string{
		"$skiptoken=" + tokVal + "&api-version=2022-09-01",
		"%24skiptoken=" + url.QueryEscape(tokVal) + "&api-version=" + rgV,
		"api-version=" + rgV + "&$skiptoken=" + tokVal + "==",
	} {
		r := e.do("GET", "/subscriptions/"+sub1+"/resourcegroups?"+q, tok, "")
		expect(t, r, 200, "")
		if !strings.Contains(string(r.body), `"name":"rg-00100"`) || strings.Contains(string(r.body), `"name":"rg-00099"`) {
			t.Errorf("query %q did not continue after rg-00099", q)
		}
	}
	// A token from another collection is refused.
	expect(t, e.do("GET", "/subscriptions/"+sub2+"/resourcegroups?api-version="+rgV+"&%24skiptoken="+tokVal, e.token("app-contributor"), ""), 400, "InvalidSkipToken")
}

func TestARMPagingWhileChanging(t *testing.T) {
	e := startARM(t, Options{Config: manyGroupsConfig(300), PageSize: 25})
	tok := e.token("vm-system")
	// Groups rg-00000..rg-00149 are never touched and must appear exactly
	// once; the rest are deleted, and new ones created, between pages.
	var stable []string
	for i := 0; i < 150; i++ {
		stable = append(stable, fmt.Sprintf("rg-%05d", i))
	}
	next := 0
	names, _ := e.listAll("/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, tok, func(page int) {
		for j := 0; j < 3; j++ {
			expect(t, e.do("PUT", groupPath(sub1, fmt.Sprintf("new-%03d", next)), tok, `{"location":"eastus"}`), 201, "")
			expect(t, e.do("PUT", groupPath(sub1, fmt.Sprintf("A-%03d", next)), tok, `{"location":"eastus"}`), 201, "")
			expect(t, e.do("DELETE", groupPath(sub1, fmt.Sprintf("rg-%05d", 299-next)), tok, ""), 202, "")
			next++
		}
		e.clk.Advance(3 * e.s.opts.DeleteDuration) // deletes finish
	})
	checkExactlyOnce(t, names, stable)

	// And truly concurrently, for the race detector.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			e.do("PUT", groupPath(sub1, fmt.Sprintf("conc-%04d", i)), tok, `{"location":"eastus"}`)
			e.do("DELETE", groupPath(sub1, fmt.Sprintf("conc-%04d", i/2)), tok, "")
		}
	}()
	names, _ = e.listAll("/subscriptions/"+sub1+"/resourcegroups?api-version="+rgV, tok, nil)
	close(stop)
	wg.Wait()
	checkExactlyOnce(t, names, stable)
}

func TestARMFilterAndTop(t *testing.T) {
	e := startARM(t, Options{Config: manyGroupsConfig(250), PageSize: 10})
	tok := e.token("vm-system")
	base := "/subscriptions/" + sub1 + "/resourcegroups?api-version=" + rgV
	cases := []struct {
		query string
		count int
	}{
		{"&%24filter=" + url.QueryEscape("tagName eq 'env'"), 50},
		{"&$filter=tagname+EQ+'ENV'", 50},
		{"&%24filter=" + url.QueryEscape("tagName eq 'env' and tagValue eq 'prod'"), 25},
		{"&%24filter=" + url.QueryEscape("tagName eq 'env' and tagValue eq 'PROD'"), 0},
		{"&%24filter=" + url.QueryEscape("tagName eq 'missing'"), 0},
		{"&%24top=3", 3},
		{"&%24top=25", 25},
		{"&%24top=10", 10},
		{"&%24top=1000", 250},
		{"&%24top=7&%24filter=" + url.QueryEscape("tagName eq 'env' and tagValue eq 'dev'"), 7},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			names, _ := e.listAll(base+c.query, tok, nil)
			if len(names) != c.count {
				t.Fatalf("%d results, want %d", len(names), c.count)
			}
			checkExactlyOnce(t, names, nil)
		})
	}
	r := e.do("GET", base+"&%24top=10", tok, "")
	if strings.Contains(string(r.body), "nextLink") {
		t.Errorf("$top equal to the page size must end the listing: %s", r.body)
	}
	for _, bad := range []string{"&%24filter=name+eq+'x'", "&%24filter=tagName+eq+'x", "&%24filter=tagName+eq+'x'+or+1", "&%24top=0", "&%24top=x"} {
		r := e.do("GET", base+bad, tok, "")
		if r.status != 400 {
			t.Errorf("%s: status %d", bad, r.status)
		}
	}
}
