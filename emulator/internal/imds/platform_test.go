package imds

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPlatformMetadata(t *testing.T) {
	const path = "/metadata/identity/getplatformmetadata?cred-api-version=2.0"
	v1 := newService(t)
	if w := get(v1.PlatformMetadata, path, true); w.Code != 404 {
		t.Fatalf("IMDSv1 host: %d %s", w.Code, w.Body)
	}
	v2 := newService(t)
	v2.v2 = true
	w := get(v2.PlatformMetadata, path, true)
	var doc struct {
		ClientID, TenantID, AttestationEndpoint string
		CUID                                    map[string]string `json:"cuId"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	// default.json's system identity, tenant and VM.
	if doc.ClientID != "11111111-1111-1111-1111-111111111111" || doc.TenantID != "72f988bf-86f1-41af-91ab-2d7cd011db47" ||
		len(doc.CUID["vmId"]) != 36 || !strings.HasPrefix(doc.AttestationEndpoint, "https://") || !strings.Contains(w.Header().Get("Server"), "IMDS") {
		t.Fatalf("%+v %v", doc, w.Header())
	}
	for _, c := range []struct {
		target string
		header bool
		status int
		want   string
	}{
		{path, false, 400, "Required metadata header"}, // MSAL.NET's probe: 400 means v2 is there
		{"/metadata/identity/getplatformmetadata", true, 400, "cred-api-version"},
		{path + "&client_id=22222222-2222-2222-2222-222222222222", true, 200, `"clientId":"22222222-2222-2222-2222-222222222222"`},
		{path + "&client_id=99999999-9999-9999-9999-999999999999", true, 400, "Identity not found"},
		{path + "&client_id=a&object_id=b", true, 400, ""},
	} {
		w := get(v2.PlatformMetadata, c.target, c.header)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.want) {
			t.Fatalf("%s: %d %s", c.target, w.Code, w.Body)
		}
	}
}
