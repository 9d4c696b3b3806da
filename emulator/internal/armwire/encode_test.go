package armwire

import (
	"bytes"
	"encoding/json"
	"testing"
)

var stringCases = []string{
	"", "plain", "rg-00001", "Resource Group", `quote " and \ backslash`, "<script>&amp;</script>", "<&>",
	"tab\tnewline\n\x00\x1f\x7f", "unicode é 日本", "\u2028\u2029", "bad utf-8 \xff\xfe", "emoji 🎉", `"\`,
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range stringCases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString([]byte("x"), s); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Errorf("AppendString(%q) = %s, json.Marshal = %s", s, got, want)
		}
	}
}

func TestAppendStringMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    map[string]string
		want string
	}{
		{"nil", nil, `{}`},
		{"empty", map[string]string{}, `{}`},
		{"sorted", map[string]string{"b": "2", "a": "1", "A": "", "ä": "x"}, `{"A":"","a":"1","b":"2","ä":"x"}`},
		{"escaped", map[string]string{"<k>": "v&\n"}, `{"\u003ck\u003e":"v\u0026\n"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendStringMap(nil, tc.m)); got != tc.want {
				t.Errorf("AppendStringMap = %s, want %s", got, tc.want)
			}
		})
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, json.Marshal = %s", s, got, want)
		}
	})
}
