package faults

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	full := "imds:500=0.3,imds:429=0.1,arm:503=0.2,arm:latency=50ms,imds:down=5s,imds:410window=70s,arm:reset=0.05,imds:truncate=0.1,imds:html=0.1,imds:wrongid=0.1,seed=42"
	f, err := Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	im := f.Families["imds"]
	if f.Seed != 42 || im.Status[500] != 0.3 || im.Status[429] != 0.1 || im.Down != 5*time.Second || im.Window410 != 70*time.Second ||
		im.Truncate != 0.1 || im.HTML != 0.1 || im.WrongID != 0.1 || f.Families["arm"].Latency != 50*time.Millisecond || f.Families["arm"].Reset != 0.05 {
		t.Fatalf("parsed %+v", f)
	}
	want := "arm:503=0.2,arm:reset=0.05,arm:latency=50ms,imds:429=0.1,imds:500=0.3,imds:truncate=0.1,imds:html=0.1,imds:wrongid=0.1,imds:410window=1m10s,imds:down=5s,seed=42"
	if got := f.String(); got != want {
		t.Errorf("String\n got %s\nwant %s", got, want)
	}
	again, err := Parse(f.String())
	if err != nil || !reflect.DeepEqual(again, f) {
		t.Errorf("round trip: %v %+v", err, again)
	}
	for _, ok := range []string{"", "  ", "seed=0", " IMDS:500 = 1 ", "appservice2017:404=0.5,cloudshell:retryafter=3s,azureml:reset=0,arc:html=1,servicefabric:599=0.1"} {
		if _, err := Parse(ok); err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
		}
	}

	bad := []struct{ spec, want string }{
		{"imds", "expected FAMILY:KIND=VALUE"},
		{"imds:500", "expected FAMILY:KIND=VALUE"},
		{"imds:500=", "expected FAMILY:KIND=VALUE"},
		{"500=0.3", "expected FAMILY:KIND=VALUE (e.g. imds:500=0.3)"},
		{"vm:500=0.3", `unknown family "vm"`},
		{"imds:200=0.3", `unknown kind "200"`},
		{"imds:5000=0.3", `unknown kind "5000"`},
		{"imds:boom=0.3", "expected a status 400-599"},
		{"imds:500=1.5", "rate must be a number from 0 to 1"},
		{"imds:500=-0.1", "rate must be a number from 0 to 1"},
		{"imds:500=NaN", "rate must be a number from 0 to 1"},
		{"imds:latency=fast", "expected a duration"},
		{"imds:down=-1s", "expected a duration"},
		{"imds:down=48h", "above 24h"},
		{"arm:wrongid=0.1", "identity families"},
		{"imds:500=0.1,imds:500=0.2", "given twice"},
		{"seed=1,seed=2", "seed is given twice"},
		{"seed=-1", "non-negative integer"},
		{"imds:500=0.6,imds:503=0.6", "add up to 1.2"},
		{"imds:500=0.1,,seed=1", "item 2 is empty"},
		{strings.Repeat("x", MaxSpec+1), "at most 4096"},
	}
	for _, c := range bad {
		_, err := Parse(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%.40q) = %v, want error containing %q", c.spec, err, c.want)
		}
	}
	if err := (&Faults{Families: map[string]FamilyFaults{"nope": {}}}).Validate(); err == nil {
		t.Error("Validate accepted an unknown family")
	}
}

// FuzzParseFaults: no panic; an accepted spec survives String and re-parse.
func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"", "seed=1", "imds:500=0.3,imds:429=0.1,arm:503=0.2,arm:latency=50ms,imds:down=5s,seed=42",
		"imds:410window=70s", "arm:reset=0.05,imds:truncate=0.1,imds:html=0.1,imds:wrongid=0.1", "appservice:retryafter=2s", "imds:500=1e-3", "imds:500=0x1p-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := Parse(spec)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		again, err := Parse(p.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q rejected: %v", p.String(), spec, err)
		}
		if again.String() != p.String() {
			t.Fatalf("canonical form not stable: %q → %q", p.String(), again.String())
		}
	})
}
