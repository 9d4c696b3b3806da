package resources

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	s := "/subscriptions/" + sub1
	tests := []struct {
		method, path string
		kind         Kind
		fullType     string
		canonical    string
		parent       string
	}{
		{"GET", s + "/resourcegroups/RG/providers/Microsoft.KeyVault/vaults/kv", KindResource, "Microsoft.KeyVault/vaults",
			s + "/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/kv", ""},
		{"GET", s + "/RESOURCEGROUPS/rg/PROVIDERS/Microsoft.Sql/servers/s1/databases/db", KindResource, "Microsoft.Sql/servers/databases",
			s + "/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/db", s + "/resourceGroups/rg/providers/Microsoft.Sql/servers/s1"},
		{"GET", s + "/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/providers/Microsoft.Authorization/roleAssignments/ra", KindResource,
			"Microsoft.Authorization/roleAssignments", s + "/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/providers/Microsoft.Authorization/roleAssignments/ra",
			s + "/resourceGroups/rg/providers/Microsoft.Sql/servers/s1"},
		{"GET", s + "/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/d/providers/Microsoft.Resources/tags/default", KindResource,
			"Microsoft.Resources/tags", s + "/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/d/providers/Microsoft.Resources/tags/default",
			s + "/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/d"},
		{"GET", s + "/providers/Microsoft.Authorization/roleAssignments/ra", KindResource, "Microsoft.Authorization/roleAssignments",
			s + "/providers/Microsoft.Authorization/roleAssignments/ra", ""},
		{"GET", s + "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults", KindCollection, "Microsoft.KeyVault/vaults",
			s + "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults", ""},
		{"GET", s + "/providers/Microsoft.KeyVault/vaults", KindCollection, "Microsoft.KeyVault/vaults", s + "/providers/Microsoft.KeyVault/vaults", ""},
		{"POST", s + "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/listKeys", KindAction, "Microsoft.KeyVault/vaults",
			s + "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", ""},
		{"GET", s + "//resourceGroups/rg//providers/A.B/t/n/", KindResource, "A.B/t", s + "/resourceGroups/rg/providers/A.B/t/n", ""},
		// A resource may be named "providers".
		{"GET", s + "/resourceGroups/rg/providers/A.B/t/providers", KindResource, "A.B/t", s + "/resourceGroups/rg/providers/A.B/t/providers", ""},
	}
	for _, tc := range tests {
		r, err := Classify(tc.method, tc.path)
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if r.Kind != tc.kind || r.ID.FullType() != tc.fullType || r.ID.String() != tc.canonical {
			t.Errorf("%s: kind %d type %s id %s", tc.path, r.Kind, r.ID.FullType(), r.ID.String())
		}
		p, ok := r.ID.Parent()
		if (tc.parent != "") != ok || ok && p.String() != tc.parent {
			t.Errorf("%s: parent %v %v, want %q", tc.path, p, ok, tc.parent)
		}
	}
	simple := []struct {
		path string
		want Route
	}{
		{s + "/resources", Route{Kind: KindListResources, SubscriptionID: sub1}},
		{s + "/resourceGroups/rg/RESOURCES", Route{Kind: KindListResources, SubscriptionID: sub1, ResourceGroup: "rg"}},
		{"/providers", Route{Kind: KindProviders}},
		{"/providers/Microsoft.KeyVault", Route{Kind: KindProvider, Namespace: "Microsoft.KeyVault"}},
		{s + "/providers/Microsoft.KeyVault", Route{Kind: KindProvider, SubscriptionID: sub1, Namespace: "Microsoft.KeyVault"}},
		{s + "/locations", Route{Kind: KindLocations, SubscriptionID: sub1}},
		{"/Metadata/Endpoints", Route{Kind: KindMetadata}},
		{s + "/providers/A.B/locations/eastus/operationStatuses/op", Route{Kind: KindOperationStatus, SubscriptionID: sub1, Namespace: "A.B", Location: "eastus", Operation: "op"}},
	}
	for _, tc := range simple {
		r, err := Classify("GET", tc.path)
		if err != nil || !reflect.DeepEqual(r, tc.want) {
			t.Errorf("%s: %+v %v, want %+v", tc.path, r, err, tc.want)
		}
	}
	if r, _ := Classify(http.MethodPost, s+"/providers/Microsoft.KeyVault/REGISTER"); r.Kind != KindProviderAction || r.Action != "register" {
		t.Errorf("register: %+v", r)
	}
}

// FuzzClassify: no panic; a parsed resource id prints a canonical id that
// parses back to the same resource.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"/subscriptions/s/resourceGroups/rg/providers/A.B/t/n",
		"/subscriptions/s/resourceGroups/rg/providers/A.B/t/n/c/m/providers/C.D/e/x",
		"/subscriptions/s/providers/A.B/t",
		"/subscriptions/s/resources",
		"/subscriptions/s/resourceGroups/rg/providers/A.B/t/n%2F",
		"/providers/A.B",
	} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		r, err := Classify(method, path)
		if err != nil && (err.status < 400 || err.status > 499 || err.code == "" || err.message == "") {
			t.Fatalf("%q: error %+v", path, err)
		}
		if err != nil || r.ID == nil {
			return
		}
		if r.Kind != KindResource {
			return
		}
		canon := r.ID.String()
		r2, err2 := Classify(method, escapeSegments(canon))
		if err2 != nil || r2.Kind != KindResource || r2.ID.Key() != r.ID.Key() {
			t.Fatalf("%q → %q does not round-trip: %+v %v", path, canon, r2, err2)
		}
	})
}

// escapeSegments escapes each segment of an unescaped id for a URL path.
func escapeSegments(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(pathEscape(p), "%2F", "/"), "/", "%2F")
	}
	return strings.Join(parts, "/")
}
