package bench

import "testing"

func TestWorldValidates(t *testing.T) {
	for _, tc := range []struct{ subs, groups int }{{1, 10}, {3, 5}} {
		c := World(tc.subs, tc.groups)
		if err := c.Validate(); err != nil {
			t.Fatalf("World(%d, %d): %v", tc.subs, tc.groups, err)
		}
		if len(c.Subscriptions) != tc.subs || len(c.Subscriptions[0].ResourceGroups) != tc.groups {
			t.Fatalf("World(%d, %d) has %d subscriptions", tc.subs, tc.groups, len(c.Subscriptions))
		}
	}
}
