package arm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// jsonGroupsPage is what encoding/json makes of body: the reference the
// fast decoder must equal.
func jsonGroupsPage(body []byte) (page[ResourceGroup], error) {
	var pg page[ResourceGroup]
	err := json.Unmarshal(body, &pg)
	return pg, err
}

func TestDecodeGroupsPage(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		fast bool // the fast path decodes it (else encoding/json does)
	}{
		{"emulator page", `{"value":[{"id":"/subscriptions/s/resourceGroups/a","name":"a","type":"Microsoft.Resources/resourceGroups","location":"eastus","tags":{"env":"dev"},"properties":{"provisioningState":"Succeeded"}}],"nextLink":"https://h/subscriptions/s/resourcegroups?api-version=2021-04-01\u0026%24skiptoken=a"}`, true},
		{"last page, no nextLink", `{"value":[{"name":"a","location":"x"},{"name":"b","location":"y","managedBy":"m"}]}`, true},
		{"empty list, null link", ` { "value" : [ ] , "nextLink" : null } `, true},
		{"null value", `{"value":null}`, true},
		{"null item", `{"value":[null,{"name":"b"}]}`, true},
		{"unknown fields skipped", `{"odata.count":2,"value":[{"x":[1,{"y":"}"}],"name":"a","properties":{"z":true,"provisioningState":"Deleting"},"w":-1.5e3}],"extra":{"a":[]}}`, true},
		{"escaped and unicode strings", `{"value":[{"name":"caf\u00e9 \"q\"","location":"日本","tags":{"k\n":"v\\"}}]}`, true},
		{"null fields", `{"value":[{"name":null,"tags":null,"properties":null}]}`, true},
		{"repeated tags merge", `{"value":[{"tags":{"a":"1"},"tags":{"b":"2","a":"3"}}]}`, true},
		{"repeated nextLink, last null", `{"value":[],"nextLink":"x","nextLink":null}`, true},
		{"empty tags", `{"value":[{"tags":{}}]}`, true},
		{"key in other case", `{"value":[{"NAME":"a"}]}`, false},
		{"escaped key", `{"value":[{"n\u0061me":"a"}]}`, false},
		{"tag value not a string", `{"value":[{"tags":{"a":1}}]}`, false},
		{"null tag value", `{"value":[{"tags":{"a":null}}]}`, false},
		{"location not a string", `{"value":[{"location":5}]}`, false},
		{"invalid UTF-8", "{\"value\":[{\"name\":\"\xff\"}]}", false},
		{"repeated value", `{"value":[{"name":"a"}],"value":[{"location":"b"}]}`, false},
		{"top level array", `[{"name":"a"}]`, false},
		{"item not an object", `{"value":[1]}`, false},
		{"truncated", `{"value":[{"name":"a"}`, false},
		{"trailing garbage", `{"value":[]}x`, false},
		{"nextLink not a string", `{"value":[],"nextLink":3}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups, next, ok := decodeGroupsPage([]byte(tc.body))
			if ok != tc.fast {
				t.Fatalf("fast path ok = %v, want %v", ok, tc.fast)
			}
			if !ok {
				return
			}
			want, err := jsonGroupsPage([]byte(tc.body))
			if err != nil {
				t.Fatalf("fast path accepted what encoding/json refuses: %v", err)
			}
			if !reflect.DeepEqual(groups, want.Value) || !reflect.DeepEqual(next, want.NextLink) {
				t.Fatalf("fast path\n %#v %v\nencoding/json\n %#v %v", groups, next, want.Value, want.NextLink)
			}
		})
	}
}

// The literal values, so that a decoder wrong the same way as the
// comparison cannot pass.
func TestDecodeGroupsPageValues(t *testing.T) {
	groups, next, ok := decodeGroupsPage([]byte(`{"value":[{"id":"/s/rg","name":"rg","type":"T","location":"eastus","managedBy":"m","tags":{"env":"dev","a\u0026b":"x"},"properties":{"provisioningState":"Succeeded"}}],"nextLink":"https://h/l?a=1\u0026b=2"}`))
	if !ok || next == nil || *next != "https://h/l?a=1&b=2" || len(groups) != 1 {
		t.Fatalf("ok=%v next=%v groups=%d", ok, next, len(groups))
	}
	want := ResourceGroup{ID: "/s/rg", Name: "rg", Type: "T", Location: "eastus", ManagedBy: "m",
		Tags: map[string]string{"env": "dev", "a&b": "x"}, Properties: ResourceGroupProperties{ProvisioningState: "Succeeded"}}
	if !reflect.DeepEqual(groups[0], want) {
		t.Fatalf("got %#v", groups[0])
	}
}

func FuzzDecodeGroupsPage(f *testing.F) {
	f.Add(`{"value":[{"id":"/subscriptions/s/resourceGroups/a","name":"a","location":"eastus","tags":{"env":"dev"},"properties":{"provisioningState":"Succeeded"}}],"nextLink":"https://h/x?a=1\u0026b"}`)
	f.Add(`{"value":[null,{"Name":"b","tags":{"a":"1"},"tags":null}]}`)
	f.Add(`{"value":[{"x":[1,{"y":"}"}],"properties":{"provisioningstate":"x"}}]}`)
	f.Add(`{"value":[],"nextLink":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		groups, next, ok := decodeGroupsPage([]byte(body))
		if !ok {
			return
		}
		want, err := jsonGroupsPage([]byte(body))
		if err != nil {
			t.Fatalf("fast path accepted %q, which encoding/json refuses: %v", body, err)
		}
		if !reflect.DeepEqual(groups, want.Value) || !reflect.DeepEqual(next, want.NextLink) {
			t.Fatalf("%q: fast path %#v %v, encoding/json %#v %v", body, groups, next, want.Value, want.NextLink)
		}
	})
}

