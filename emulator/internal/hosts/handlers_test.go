package hosts

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/stats"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
	"github.com/azmsi/azmsi/emulator/internal/tokens/tokentest"
	"github.com/azmsi/azmsi/internal/testenv"
)

// Identities of the default configuration (internal/config/default.json).
const (
	sysObjectID = "11111111-1111-1111-1111-aaaaaaaaaaaa"
	conClientID = tokentest.ContributorClientID
	conObjectID = tokentest.ContributorObjectID
	vaultRes    = "https://vault.azure.net"
)

// testHost runs one host's handler (plain HTTP: the handlers do not look
// at TLS) over the default configuration.
type testHost struct {
	*httptest.Server
	ep     *Endpoint
	client *http.Client
}

func newTestHost(t *testing.T, name string) *testHost {
	t.Helper()
	key, err := tokens.LoadOrCreateKey("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	auth := tokens.New(tokens.Deps{Key: key, Clock: time.Now, Lifetime: 24 * time.Hour, Config: func() *config.Config { return cfg },
		Stats: &stats.Counters{}, Logger: slog.New(slog.DiscardHandler)})
	set := New(Deps{Tokens: auth, Config: func() *config.Config { return cfg }, Stats: &stats.Counters{}, Logger: slog.New(slog.DiscardHandler), ArcKeyDir: t.TempDir()})
	t.Cleanup(set.Close)
	h, _, err := set.Add(name, "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testHost{Server: srv, ep: set.Get(name), client: testenv.LoopbackOnlyClient(nil)}
}

// get sends path?query with the host's secret in header and decodes the
// JSON answer.
func (h *testHost) get(t *testing.T, path, query, header string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.URL+path+"?"+query, nil)
	req.Header.Set(header, h.ep.Secret)
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

func claimsOf(t *testing.T, raw any) map[string]any {
	t.Helper()
	s, _ := raw.(string)
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %v", raw)
	}
	var m map[string]any
	if err := json.Unmarshal(tokentest.DecodeSegment(t, parts[1]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sfCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestServiceFabricVersions(t *testing.T) {
	h := newTestHost(t, ServiceFabric)
	q := func(v, extra string) string { return "api-version=" + v + "&resource=" + vaultRes + extra }
	for _, c := range []struct {
		name   string
		query  string
		status int
		oid    string
		code   string
	}{
		{"2020-05-01 system-assigned", q("2020-05-01", ""), 200, sysObjectID, ""},
		{"2019-07-01-preview system-assigned", q("2019-07-01-preview", ""), 200, sysObjectID, ""},
		{"2020-05-01 principalId", q("2020-05-01", "&principalId="+conObjectID), 200, conObjectID, ""},
		{"principalId any case", q("2020-05-01", "&principalId="+strings.ToUpper(conObjectID)), 200, conObjectID, ""},
		{"principalId on the old version", q("2019-07-01-preview", "&principalId="+conObjectID), 400, "", "InvalidParameter"},
		{"client_id", q("2020-05-01", "&client_id="+conClientID), 400, "", "InvalidParameter"},
		{"empty principalId", q("2020-05-01", "&principalId="), 400, "", "InvalidParameter"},
		{"unknown principalId", q("2020-05-01", "&principalId=99999999-9999-9999-9999-999999999999"), 404, "", "ManagedIdentityNotFound"},
		{"unknown version", q("2021-01-01", ""), 400, "", "InvalidApiVersion"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, m := h.get(t, "/metadata/identity/oauth2/token", c.query, "Secret")
			if status != c.status {
				t.Fatalf("%d %v", status, m)
			}
			if c.code != "" {
				if sfCode(m) != c.code {
					t.Fatalf("code %q in %v", sfCode(m), m)
				}
				return
			}
			if _, num := m["expires_on"].(float64); !num || claimsOf(t, m["access_token"])["oid"] != c.oid {
				t.Fatalf("%v", m)
			}
		})
	}
}

// revocationFlow checks a host's cache and replacement: plain requests get
// the cached token, a hash of another token changes nothing, the cached
// token's hash with xms_cc=cp1 gets a new token carrying xms_cc.
func revocationFlow(t *testing.T, h *testHost, path, header, base string) {
	t.Helper()
	token := func(extra string) string {
		t.Helper()
		status, m := h.get(t, path, base+extra, header)
		if status != 200 {
			t.Fatalf("%d %v", status, m)
		}
		return m["access_token"].(string)
	}
	first := token("")
	if again := token(""); again != first {
		t.Fatal("a plain request was not answered from the cache")
	}
	if other := token("&xms_cc=cp1&token_sha256_to_refresh=" + tokens.SHA256Hex("another token")); other != first {
		t.Fatal("the hash of another token replaced the cached one")
	}
	if bad := token("&xms_cc=cp1&token_sha256_to_refresh=not-a-hash"); bad != first {
		t.Fatal("a malformed hash replaced the cached one")
	}
	second := token("&xms_cc=cp1&token_sha256_to_refresh=" + tokens.SHA256Hex(first))
	if second == first {
		t.Fatal("the named token was not replaced")
	}
	if cc := fmt.Sprint(claimsOf(t, second)["xms_cc"]); cc != "[cp1]" {
		t.Fatalf("xms_cc = %s", cc)
	}
	if _, ok := claimsOf(t, first)["xms_cc"]; ok {
		t.Fatal("xms_cc in a token minted without cp1")
	}
	if got := token(""); got != second {
		t.Fatal("the replacement is not what the cache serves next")
	}
}

func TestServiceFabricRevocation(t *testing.T) {
	for _, v := range []string{"2020-05-01", "2019-07-01-preview"} {
		t.Run(v, func(t *testing.T) {
			revocationFlow(t, newTestHost(t, ServiceFabric), "/metadata/identity/oauth2/token", "Secret", "api-version="+v+"&resource="+vaultRes)
		})
	}
}

func TestAppServiceRevocation(t *testing.T) {
	h := newTestHost(t, AppService)
	revocationFlow(t, h, "/msi/token", "X-IDENTITY-HEADER", "api-version=2025-03-30&resource="+vaultRes+"&client_id="+conClientID)
	// 2019-08-01 ignores the parameters: the cache answers.
	base := "api-version=2019-08-01&resource=" + vaultRes
	_, m := h.get(t, "/msi/token", base, "X-IDENTITY-HEADER")
	first := m["access_token"].(string)
	_, m = h.get(t, "/msi/token", base+"&xms_cc=cp1&token_sha256_to_refresh="+tokens.SHA256Hex(first), "X-IDENTITY-HEADER")
	if m["access_token"] != first {
		t.Fatal("2019-08-01 replaced a token")
	}
}

func TestContainerApps(t *testing.T) {
	h := newTestHost(t, ContainerApps)
	status, m := h.get(t, "/msi/token", "api-version=2019-08-01&resource="+vaultRes+"&client_id="+conClientID, "X-IDENTITY-HEADER")
	if status != 200 || claimsOf(t, m["access_token"])["oid"] != conObjectID || m["client_id"] != conClientID {
		t.Fatalf("%d %v", status, m)
	}
	// No revocation api-version on Container Apps.
	if status, m := h.get(t, "/msi/token", "api-version=2025-03-30&resource="+vaultRes, "X-IDENTITY-HEADER"); status != 400 || !strings.Contains(fmt.Sprint(m["message"]), "2019-08-01") {
		t.Fatalf("2025-03-30: %d %v", status, m)
	}
}
