package emulator

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestInstanceMetadata(t *testing.T) {
	s := startIdentityServer(t, Options{ARMAddr: "-"})
	get := func(path string, h map[string]string) idResponse {
		return doRequest(t, s, "GET", s.IMDSEndpoint()+path, h, "")
	}

	r := get("/metadata/instance/compute?api-version=2021-02-01", metaHeader)
	if r.status != 200 {
		t.Fatalf("compute: %d %s", r.status, r.body)
	}
	var compute map[string]any
	if err := json.Unmarshal(r.body, &compute); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"azEnvironment": "AzurePublicCloud", "location": "eastus", "name": "vm-emulated",
		"resourceGroupName": "rg-web", "subscriptionId": "00000000-0000-0000-0000-000000000001",
		"resourceId": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-emulated",
		"vmId":       "02aab8a4-74ef-476e-8182-f6d2ba4166a6", "tags": "env:dev;owner:azmsi",
		"vmScaleSetName": "", "osType": "Linux", "vmSize": "Standard_D2s_v3", "zone": "",
	}
	for k, v := range want {
		if compute[k] != v {
			t.Errorf("compute.%s = %#v, want %q", k, compute[k], v)
		}
	}
	// Every primitive is a string.
	var walk func(string, any)
	walk = func(p string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				walk(p+"/"+k, c)
			}
		case []any:
			for _, c := range v {
				walk(p+"[]", c)
			}
		case string:
		default:
			t.Errorf("%s is %T, want string", p, v)
		}
	}
	full := get("/metadata/instance?api-version=2021-02-01", metaHeader)
	if full.status != 200 {
		t.Fatalf("instance: %d", full.status)
	}
	var doc map[string]any
	if err := json.Unmarshal(full.body, &doc); err != nil {
		t.Fatal(err)
	}
	walk("", doc)
	tl, _ := compute["tagsList"].([]any)
	if len(tl) != 2 || tl[0].(map[string]any)["name"] != "env" || tl[0].(map[string]any)["value"] != "dev" {
		t.Errorf("tagsList = %v", compute["tagsList"])
	}

	cases := []struct {
		name, path string
		headers    map[string]string
		status     int
		body       string // exact for text, substring for JSON
	}{
		{"leaf text", "/metadata/instance/compute/subscriptionId?api-version=2021-02-01&format=text", metaHeader, 200, "00000000-0000-0000-0000-000000000001"},
		{"leaf via double slash", "//metadata/instance//compute/vmId?api-version=2021-02-01&format=text", metaHeader, 200, "02aab8a4-74ef-476e-8182-f6d2ba4166a6"},
		{"array index", "/metadata/instance/network/interface/0/ipv4/ipAddress/0/privateIpAddress?api-version=2021-02-01&format=text", metaHeader, 200, "10.0.0.4"},
		{"leaf without format", "/metadata/instance/compute/subscriptionId?api-version=2021-02-01", metaHeader, 400, "format=text"},
		{"leaf format json", "/metadata/instance/compute/name?api-version=2021-02-01&format=json", metaHeader, 400, "format=text"},
		{"inner node as text", "/metadata/instance?api-version=2021-02-01&format=text", metaHeader, 200, "compute/\nnetwork/"},
		{"unknown element", "/metadata/instance/compute/nope?api-version=2021-02-01", metaHeader, 404, `{"error":"Not found"}`},
		{"index out of range", "/metadata/instance/network/interface/7?api-version=2021-02-01", metaHeader, 404, "Not found"},
		{"missing api-version", "/metadata/instance/compute", metaHeader, 400, "api-version is invalid or was not specified"},
		{"invalid api-version", "/metadata/instance?api-version=latest", metaHeader, 400, `"newest-versions":["2025-04-07","2024-07-17","2024-03-15"]`},
		{"no metadata header", "/metadata/instance?api-version=2021-02-01", nil, 400, "metadata header"},
		{"x-forwarded-for", "/metadata/instance?api-version=2021-02-01", map[string]string{"Metadata": "true", "X-Forwarded-For": "1.2.3.4"}, 400, "X-Forwarded-For"},
		{"bad format", "/metadata/instance?api-version=2021-02-01&format=xml", metaHeader, 400, "format"},
		{"duplicate param", "/metadata/instance?api-version=2021-02-01&api-version=2021-02-01", metaHeader, 400, "more than once"},
		{"versions", "/metadata/versions", metaHeader, 200, `"2021-02-01"`},
		{"versions needs header", "/metadata/versions", nil, 400, "metadata header"},
		{"identity info", "/metadata/identity/info?api-version=2018-02-01", metaHeader, 200, `{"tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47"}`},
		{"identity info api-version", "/metadata/identity/info", metaHeader, 400, "api-version"},
		{"unknown path", "/metadata/nothing?api-version=2021-02-01", metaHeader, 404, "Not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := get(c.path, c.headers)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
				if string(r.body) != c.body {
					t.Errorf("text body %q, want %q", r.body, c.body)
				}
				return
			}
			if !strings.Contains(string(r.body), c.body) {
				t.Errorf("body %s, want it to contain %s", r.body, c.body)
			}
		})
	}
	if r := doRequest(t, s, "POST", s.IMDSEndpoint()+"/metadata/instance?api-version=2021-02-01", metaHeader, ""); r.status != 405 {
		t.Errorf("POST instance: %d", r.status)
	}
}
