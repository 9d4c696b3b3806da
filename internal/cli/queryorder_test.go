package cli

import (
	"slices"
	"testing"

	"github.com/jmespath/go-jmespath"
)

func TestMultiselectKeys(t *testing.T) {
	for q, want := range map[string][]string{
		"[].{name:name, loc:location}":                  {"name", "loc"},
		"value[?location=='eastus'].{z: a, \"b c\": b}": {"z", "b c"},
		"[].{a: tags.{x: x}, b: [c, d], c: f(g, h)}":    {"a", "b", "c"},
		"[].{a: a} | [?a == '{x: y}'] | [0:2]":          {"a"},
		"{first: [0].{p: p, q: q}, n: length(@)}":       {"first", "n"},
		"sort_by([].{k: name, v: location}, &k)":        {"k", "v"},
		"[].name":                                       nil,
		"[].[name, location]":                           nil,
		"[?name == `{\"a\": 1}`]":                       nil,
	} {
		if got := multiselectKeys(q); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
}

// FuzzMultiselectKeys: never a panic; for a valid query whose result is a
// multiselect hash, the keys found are exactly the result's keys.
func FuzzMultiselectKeys(f *testing.F) {
	for _, s := range []string{"[].{name:name, loc:location}", `{"a b": a, c: "d"}`, "{a: `{\"x\":1}`, b: 'it''s'}", "[?x=='}'].{y: y}", "{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		keys := multiselectKeys(q)
		p, err := jmespath.Compile(q)
		if err != nil {
			return
		}
		v, err := p.Search(map[string]any{})
		if err != nil {
			return
		}
		if m, ok := v.(map[string]any); ok && len(m) > 0 && keys != nil {
			for _, k := range keys {
				if _, ok := m[k]; !ok {
					t.Fatalf("%q: key %q not in the result %v", q, k, m)
				}
			}
		}
	})
}
