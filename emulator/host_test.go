package emulator

import (
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

func envMap(vs []EnvVar) map[string]string {
	m := map[string]string{}
	for _, v := range vs {
		m[v.Name] = v.Value
	}
	return m
}

// claimsOf decodes a JWT's payload without verifying it.
func claimsOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHostsOptionValidation(t *testing.T) {
	if _, err := Start(t.Context(), Options{Hosts: []string{"appservice", "lambda"}}); err == nil || !strings.Contains(err.Error(), `unknown host "lambda"`) {
		t.Fatalf("err = %v", err)
	}
	s := startIdentityServer(t, Options{Hosts: []string{"imds, CloudShell", "cloudshell", "appservice"}})
	var names []string
	for _, h := range s.Hosts() {
		names = append(names, h.Name)
	}
	if strings.Join(names, ",") != "imds,cloudshell,appservice" {
		t.Fatalf("Hosts() = %v", names)
	}
	// Env points at the first non-IMDS host listed; HostEnv at any.
	env := envMap(s.Env())
	if env["MSI_ENDPOINT"] == "" || env["IDENTITY_ENDPOINT"] != "" || env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] == "" {
		t.Fatalf("Env() = %v", env)
	}
	if e := envMap(s.HostEnv(HostAppService)); e["IDENTITY_ENDPOINT"] == "" || e["IDENTITY_HEADER"] == "" {
		t.Fatalf("HostEnv(appservice) = %v", e)
	}
	if s.HostEnv(HostArc) != nil {
		t.Fatal("HostEnv of a host not running")
	}
	if !strings.Contains(s.EnvFile(), "export MSI_ENDPOINT=") {
		t.Fatalf("EnvFile:\n%s", s.EnvFile())
	}
}

func TestAppServiceHost(t *testing.T) {
	s := startIdentityServer(t, Options{Hosts: []string{HostAppService}})
	env := envMap(s.Env())
	ep, secret := env["IDENTITY_ENDPOINT"], env["IDENTITY_HEADER"]
	if !strings.HasSuffix(ep, "/msi/token") || len(secret) < 32 {
		t.Fatalf("env = %v", env)
	}
	hdr := map[string]string{"X-IDENTITY-HEADER": secret}
	tests := []struct {
		name, query string
		headers     map[string]string
		status      int
		oid, msg    string
	}{
		{"system", "api-version=2019-08-01&resource=" + armRes, hdr, 200, sysObjectID, ""},
		{"client_id", "api-version=2019-08-01&resource=" + armRes + "&client_id=" + conClientID, hdr, 200, conObjectID, ""},
		{"principal_id", "api-version=2019-08-01&resource=" + armRes + "&principal_id=" + rdrObjectID, hdr, 200, rdrObjectID, ""},
		{"object_id alias", "api-version=2019-08-01&resource=" + armRes + "&object_id=" + conObjectID, hdr, 200, conObjectID, ""},
		{"mi_res_id", "api-version=2019-08-01&resource=" + armRes + "&mi_res_id=" + url.QueryEscape(rdrResID), hdr, 200, rdrObjectID, ""},
		{"missing header", "api-version=2019-08-01&resource=" + armRes, nil, 401, "", "missing"},
		{"wrong header", "api-version=2019-08-01&resource=" + armRes, map[string]string{"X-IDENTITY-HEADER": secret + "x"}, 401, "", "not valid"},
		{"bad api-version", "api-version=2018-02-01&resource=" + armRes, hdr, 400, "", "not supported"},
		{"no resource", "api-version=2019-08-01", hdr, 400, "", "resource"},
		{"two selectors", "api-version=2019-08-01&resource=" + armRes + "&client_id=" + conClientID + "&mi_res_id=x", hdr, 400, "", "Only one"},
		{"empty principal_id", "api-version=2019-08-01&resource=" + armRes + "&principal_id=", hdr, 400, "", `"principal_id" is empty`},
		{"resource with a control character", "api-version=2019-08-01&resource=%1b%5B31m", hdr, 400, "", "control characters"},
		{"unknown identity", "api-version=2019-08-01&resource=" + armRes + "&client_id=99999999-9999-9999-9999-999999999999", hdr, 400, "", "Unable to load the proper Managed Identity."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := doRequest(t, s, http.MethodGet, ep+"?"+tt.query, tt.headers, "")
			m := r.json(t)
			if r.status != tt.status {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if tt.status != 200 {
				if m["statusCode"] != float64(tt.status) || !strings.Contains(m["message"].(string), tt.msg) || m["correlationId"] == "" || r.header.Get("X-CORRELATION-ID") == "" {
					t.Fatalf("error body %s", r.body)
				}
				return
			}
			if _, ok := m["expires_in"]; ok {
				t.Fatalf("2019-08-01 has no expires_in: %s", r.body)
			}
			if eo, ok := m["expires_on"].(string); !ok || !regexp.MustCompile(`^\d+$`).MatchString(eo) || m["token_type"] != "Bearer" || m["resource"] != "https://management.azure.com/" {
				t.Fatalf("body %s", r.body)
			}
			if c := claimsOf(t, m["access_token"].(string)); c["oid"] != tt.oid {
				t.Fatalf("oid = %v", c["oid"])
			}
		})
	}
	if strings.Contains(s.Stats().Tokens[0].Identity, secret) {
		t.Fatal("secret in stats")
	}
}

