package imdsv2

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// The document of protocols-2026 §23.7.
const v2Doc = `{"cuId":{"vmId":"6f5c0000-0000-4000-8000-000000000000"},"clientId":"cccccccc-0000-4000-8000-000000000003",
 "tenantId":"aaaaaaaa-0000-4000-8000-000000000001","attestationEndpoint":"https://fake_attestation_endpoint"}`

func TestProbe(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		server  string
		body    string
		offered bool
		detail  string
	}{
		{"v2 host", 200, "IMDS/150.870.65.1854", v2Doc, true, "IMDSv2 is offered"},
		{"v1 host", 404, "IMDS/150.870.65.1854", `{"error":"Not found"}`, false, "IMDSv1 only (404)"},
		{"not from IMDS", 200, "nginx", v2Doc, false, "does not name IMDS"},
		{"incomplete document", 200, "IMDS/1", `{"clientId":"c","tenantId":"t","cuId":{}}`, false, "lacks attestationEndpoint, cuId.vmId or cuId.vmssId"},
		{"not JSON", 200, "IMDS/1", `<html>`, false, "not a platform-metadata JSON object"},
		{"other status", 500, "IMDS/1", `{}`, false, "answered 500: IMDSv2 availability unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r
				w.Header().Set("Server", tt.server)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			r := Probe(context.Background(), testenv.LoopbackOnlyClient(nil), srv.URL+"/", 5*time.Second)
			if r.Offered != tt.offered || r.Status != tt.status || !strings.Contains(r.Detail, tt.detail) {
				t.Fatalf("Probe = %+v", r)
			}
			if got.URL.Path != "/metadata/identity/getplatformmetadata" || got.URL.RawQuery != "cred-api-version=2.0" || got.Header.Get("Metadata") != "true" ||
				!regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got.Header.Get("x-ms-correlation-id")) {
				t.Fatalf("request %s %v", got.URL, got.Header)
			}
			if tt.offered && (r.Metadata.ClientID != "cccccccc-0000-4000-8000-000000000003" || r.Metadata.CUID.VMID != "6f5c0000-0000-4000-8000-000000000000") {
				t.Fatalf("metadata %+v", r.Metadata)
			}
		})
	}
}

func TestProbeNoAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	url := srv.URL
	srv.Close()
	if r := Probe(context.Background(), testenv.LoopbackOnlyClient(nil), url, 5*time.Second); r.Offered || r.Status != 0 || !strings.HasPrefix(r.Detail, "no answer:") {
		t.Fatalf("Probe = %+v", r)
	}
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(v2Doc), "IMDS/150.870.65.1854")
	f.Add([]byte(`{"clientId":"c","tenantId":"t","cuId":{"vmssId":"s"},"attestationEndpoint":"a"}`), "imds")
	f.Add([]byte(`{"cuId":null}`), "IMDS")
	f.Add([]byte("\xff"), "Microsoft-IIS/10.0")
	f.Fuzz(func(t *testing.T, body []byte, server string) {
		m, err := ParseMetadata(body, server)
		if err == nil && (m.ClientID == "" || m.TenantID == "" || (m.CUID.VMID == "" && m.CUID.VMSSID == "")) {
			t.Fatalf("accepted an incomplete document: %+v", m)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Fatalf("error of %d bytes", len(err.Error()))
		}
	})
}