// groupPages serves pages of 100 groups shaped as the emulator (and ARM)
// writes them, without a network: a RoundTripper in the process.
type groupPages struct {
	pages [][]byte
}

func newGroupPages(total int) *groupPages {
	g := &groupPages{}
	locations := []string{"eastus", "westeurope", "westus2", "northeurope"}
	for start := 0; start < total; start += 100 {
		var b bytes.Buffer
		b.WriteString(`{"value":[`)
		for i := start; i < start+100 && i < total; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"/subscriptions/00000000-0000-0000-0001-000000000001/resourceGroups/rg-000-%06d","name":"rg-000-%06d","type":"Microsoft.Resources/resourceGroups","location":%q,"tags":{"env":%q},"properties":{"provisioningState":"Succeeded"}}`,
				i, i, locations[i%4], []string{"dev", "prod"}[i%2])
		}
		b.WriteString(`]`)
		if start+100 < total {
			fmt.Fprintf(&b, `,"nextLink":"https://127.0.0.1:1/subscriptions/00000000-0000-0000-0001-000000000001/resourcegroups?api-version=2021-04-01\u0026%%24skiptoken=%d"`, len(g.pages)+1)
		}
		b.WriteString(`}`)
		g.pages = append(g.pages, b.Bytes())
	}
	return g
}

func (g *groupPages) RoundTrip(r *http.Request) (*http.Response, error) {
	n := 0
	if s := r.URL.Query().Get("$skiptoken"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	body := g.pages[n]
	return &http.Response{
		StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r,
	}, nil
}

func groupPagesClient(tb testing.TB, total int) *Client {
	c, err := New(Options{
		Credential: staticCred{},
		Endpoint:   "https://127.0.0.1:1",
		HTTPClient: &http.Client{Transport: newGroupPages(total)},
		Getenv:     func(string) string { return "" },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestResourceGroupPagesFastPath(t *testing.T) {
	c := groupPagesClient(t, 250)
	groups, err := c.ResourceGroupPages("00000000-0000-0000-0001-000000000001", nil).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 250 || groups[249].Name != "rg-000-000249" || groups[249].Tags["env"] != "prod" ||
		groups[0].Location != "eastus" || groups[0].Properties.ProvisioningState != "Succeeded" {
		t.Fatalf("got %d groups, last %#v", len(groups), groups[len(groups)-1])
	}
}

// BenchmarkResourceGroupPages lists 10,000 groups (100 pages) through the
// client with an in-process transport: the client's own cost, request
// building, body reading and page decoding, without network or server.
func BenchmarkResourceGroupPages(b *testing.B) {
	c := groupPagesClient(b, 10000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range c.ResourceGroups(ctx, "00000000-0000-0000-0001-000000000001", nil) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 10000 {
			b.Fatalf("listed %d", n)
		}
	}
}

// staticCred hands out one token without recording anything, so that the
// benchmark counts the client's allocations only.
type staticCred struct{}

func (staticCred) ARMToken(context.Context, string, bool) (AccessToken, error) {
	return AccessToken{Token: canary, ExpiresOn: time.Now().Add(time.Hour)}, nil
}