func TestMSI2017Hosts(t *testing.T) {
	clock := newFakeClock()
	s := startIdentityServer(t, Options{Hosts: []string{HostAppService2017, HostAzureML}, Clock: clock})
	for _, host := range []string{HostAppService2017, HostAzureML} {
		t.Run(host, func(t *testing.T) {
			env := envMap(s.HostEnv(host))
			ep, secret := env["MSI_ENDPOINT"], env["MSI_SECRET"]
			if host == HostAzureML && env["DEFAULT_IDENTITY_CLIENT_ID"] != sysClientID {
				t.Fatalf("env = %v", env)
			}
			if host == HostAppService2017 && env["APPSETTING_WEBSITE_SITE_NAME"] == "" {
				t.Fatalf("env = %v", env)
			}
			ok := doRequest(t, s, http.MethodGet, strings.Replace(ep, "/msi/", "/MSI/", 1)+"?api-version=2017-09-01&resource="+armRes+"&clientid="+conClientID, map[string]string{"secret": secret}, "")
			m := ok.json(t)
			if ok.status != 200 || claimsOf(t, m["access_token"].(string))["oid"] != conObjectID {
				t.Fatalf("status %d %s", ok.status, ok.body)
			}
			exp := clock.Now().Truncate(time.Second).Add(defaultTokenLifetime).UTC()
			if host == HostAzureML {
				if m["expires_on"] != float64(exp.Unix()) || m["expires_in"] != float64(defaultTokenLifetime/time.Second) {
					t.Fatalf("Azure ML expiry: %s", ok.body)
				}
			} else if m["expires_on"] != exp.Format("01/02/2006 15:04:05")+" +00:00" {
				t.Fatalf("App Service 2017 expiry: %s", ok.body)
			}
			sys := doRequest(t, s, http.MethodGet, ep+"?api-version=2017-09-01&resource="+armRes, map[string]string{"secret": secret}, "")
			if sys.status != 200 || claimsOf(t, sys.json(t)["access_token"].(string))["oid"] != sysObjectID {
				t.Fatalf("system: %d %s", sys.status, sys.body)
			}
			for name, c := range map[string]struct {
				q      string
				h      map[string]string
				status int
			}{
				"missing secret": {"api-version=2017-09-01&resource=" + armRes, nil, 401},
				"wrong secret":   {"api-version=2017-09-01&resource=" + armRes, map[string]string{"secret": "nope"}, 401},
				"api-version":    {"api-version=2019-08-01&resource=" + armRes, map[string]string{"secret": secret}, 400},
				"object_id":      {"api-version=2017-09-01&resource=" + armRes + "&object_id=" + conObjectID, map[string]string{"secret": secret}, 400},
				"unknown client": {"api-version=2017-09-01&resource=" + armRes + "&clientid=99999999-9999-9999-9999-999999999999", map[string]string{"secret": secret}, 400},
			} {
				r := doRequest(t, s, http.MethodGet, ep+"?"+c.q, c.h, "")
				m := r.json(t)
				shapeOK := m["statusCode"] != nil && m["message"] != nil
				if host == HostAzureML {
					shapeOK = m["error"] != nil && m["error_description"] != nil
				}
				if r.status != c.status || !shapeOK || strings.Contains(string(r.body), secret) {
					t.Fatalf("%s: %d %s", name, r.status, r.body)
				}
			}
		})
	}
}

