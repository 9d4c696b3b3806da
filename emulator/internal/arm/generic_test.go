package arm

import "testing"

func TestScopeParts(t *testing.T) {
	for _, c := range []struct{ id, sub, group string }{
		{"/subscriptions/s1", "s1", ""},
		{"/subscriptions/s1/resourceGroups/g1", "s1", "g1"},
		{"/SUBSCRIPTIONS/s1/resourcegroups/g1/providers/A.B/t/n", "s1", "g1"},
		{"/subscriptions/s1/providers/A.B/t/n", "s1", ""},
		{"/subscriptions/", "", ""},
		{"/providers/A.B/t/n", "", ""},
		{"subscriptions/s1", "", ""},
		{"", "", ""},
	} {
		if sub, group := scopeParts(c.id); sub != c.sub || group != c.group {
			t.Errorf("scopeParts(%q) = %q, %q; want %q, %q", c.id, sub, group, c.sub, c.group)
		}
	}
}
