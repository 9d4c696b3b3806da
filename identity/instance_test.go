package identity

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"
)

const computeDoc = `{"azEnvironment":"AzurePublicCloud","location":"westus","name":"examplevmname",
 "resourceGroupName":"macikgo-test-may-23",
 "resourceId":"/subscriptions/` + testSub + `/resourceGroups/macikgo-test-may-23/providers/Microsoft.Compute/virtualMachines/examplevmname",
 "subscriptionId":"` + testSub + `","tags":"Department:IT;TestStatus:Pending",
 "tagsList":[{"name":"Department","value":"IT"},{"name":"TestStatus","value":"Pending"}],
 "vmId":"02aab8a4-74ef-476e-8182-f6d2ba4166a6","vmScaleSetName":"","zone":"3","osType":"Linux","vmSize":"Standard_A3"}`

func TestInstance(t *testing.T) {
	srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path != "/metadata/instance/compute" || r.URL.Query().Get("api-version") != "2021-02-01" || r.Header.Get("Metadata") != "true" {
			writeJSON(w, 400, `{"error":"Bad request"}`)
			return
		}
		if n == 1 {
			w.WriteHeader(503) // retried
			return
		}
		writeJSON(w, 200, computeDoc)
	})
	c := newTestCred(t, srv.URL, newFakeClock(true), Options{})
	in, err := c.Instance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Instance{SubscriptionID: testSub, ResourceGroupName: "macikgo-test-may-23", Name: "examplevmname", Location: "westus",
		VMID: "02aab8a4-74ef-476e-8182-f6d2ba4166a6", AzEnvironment: "AzurePublicCloud",
		ResourceID: "/subscriptions/" + testSub + "/resourceGroups/macikgo-test-may-23/providers/Microsoft.Compute/virtualMachines/examplevmname",
		Tags:       map[string]string{"Department": "IT", "TestStatus": "Pending"}}
	if in.SubscriptionID != want.SubscriptionID || in.ResourceGroupName != want.ResourceGroupName || in.Name != want.Name ||
		in.Location != want.Location || in.VMID != want.VMID || in.ResourceID != want.ResourceID || in.AzEnvironment != want.AzEnvironment ||
		!maps.Equal(in.Tags, want.Tags) {
		t.Fatalf("Instance = %+v\nwant %+v", in, want)
	}
	if srv.count.Load() != 2 {
		t.Fatalf("%d requests", srv.count.Load())
	}
}

func TestParseInstanceTags(t *testing.T) {
	tests := []struct {
		body string
		want map[string]string
	}{
		{`{"tags":"a:1;b:2:3;;c"}`, map[string]string{"a": "1", "b": "2:3", "c": ""}},
		{`{"tags":""}`, map[string]string{}},
		{`{"tags":"x:y","tagsList":[]}`, map[string]string{}}, // tagsList wins even when empty
		{`{"tagsList":[{"name":"k;1","value":"v:2"}]}`, map[string]string{"k;1": "v:2"}},
	}
	for _, tt := range tests {
		in, err := parseInstance([]byte(tt.body))
		if err != nil || !maps.Equal(in.Tags, tt.want) {
			t.Errorf("parseInstance(%s) = %v, %v; want %v", tt.body, in.Tags, err, tt.want)
		}
	}
	if _, err := parseInstance([]byte(`{"name":5}`)); err == nil || !strings.Contains(err.Error(), "field name") {
		t.Errorf("bad type: %v", err)
	}
}

func TestInstanceErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		ctype   string
		want    string
		unavail bool
	}{
		{"404", 404, `{"error":"Not found"}`, "application/json", "answered 404: Not found", false},
		{"400", 400, `{"error":"Bad request. api-version is invalid"}`, "application/json", "answered 400: Bad request", false},
		{"html", 200, `<html>hotel wifi</html>`, "text/html", "text/html, not instance metadata", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			c := newTestCred(t, srv.URL, newFakeClock(true), Options{})
			_, err := c.Instance(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrUnavailable) != tt.unavail {
				t.Fatalf("err = %v, want %q (unavailable %v)", err, tt.want, tt.unavail)
			}
		})
	}
}
