package arm

import (
	"bytes"
	"encoding/json"
	"testing"
)

var encodeCases = []string{
	"", "rg-00001", "Resource Group", `quote " and \ backslash`, "<script>&amp;</script>",
	"tab\tnewline\n\x00\x1f\x7f", "unicode é 日本", "\u2028\u2029", "bad utf-8 \xff\xfe", "emoji 🎉",
}

// appendJSON writes exactly what json.Marshal writes for the same value.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	var groups []armGroup
	for i, s := range encodeCases {
		g := armGroup{ID: "/subscriptions/x/resourceGroups/" + s, Name: s, Type: "Microsoft.Resources/resourceGroups", Location: "eastus"}
		g.Properties.ProvisioningState = "Succeeded"
		switch i % 3 {
		case 0:
			g.Tags = map[string]string{s: s, "b": "2", "a": "1", "A": "", "ä": "x"}
			g.ManagedBy = s
		case 1:
			g.Tags = map[string]string{}
		}
		groups = append(groups, g)
	}
	for _, p := range []groupPage{
		{Value: []armGroup{}},
		{Value: groups},
		{Value: groups[:1], NextLink: "https://127.0.0.1:1/subscriptions/x/resourcegroups?api-version=2021-04-01&%24skiptoken=a<b>&c"},
	} {
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("appendJSON:\n%s\njson.Marshal:\n%s", got, want)
		}
	}
}