func TestCloudShellHost(t *testing.T) {
	s := startIdentityServer(t, Options{Hosts: []string{HostCloudShell}})
	ep := envMap(s.Env())["MSI_ENDPOINT"]
	form := map[string]string{"Metadata": "true", "Content-Type": "application/x-www-form-urlencoded"}
	r := doRequest(t, s, http.MethodPost, ep, form, "resource="+armRes)
	m := r.json(t)
	if r.status != 200 || m["expires_in"] == nil || m["expires_on"] == nil || m["refresh_token"] != "" || claimsOf(t, m["access_token"].(string))["oid"] != sysObjectID {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for name, c := range map[string]struct {
		method  string
		headers map[string]string
		body    string
		status  int
	}{
		"GET":           {http.MethodGet, form, "", 405},
		"no metadata":   {http.MethodPost, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "resource=" + armRes, 400},
		"json body":     {http.MethodPost, map[string]string{"Metadata": "true", "Content-Type": "application/json"}, `{"resource":"x"}`, 415},
		"no resource":   {http.MethodPost, form, "x=1", 400},
		"user-assigned": {http.MethodPost, form, "resource=" + armRes + "&client_id=" + conClientID, 400},
	} {
		r := doRequest(t, s, c.method, ep, c.headers, c.body)
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if r.status != c.status || json.Unmarshal(r.body, &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
	}
}

func TestArcHost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tokens")
	s := startIdentityServer(t, Options{Hosts: []string{HostArc}, ArcKeyDir: dir})
	env := envMap(s.Env())
	ep := env["IDENTITY_ENDPOINT"]
	if env["IMDS_ENDPOINT"] == "" || !strings.HasPrefix(ep, env["IMDS_ENDPOINT"]) || env["AZMSI_ARC_KEY_DIR"] != dir {
		t.Fatalf("env = %v", env)
	}
	challenge := func(q string) string {
		r := doRequest(t, s, http.MethodGet, ep+"?"+q, metaHeader, "")
		h := r.header.Get("WWW-Authenticate")
		if r.status != 401 || !strings.HasPrefix(h, "Basic realm=") {
			t.Fatalf("challenge: %d %q %s", r.status, h, r.body)
		}
		path := strings.TrimPrefix(h, "Basic realm=")
		if filepath.Dir(path) != dir || filepath.Ext(path) != ".key" || strings.Contains(path, "=") {
			t.Fatalf("realm %q", path)
		}
		key, err := os.ReadFile(path)
		if err != nil || len(key) == 0 {
			t.Fatalf("key file: %v", err)
		}
		return string(key)
	}
	q := "api-version=2020-06-01&resource=" + armRes
	for _, sel := range []struct{ q, field, want, oid string }{
		{"", "client_id", sysClientID, sysObjectID},
		{"&client_id=" + conClientID, "client_id", conClientID, conObjectID},
		{"&object_id=" + rdrObjectID, "object_id", rdrObjectID, rdrObjectID},
		{"&msi_res_id=" + url.QueryEscape(conResID), "msi_res_id", conResID, conObjectID},
	} {
		key := challenge(q + sel.q)
		r := doRequest(t, s, http.MethodGet, ep+"?"+q+sel.q, map[string]string{"Metadata": "true", "Authorization": "Basic " + key}, "")
		m := r.json(t)
		if r.status != 200 || m[sel.field] != sel.want || claimsOf(t, m["access_token"].(string))["oid"] != sel.oid {
			t.Fatalf("%s: %d %s", sel.q, r.status, r.body)
		}
		// Each key works once.
		again := doRequest(t, s, http.MethodGet, ep+"?"+q+sel.q, map[string]string{"Metadata": "true", "Authorization": "Basic " + key}, "")
		if again.status != 401 || again.header.Get("WWW-Authenticate") != "" {
			t.Fatalf("reused key: %d", again.status)
		}
	}
	key := challenge(q)
	for name, c := range map[string]struct {
		q      string
		h      map[string]string
		status int
	}{
		"wrong key":        {q, map[string]string{"Metadata": "true", "Authorization": "Basic " + key + "x"}, 401},
		"key prefix":       {q, map[string]string{"Metadata": "true", "Authorization": "Basic " + key[:len(key)-1]}, 401},
		"not basic":        {q, map[string]string{"Metadata": "true", "Authorization": "Bearer " + key}, 401},
		"no metadata":      {q, map[string]string{"Authorization": "Basic " + key}, 400},
		"bad api-version":  {"api-version=2018-02-01&resource=" + armRes, metaHeader, 400},
		"unknown identity": {q + "&client_id=99999999-9999-9999-9999-999999999999", nil, 404},
		"empty object_id":  {q + "&object_id=", nil, 400},
	} {
		h := c.h
		if h == nil {
			h = map[string]string{"Metadata": "true", "Authorization": "Basic " + challenge(c.q)}
		}
		r := doRequest(t, s, http.MethodGet, ep+"?"+c.q, h, "")
		if r.status != c.status || r.json(t)["error"] == nil {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
		if name == "unknown identity" && r.json(t)["error"] != "identity_not_found" {
			t.Fatalf("%s: %s", name, r.body)
		}
	}
	// The right key still works after the failed attempts (they consumed nothing).
	if r := doRequest(t, s, http.MethodGet, ep+"?"+q, map[string]string{"Metadata": "true", "Authorization": "Basic " + key}, ""); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// Close removes outstanding key files but not a folder it did not create.
	challenge(q)
	s.Close()
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Fatalf("key files left: %v", left)
	}
}

func TestArcHostOwnsTempKeyDir(t *testing.T) {
	s, err := Start(t.Context(), Options{Hosts: []string{HostArc}})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.HostEnv(HostArc)[2].Value
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || !filepath.IsAbs(dir) {
		t.Fatalf("key dir %q: %v", dir, err)
	}
	s.Close()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temp key dir not removed: %v", err)
	}
}

