package resources

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("a", 261)
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"bad namespace", "GET", rg1 + "/providers/Contoso/widgets/w", "", 400, "InvalidResourceNamespace"},
		{"bad type", "GET", rg1 + "/providers/Contoso.Widgets/wid-gets/w", "", 400, "InvalidResourceType"},
		{"name with colon", "PUT", rg1 + "/providers/Contoso.Widgets/widgets/a:b", "{}", 400, "InvalidResourceName"},
		{"name with trailing period", "PUT", rg1 + "/providers/Contoso.Widgets/widgets/ab.", "{}", 400, "InvalidResourceName"},
		{"name with encoded slash", "PUT", rg1 + "/providers/Contoso.Widgets/widgets/a%2Fb", "{}", 400, "InvalidResourceName"},
		{"name too long", "PUT", rg1 + "/providers/Contoso.Widgets/widgets/" + long, "{}", 400, "InvalidResourceName"},
		{"name with RTL override", "PUT", rg1 + "/providers/Contoso.Widgets/widgets/ab%E2%80%AEc", "{}", 400, "InvalidResourceName"},
		{"name with NUL", "PUT", rg1 + "/providers/Contoso.Widgets/widgets/a%00b", "{}", 400, "InvalidResourceName"},
		{"name not UTF-8", "PUT", rg1 + "/providers/Contoso.Widgets/widgets/a%FFb", "{}", 400, "InvalidResourceName"},
		{"bad group name", "GET", "/subscriptions/" + sub1 + "/resourceGroups/a*b/providers/Contoso.Widgets/widgets/w", "", 400, "InvalidResourceGroup"},
		{"too deep", "PUT", rg1 + "/providers/Contoso.Widgets/a/1/b/2/c/3/d/4/e/5/f/6/g/7/h/8/i/9", "{}", 400, "InvalidResourceId"},
		{"providers without type", "GET", rg1 + "/providers/Contoso.Widgets/widgets/w/providers/Contoso.X", "", 400, "InvalidResourceId"},
		{"body not JSON", "PUT", widget, "location=eastus", 400, "InvalidRequestContent"},
		{"body an array", "PUT", widget, `[{"location":"eastus"}]`, 400, "InvalidRequestContent"},
		{"body empty", "PUT", widget, "", 400, "InvalidRequestContent"},
		{"trailing data", "PUT", widget, `{"location":"eastus"} {}`, 400, "InvalidRequestContent"},
		{"location a number", "PUT", widget, `{"location":5}`, 400, "InvalidRequestContent"},
		{"unknown location", "PUT", widget, `{"location":"moon"}`, 400, "LocationNotAvailableForResourceType"},
		{"tags an array", "PUT", widget, `{"location":"eastus","tags":["a"]}`, 400, "InvalidRequestContent"},
		{"tag value a number", "PUT", widget, `{"location":"eastus","tags":{"a":1}}`, 400, "InvalidRequestContent"},
		{"tag name reserved", "PUT", widget, `{"location":"eastus","tags":{"a/b":"1"}}`, 400, "InvalidTagNameCharacters"},
		{"tag value too long", "PUT", widget, `{"location":"eastus","tags":{"a":"` + strings.Repeat("v", 257) + `"}}`, 400, "InvalidTagValueLength"},
		{"properties a string", "PUT", widget, `{"properties":"x"}`, 400, "InvalidRequestContent"},
		{"sku an array", "PUT", widget, `{"sku":[]}`, 400, "InvalidRequestContent"},
		{"zones of numbers", "PUT", widget, `{"zones":[1]}`, 400, "InvalidRequestContent"},
		{"kind an object", "PUT", widget, `{"kind":{}}`, 400, "InvalidRequestContent"},
		{"identity type bad", "PUT", widget, `{"identity":{"type":"Everything"}}`, 400, "InvalidIdentityType"},
		{"identity user-assigned without ids", "PUT", widget, `{"identity":{"type":"UserAssigned"}}`, 400, "InvalidRequestContent"},
		{"identity user-assigned bad id", "PUT", widget, `{"identity":{"type":"UserAssigned","userAssignedIdentities":{"x":{}}}}`, 400, "InvalidRequestContent"},
		{"body not UTF-8", "PUT", widget, "{\"location\":\"east\xffus\"}", 400, "InvalidRequestContent"},
		{"body too deep", "PUT", widget, `{"properties":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70) + `}`, 400, "InvalidRequestContent"},
		{"location required for a tracked type", "PUT", rg1 + "/providers/Microsoft.KeyVault/vaults/kv?api-version=2024-11-01", `{"properties":{}}`, 400, "LocationRequired"},
		{"body too large", "PUT", widget, `{"properties":{"x":"` + strings.Repeat("x", maxBody) + `"}}`, 413, "RequestEntityTooLarge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, owner, tc.body)
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("%d %q: %.300s; want %d %s", r.status, r.code(), r.body, tc.status, tc.code)
			}
			if r.header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("error without JSON content type")
			}
		})
	}
	if e.store.Len() != 0 {
		t.Fatalf("bad requests stored %d records", e.store.Len())
	}
	// Odd but valid Unicode names are served and keep their form.
	id := rg1 + "/providers/Contoso.Widgets/widgets/caf%C3%A9-%E6%97%A5%E6%9C%AC"
	r := e.must("PUT", id, `{"location":"eastus"}`, 201)
	if got := r.json(t)["name"]; got != "café-日本" {
		t.Errorf("name = %q", got)
	}
	// Echoed input is clipped and stripped of control characters.
	r = e.do("PUT", rg1+"/providers/Contoso.Widgets/widgets/"+strings.Repeat("b", 300)+"%07", owner, `{}`)
	if strings.Contains(string(r.body), "\\u0007") || len(r.body) > 1000 {
		t.Errorf("echo not clipped: %s", r.body)
	}
}

func TestClassifyErrors(t *testing.T) {
	for path, code := range map[string]string{
		rg1 + "/providers/Contoso.Widgets/widgets/a%zz":                                                    "InvalidResourceId",
		"/" + strings.Repeat("a/", maxPathLen/2+1):                                                         "InvalidResourceId",
		rg1 + "/providers/A.B/t/n/providers/C.D/e/x/providers/E.F/g/y/providers/G.H/i/z/providers/I.J/k/w": "InvalidResourceId",
	} {
		if _, err := Classify("GET", path); err == nil || err.code != code || err.status != 400 {
			t.Errorf("Classify(%.80s…) = %+v, want 400 %s", path, err, code)
		}
	}
}

func TestUnservedPaths(t *testing.T) {
	for _, p := range []string{"/subscriptions", "/subscriptions/" + sub1, "/subscriptions/" + sub1 + "/resourcegroups",
		"/subscriptions/" + sub1 + "/resourceGroups/rg1", "/subscriptions/" + sub1 + "/resourceGroups/rg1/exportTemplate", "/tenants", "/"} {
		if Handles(http.MethodGet, p) {
			t.Errorf("Handles(%s) = true; the emulator serves it", p)
		}
	}
	for _, p := range []string{widget, "/subscriptions/" + sub1 + "/resources", "/providers", "/metadata/endpoints",
		"/subscriptions/" + sub1 + "/locations", "/subscriptions/" + sub1 + "/resourcegroups/rg1/resources"} {
		if !Handles(http.MethodGet, p) {
			t.Errorf("Handles(%s) = false", p)
		}
	}
	e := newEnv(t)
	w := httptest.NewRecorder()
	e.svc.ServeHTTP(w, httptest.NewRequest("GET", "http://arm.test/tenants?api-version=2022-12-01", nil))
	if w.Code != 404 {
		t.Errorf("unserved path: %d", w.Code)
	}
}
