package emulator

import (
	"net/http"
	"strings"
	"testing"
)

// A web page cannot reach the emulator: not through DNS rebinding (a Host
// that is not one of the emulator's names) and not cross-origin (Origin,
// Sec-Fetch-Site), on the control routes, the token endpoint or ARM.
func TestBrowserAndRebindingRefused(t *testing.T) {
	s := startIdentityServer(t, Options{ExtraHostnames: []string{"arm.test"}})
	imdsHost := strings.TrimPrefix(s.IMDSEndpoint(), "http://")
	armHost := strings.TrimPrefix(s.ARMEndpoint(), "https://")
	_, port, _ := strings.Cut(imdsHost, ":")
	send := func(method, url, host string, hdr map[string]string) (int, string) {
		t.Helper()
		h := map[string]string{"Host": host}
		for k, v := range hdr {
			h[k] = v
		}
		r := doRequest(t, s, method, url, h, "")
		return r.status, string(r.body)
	}
	token := s.IMDSEndpoint() + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + armRes
	reset := s.IMDSEndpoint() + "/_emulator/reset"
	for _, c := range []struct {
		name, method, url, host string
		hdr                     map[string]string
	}{
		{"rebinding reset", "POST", reset, "evil.example:" + port, nil},
		{"rebinding token", "GET", token, "evil.example:" + port, metaHeader},
		{"rebinding ARM", "GET", s.ARMEndpoint() + "/subscriptions?api-version=" + subV, "attacker.test", nil},
		{"look-alike of localhost", "POST", reset, "localhost.evil.example:" + port, nil},
		{"cross-origin reset", "POST", reset, imdsHost, map[string]string{"Origin": "http://evil.example"}},
		{"null origin", "POST", s.IMDSEndpoint() + "/_emulator/config", imdsHost, map[string]string{"Origin": "null"}},
		{"other port is another origin", "POST", reset, imdsHost, map[string]string{"Origin": "http://127.0.0.1:1"}},
		{"cross-site fetch", "GET", token, imdsHost, map[string]string{"Metadata": "true", "Sec-Fetch-Site": "cross-site"}},
		{"same-site fetch", "POST", reset, imdsHost, map[string]string{"Sec-Fetch-Site": "same-site"}},
	} {
		status, body := send(c.method, c.url, c.host, c.hdr)
		if status != http.StatusForbidden || !strings.Contains(body, "Refused") {
			t.Errorf("%s: %d %s, want 403 Refused", c.name, status, body)
		}
		if strings.Contains(body, "access_token") {
			t.Errorf("%s: a token was served", c.name)
		}
	}
	if st := s.Stats(); st.TokenRequests != 0 {
		t.Errorf("refused requests reached the token endpoint: %d", st.TokenRequests)
	}
	for _, c := range []struct {
		name, method, url, host string
		hdr                     map[string]string
		want                    int
	}{
		{"loopback address", "GET", token, imdsHost, metaHeader, 200},
		{"localhost", "GET", token, "localhost:" + port, metaHeader, 200},
		{"same origin", "POST", reset, imdsHost, map[string]string{"Origin": "http://" + imdsHost, "Sec-Fetch-Site": "same-origin"}, 200},
		{"ExtraHostnames", "GET", s.ARMEndpoint() + "/_emulator/healthz", "ARM.test", nil, 200},
		{"a vault name (Key Vault answers)", "GET", s.ARMEndpoint() + "/_emulator/healthz", "kv1.vault.azure.net", nil, 0},
		{"ARM by address", "GET", s.ARMEndpoint() + "/_emulator/healthz", armHost, nil, 200},
	} {
		status, body := send(c.method, c.url, c.host, c.hdr)
		if c.want == 0 && status != http.StatusForbidden {
			continue
		}
		if status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.want)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	names := []string{"arm.test", "*.vault.azure.net"}
	for host, want := range map[string]bool{
		"": true, "127.0.0.1:80": true, "[::1]:443": true, "10.0.0.5": true, "localhost": true, "LOCALHOST.:1": true,
		"kv.vault.localhost:1": true, "arm.test": true, "kv1.vault.azure.net": true,
		"a.b.vault.azure.net": false, "vault.azure.net": false, "evil.example": false, "localhost.evil": false, "arm.test.evil": false,
	} {
		if got := hostAllowed(host, names); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}