// sfClient trusts only the certificate with the given thumbprint.
func sfClient(thumb string) *http.Client {
	tr := testenv.LoopbackOnlyTransport()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
		sum := sha1.Sum(cs.PeerCertificates[0].Raw)
		if !strings.EqualFold(hex.EncodeToString(sum[:]), thumb) {
			return errors.New("thumbprint mismatch")
		}
		return nil
	}}
	return &http.Client{Transport: tr}
}

func TestServiceFabricHost(t *testing.T) {
	s := startIdentityServer(t, Options{Hosts: []string{HostServiceFabric}})
	env := envMap(s.Env())
	ep, secret, thumb := env["IDENTITY_ENDPOINT"], env["IDENTITY_HEADER"], env["IDENTITY_SERVER_THUMBPRINT"]
	if !strings.HasPrefix(ep, "https://127.0.0.1:") || !regexp.MustCompile(`^[0-9A-F]{40}$`).MatchString(thumb) || env["IDENTITY_API_VERSION"] != "2019-07-01-preview" {
		t.Fatalf("env = %v", env)
	}
	if s.Hosts()[1].Thumbprint != thumb {
		t.Fatalf("Hosts() = %+v", s.Hosts())
	}
	c := sfClient(thumb)
	defer c.CloseIdleConnections()
	get := func(q string, h map[string]string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, ep+"?"+q, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s", b)
		}
		return resp.StatusCode, m
	}
	q := "api-version=2019-07-01-preview&resource=" + armRes
	status, m := get(q, map[string]string{"Secret": secret})
	if _, num := m["expires_on"].(float64); status != 200 || !num || m["token_type"] != "Bearer" || claimsOf(t, m["access_token"].(string))["oid"] != sysObjectID {
		t.Fatalf("%d %v", status, m)
	}
	for name, c := range map[string]struct {
		q      string
		h      map[string]string
		status int
		code   string
	}{
		"no secret":    {q, nil, 401, "SecretHeaderNotFound"},
		"wrong secret": {q, map[string]string{"Secret": "x"}, 401, "SecretHeaderInvalid"},
		"api-version":  {"resource=" + armRes, map[string]string{"Secret": secret}, 400, "InvalidApiVersion"},
		"no resource":  {"api-version=2019-07-01-preview", map[string]string{"Secret": secret}, 400, "ArgumentNullOrEmpty"},
		"selector":     {q + "&client_id=" + conClientID, map[string]string{"Secret": secret}, 400, "InvalidParameter"},
	} {
		status, m := get(c.q, c.h)
		e, _ := m["error"].(map[string]any)
		if status != c.status || e == nil || e["code"] != c.code || e["correlationId"] == "" {
			t.Fatalf("%s: %d %v", name, status, m)
		}
	}
	// A client pinning another thumbprint never gets through.
	bad := sfClient(strings.Repeat("0", 40))
	defer bad.CloseIdleConnections()
	if _, err := bad.Get(ep + "?" + q); err == nil || !strings.Contains(err.Error(), "thumbprint mismatch") {
		t.Fatalf("err = %v", err)
	}
}
