package entra

import (
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	ok := []struct {
		spec string
		want Faults
	}{
		{"", Faults{}},
		{" expiredfile ", Faults{ExpiredFile: true}},
		{"rotationstopped,wrongaudience,nocredential", Faults{RotationStopped: true, WrongAudience: true, NoCredential: true}},
		{"429=3,retryafter=2s", Faults{Status: 429, StatusCount: 3, RetryAfter: 2 * time.Second}},
		{"503", Faults{Status: 503}},
	}
	for _, c := range ok {
		got, err := ParseFaults(c.spec)
		if err != nil || got != c.want {
			t.Errorf("ParseFaults(%q) = %+v, %v; want %+v", c.spec, got, err, c.want)
		}
	}
	bad := map[string]string{
		"expiredfile,":            "empty",
		"expiredfile=1":           "takes no value",
		"expiredfile,expiredfile": "given twice",
		"404":                     "only 429 and 500-599",
		"429,503":                 "only one status",
		"429=0":                   "count must be",
		"retryafter=soon":         "retryafter=DURATION",
		"retryafter":              "retryafter=DURATION",
		"slow":                    "unknown item",
		strings.Repeat("a", 600):  "at most 512",
	}
	for spec, want := range bad {
		if _, err := ParseFaults(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseFaults(%q) error %v, want %q", spec, err, want)
		}
	}
}

// FuzzParseFaults: any spec parses into faults that validate, or is refused
// with an error; never a panic.
func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"", "expiredfile,429=3,retryafter=2s", "503", "nocredential,,", "429=99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseFaults(spec)
		if err != nil {
			return
		}
		if verr := got.Validate(); verr != nil {
			t.Fatalf("ParseFaults(%q) = %+v, which does not validate: %v", spec, got, verr)
		}
	})
}
