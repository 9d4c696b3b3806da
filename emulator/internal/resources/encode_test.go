package resources

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestEncodeMatchesEncodingJSON: the hand-written encoders produce valid
// JSON equal to what encoding/json writes for the same members, including
// strings that need escaping.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	r := &Record{ID: rg1 + "/providers/A.B/t/<n&\"é\u2028>", Type: "A.B/t", Location: "eastus", Kind: "k", ManagedBy: "m",
		Tags: map[string]string{"z": "1", "a": "<b>", "é": "\x01"}, SKU: json.RawMessage(`{"name":"S1"}`),
		Identity: json.RawMessage(`{"type":"None"}`), Zones: json.RawMessage(`["1"]`),
		Properties: json.RawMessage(`{"a":1,"b":{"c":[true,null]}}`), State: "Succeeded",
		CreatedAt: at, CreatedBy: "c", CreatedByType: "Application", ChangedAt: at.Add(time.Second), ChangedBy: "d", ChangedByType: "User"}
	full := r.appendFull(nil)
	want := map[string]any{
		"id": r.ID, "name": "<n&\"é\u2028>", "type": "A.B/t", "location": "eastus", "kind": "k", "managedBy": "m",
		"tags": map[string]any{"z": "1", "a": "<b>", "é": "\x01"}, "sku": map[string]any{"name": "S1"},
		"identity": map[string]any{"type": "None"}, "zones": []any{"1"},
		"properties": map[string]any{"provisioningState": "Succeeded", "a": 1.0, "b": map[string]any{"c": []any{true, nil}}},
		"systemData": map[string]any{"createdBy": "c", "createdByType": "Application", "createdAt": "2026-01-02T03:04:05.0000006Z",
			"lastModifiedBy": "d", "lastModifiedByType": "User", "lastModifiedAt": "2026-01-02T03:04:06.0000006Z"},
	}
	var got map[string]any
	if err := json.Unmarshal(full, &got); err != nil {
		t.Fatalf("invalid JSON %v: %s", err, full)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("full form\n got %v\nwant %v", got, want)
	}
	list := r.appendList(nil, listForm{})
	var gl map[string]any
	if err := json.Unmarshal(list, &gl); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"properties", "systemData", "createdTime"} {
		if _, ok := gl[k]; ok {
			t.Errorf("list form has %s", k)
		}
	}
	if gl["tags"] == nil || gl["sku"] == nil {
		t.Errorf("list form = %v", gl)
	}
	// An untracked resource without tags has none in either form.
	u := &Record{ID: rg1 + "/providers/A.B/t/n/c/x", Type: "A.B/t/c", State: "Succeeded"}
	var gu map[string]any
	_ = json.Unmarshal(u.appendFull(nil), &gu)
	if _, ok := gu["tags"]; ok {
		t.Error("untracked resource got tags")
	}
	if gu["properties"].(map[string]any)["provisioningState"] != "Succeeded" {
		t.Errorf("untracked = %v", gu)
	}
}
