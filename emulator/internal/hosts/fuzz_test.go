package hosts

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add("appservice=127.0.0.1:41056,arc")
	f.Add("servicefabric=[::1]:2377")
	f.Add("=,==,imds=")
	f.Add("ARC = 127.0.0.1:0 , arc")
	f.Fuzz(func(t *testing.T, in string) {
		specs, err := Parse([]string{in})
		if err != nil {
			if len(err.Error()) > 1000 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		seen := map[string]bool{}
		for _, sp := range specs {
			if seen[sp.Name] || sp.Name != strings.ToLower(sp.Name) {
				t.Fatalf("Parse(%q) = %v", in, specs)
			}
			seen[sp.Name] = true
			if sp.Addr != "" && (sp.Name == IMDS || sp.Name == Workload) {
				t.Fatalf("Parse(%q) gave %s an address", in, sp.Name)
			}
		}
	})
}

func FuzzRevocationOptions(f *testing.F) {
	f.Add("xms_cc=cp1&token_sha256_to_refresh=cc0af97287543b65da2c7e1476426021826cab166f1e063ed012b855ff819656")
	f.Add("xms_cc=cp2,%20CP1&token_sha256_to_refresh=zz")
	f.Add("token_sha256_to_refresh=" + strings.Repeat("A", 64))
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		o := revocationOptions(q)
		if o.ReplaceSHA256 != "" && !isHexSHA256(o.ReplaceSHA256) {
			t.Fatalf("revocationOptions(%q) = %+v", raw, o)
		}
		if o.CP1 && !strings.Contains(strings.ToLower(q.Get("xms_cc")), "cp1") {
			t.Fatalf("cp1 from %q", raw)
		}
	})
}
