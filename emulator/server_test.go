package emulator

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/tlsca"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
	"github.com/azmsi/azmsi/internal/testenv"
)

func TestControlRoutes(t *testing.T) {
	s := startIdentityServer(t, Options{})
	for _, base := range []string{s.IMDSEndpoint(), s.ARMEndpoint()} {
		r := doRequest(t, s, "GET", base+"/_emulator/healthz", nil, "")
		if r.status != 200 || string(r.body) != `{"status":"ok"}` {
			t.Errorf("%s healthz: %d %s", base, r.status, r.body)
		}
		if r := doRequest(t, s, "GET", base+"/_emulator/reset", nil, ""); r.status != 405 {
			t.Errorf("%s GET reset: %d", base, r.status)
		}
		if r := doRequest(t, s, "GET", base+"//_emulator//healthz/", nil, ""); r.status != 200 {
			t.Errorf("%s healthz with doubled slashes: %d (never a redirect)", base, r.status)
		}
		if r := doRequest(t, s, "GET", base+"/_emulator/nope", nil, ""); r.status != 404 {
			t.Errorf("%s unknown control route: %d", base, r.status)
		}
	}

	getToken(t, s, "api-version=2018-02-01&resource="+armRes)
	getToken(t, s, "api-version=2018-02-01&resource="+armRes)
	getToken(t, s, "api-version=2018-02-01")
	r := doRequest(t, s, "GET", s.ARMEndpoint()+"/_emulator/stats", nil, "")
	var st Stats
	if err := json.Unmarshal(r.body, &st); err != nil {
		t.Fatal(err)
	}
	want := []TokenCount{{Identity: "vm-system", Resource: "https://management.azure.com/", Count: 2}}
	if st.TokenRequests != 3 || st.TokensMinted != 1 || len(st.Tokens) != 1 || st.Tokens[0] != want[0] {
		t.Errorf("stats = %+v", st)
	}

	// Load a config with another tenant and identity; tokens follow it.
	cfg := DefaultConfig()
	cfg.TenantID = "00000000-0000-0000-0000-0000000000aa"
	cfg.Identities[0].ClientID = "44444444-4444-4444-4444-444444444444"
	body, _ := json.Marshal(cfg)
	if r := doRequest(t, s, "POST", s.IMDSEndpoint()+"/_emulator/config", nil, string(body)); r.status != 200 {
		t.Fatalf("POST config: %d %s", r.status, r.body)
	}
	if got := s.Config().TenantID; got != cfg.TenantID {
		t.Errorf("tenant after load = %s", got)
	}
	info := doRequest(t, s, "GET", s.IMDSEndpoint()+"/metadata/identity/info?api-version=2018-02-01", metaHeader, "").json(t)
	if info["tenantId"] != cfg.TenantID {
		t.Errorf("identity info after load = %v", info)
	}
	tok := getToken(t, s, "api-version=2018-02-01&resource="+armRes).json(t)
	if tok["client_id"] != "44444444-4444-4444-4444-444444444444" {
		t.Errorf("token after load still cached from the old config: %v", tok["client_id"])
	}
	r = doRequest(t, s, "GET", s.ARMEndpoint()+"/_emulator/config", nil, "")
	if !strings.Contains(string(r.body), cfg.TenantID) {
		t.Errorf("GET config: %s", r.body)
	}

	// An invalid config is refused with the reason and changes nothing.
	r = doRequest(t, s, "POST", s.ARMEndpoint()+"/_emulator/config", nil, `{"tenantId":"x"}`)
	if r.status != 400 || !strings.Contains(string(r.body), "tenantId") {
		t.Errorf("invalid config: %d %s", r.status, r.body)
	}
	if s.Config().TenantID != cfg.TenantID {
		t.Error("invalid config replaced the current one")
	}
	big := bytes.Repeat([]byte(" "), MaxConfigSize+10)
	if r := doRequest(t, s, "POST", s.IMDSEndpoint()+"/_emulator/config", nil, string(big)); r.status != 413 {
		t.Errorf("oversized config: %d", r.status)
	}

	// Reset restores the start configuration.
	if r := doRequest(t, s, "POST", s.ARMEndpoint()+"/_emulator/reset", nil, ""); r.status != 200 {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if s.Config().TenantID != defaultTID {
		t.Errorf("tenant after reset = %s", s.Config().TenantID)
	}
	if tok := getToken(t, s, "api-version=2018-02-01&resource="+armRes).json(t); tok["client_id"] != sysClientID {
		t.Errorf("token after reset: %v", tok["client_id"])
	}
}

func TestTLSClientTrustsCA(t *testing.T) {
	s := startIdentityServer(t, Options{ExtraHostnames: []string{"arm.emulator.test", "10.1.2.3"}})
	if !strings.HasPrefix(s.ARMEndpoint(), "https://127.0.0.1:") || !strings.HasPrefix(s.IMDSEndpoint(), "http://127.0.0.1:") {
		t.Fatalf("endpoints %s %s", s.IMDSEndpoint(), s.ARMEndpoint())
	}
	// Trusting CACertPEM is enough.
	c := testenv.LoopbackOnlyClient(s.CACertPEM())
	resp, err := c.Get(s.ARMEndpoint() + "/_emulator/healthz")
	if err != nil {
		t.Fatalf("client trusting CACertPEM: %v", err)
	}
	leaf := resp.TLS.PeerCertificates[0]
	resp.Body.Close()
	for _, name := range []string{"localhost", "arm.emulator.test"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("leaf not valid for %s: %v", name, err)
		}
	}
	for _, ip := range []string{"127.0.0.1", "::1", "10.1.2.3"} {
		if err := leaf.VerifyHostname(ip); err != nil {
			t.Errorf("leaf not valid for %s: %v", ip, err)
		}
	}
	// localhost works too (and the ServerName check passes).
	if r := doRequest(t, s, "GET", strings.Replace(s.ARMEndpoint(), "127.0.0.1", "localhost", 1)+"/_emulator/healthz", nil, ""); r.status != 200 {
		t.Errorf("via localhost: %d", r.status)
	}
	// Without the CA the handshake fails.
	if _, err := testenv.LoopbackOnlyClient(nil).Get(s.ARMEndpoint() + "/_emulator/healthz"); err == nil {
		t.Error("client without the CA connected")
	}
	// HTTPClient trusts it, and refuses non-loopback addresses.
	hc := s.HTTPClient()
	if resp, err := hc.Get(s.ARMEndpoint() + "/_emulator/healthz"); err != nil {
		t.Errorf("HTTPClient: %v", err)
	} else {
		resp.Body.Close()
	}
	if _, err := hc.Get("http://192.0.2.1/"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("HTTPClient dialed a non-loopback address: %v", err)
	}
	hc.CloseIdleConnections()
	// CACertFile holds the same PEM; it lives in a temp dir removed by Close.
	f := s.CACertFile()
	data, err := os.ReadFile(f)
	if err != nil || !bytes.Equal(data, s.CACertPEM()) {
		t.Fatalf("CACertFile %s: %v", f, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f); !os.IsNotExist(err) {
		t.Errorf("CA temp file survives Close: %v", err)
	}
}

func TestUserCertificate(t *testing.T) {
	// Borrow a CA-issued leaf from one emulator as "the user's certificate".
	dir := t.TempDir()
	m, err := tlsca.New(tlsca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: m.Leaf.Certificate[0]})
	keyDER, err := x509.MarshalPKCS8PrivateKey(m.Leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)

	s := startIdentityServer(t, Options{IMDSAddr: "-", TLSCertFile: certFile, TLSKeyFile: keyFile})
	if !bytes.Equal(s.CACertPEM(), certPEM) {
		t.Error("CACertPEM is not the user's certificate")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(m.CAPEM)
	tr := testenv.LoopbackOnlyTransport()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	resp, err := (&http.Client{Transport: tr}).Get(s.ARMEndpoint() + "/_emulator/healthz")
	if err != nil {
		t.Fatalf("serving the user's certificate: %v", err)
	}
	resp.Body.Close()
	tr.CloseIdleConnections()
	if !bytes.Equal(resp.TLS.PeerCertificates[0].Raw, m.Leaf.Certificate[0]) {
		t.Error("served certificate is not the user's")
	}
	if _, err := Start(context.Background(), Options{TLSCertFile: certFile}); err == nil {
		t.Error("TLSCertFile without TLSKeyFile accepted")
	}
}

func TestStateDirPersistence(t *testing.T) {
	dir := t.TempDir()
	s1, err := Start(context.Background(), Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ca1 := s1.CACertPEM()
	raw := getToken(t, s1, "api-version=2018-02-01&resource="+armRes).json(t)["access_token"].(string)
	if s1.CACertFile() != filepath.Join(dir, "ca.pem") {
		t.Errorf("CACertFile = %s", s1.CACertFile())
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{"ca.pem": 0o644, "ca-key.pem": 0o600, tokens.SigningKeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}

	s2 := startIdentityServer(t, Options{StateDir: dir})
	if !bytes.Equal(ca1, s2.CACertPEM()) {
		t.Error("CA changed across restarts")
	}
	// The old CA still validates the new listener.
	if r := doRequest(t, s2, "GET", s2.ARMEndpoint()+"/_emulator/healthz", nil, ""); r.status != 200 {
		t.Errorf("healthz: %d", r.status)
	}
	// A token minted before the restart still verifies.
	if v, terr := s2.tokens.Verify(raw); terr != nil || v.Identity.Name != "vm-system" {
		t.Errorf("token from before the restart: %v", terr)
	}

	// A corrupt key file is reported, not silently replaced.
	s2.Close()
	os.WriteFile(filepath.Join(dir, tokens.SigningKeyFile), []byte("junk"), 0o600)
	if _, err := Start(context.Background(), Options{StateDir: dir}); err == nil || !strings.Contains(err.Error(), tokens.SigningKeyFile) {
		t.Errorf("corrupt signing key: %v", err)
	}
}

func TestBindAddressChecks(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:80", "example.com:80", "nonsense"} {
		if _, err := Start(context.Background(), Options{IMDSAddr: addr, ARMAddr: "-"}); err == nil {
			t.Errorf("IMDSAddr %q accepted", addr)
		} else if addr != "nonsense" && !strings.Contains(err.Error(), "AllowNonLoopback") {
			t.Errorf("IMDSAddr %q: error does not say how to allow it: %v", addr, err)
		}
	}
	if _, err := Start(context.Background(), Options{IMDSAddr: "-", ARMAddr: "-"}); err == nil {
		t.Error("nothing to serve accepted")
	}
	s := startIdentityServer(t, Options{IMDSAddr: "localhost:0", ARMAddr: "-"})
	if s.ARMEndpoint() != "" || s.IMDSEndpoint() == "" {
		t.Errorf("endpoints %q %q", s.IMDSEndpoint(), s.ARMEndpoint())
	}
	s6 := startIdentityServer(t, Options{IMDSAddr: "[::1]:0", ARMAddr: "-", AllowNonLoopback: true})
	if !strings.HasPrefix(s6.IMDSEndpoint(), "http://[::1]:") {
		t.Errorf("IPv6 endpoint %s", s6.IMDSEndpoint())
	}
}

func TestEnv(t *testing.T) {
	s := startIdentityServer(t, Options{})
	got := map[string]string{}
	for _, v := range s.Env() {
		got[v.Name] = v.Value
	}
	want := map[string]string{
		"AZURE_POD_IDENTITY_AUTHORITY_HOST": s.IMDSEndpoint(),
		"AZMSI_ARM_ENDPOINT":                s.ARMEndpoint(),
		"AZMSI_KEYVAULT_DNS_SUFFIX":         ".vault.localhost:" + s.ARMEndpoint()[strings.LastIndex(s.ARMEndpoint(), ":")+1:],
		"SSL_CERT_FILE":                     s.CACertFile(),
		"REQUESTS_CA_BUNDLE":                s.CACertFile(),
	}
	if len(got) != len(want) {
		t.Errorf("Env = %v", got)
	}
	for k, v := range want {
		if got[k] != v || v == "" {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	ef := s.EnvFile()
	if !strings.Contains(ef, "export AZURE_POD_IDENTITY_AUTHORITY_HOST='"+s.IMDSEndpoint()+"'\n") {
		t.Errorf("EnvFile:\n%s", ef)
	}
	if q := shellQuote("it's"); q != `'it'\''s'` {
		t.Errorf("shellQuote = %s", q)
	}
	imdsOnly := startIdentityServer(t, Options{ARMAddr: "-"})
	for _, v := range imdsOnly.Env() {
		if v.Name == "AZMSI_ARM_ENDPOINT" || v.Name == "AZMSI_KEYVAULT_DNS_SUFFIX" {
			t.Error(v.Name + " set without ARM")
		}
	}
}

func TestLoggingNeverShowsTokens(t *testing.T) {
	var buf testenv.SyncBuffer
	s := startIdentityServer(t, Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	tok := getToken(t, s, "api-version=2018-02-01&resource="+armRes+"&client_id="+conClientID).json(t)["access_token"].(string)
	doRequest(t, s, "GET", s.ARMEndpoint()+"/subscriptions?api-version=2022-12-01", map[string]string{"Authorization": "Bearer " + tok}, "")
	doRequest(t, s, "GET", s.ARMEndpoint()+"/subscriptions?api-version=2022-12-01", map[string]string{"Authorization": "Bearer " + tok[:len(tok)-5]}, "")
	s.Close()
	out := buf.String()
	if !strings.Contains(out, "path=/metadata/identity/oauth2/token") || !strings.Contains(out, "status=200") || !strings.Contains(out, "listener=arm") {
		t.Errorf("access log lacks request lines:\n%s", out)
	}
	sig := tok[strings.LastIndex(tok, ".")+1:]
	for _, secret := range []string{tok[:30], sig[:20], "Bearer", conClientID} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}

func TestCloseIdempotentAndNoLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		s, err := Start(context.Background(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Keep a connection open so Shutdown has something to close.
		c := testenv.LoopbackOnlyClient(s.CACertPEM())
		for _, u := range []string{s.IMDSEndpoint(), s.ARMEndpoint()} {
			resp, err := c.Get(u + "/_emulator/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		c.CloseIdleConnections()
		if _, err := c.Get(s.IMDSEndpoint() + "/_emulator/healthz"); err == nil {
			t.Error("IMDS still serving after Close")
		}
	}
	// Cancelling the context stops the server too.
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := testenv.LoopbackOnlyClient(nil).Get(s.IMDSEndpoint() + "/_emulator/healthz")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still serving 5s after ctx cancel")
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Close()

	for deadline := time.Now().Add(5 * time.Second); ; {
		n := runtime.NumGoroutine()
		if n <= before {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A context cancelled before or while Start runs must neither race with
// Close (run under -race) nor hand back a server that is already shutting
// down.
func TestStartWithCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := Start(ctx, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Start with a cancelled context returned a server")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Start error = %v, want context.Canceled", err)
	}
	// Cancel at different points while Start is running.
	for i := 0; i < 4; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); runtime.Gosched(); cancel() }()
		s, err := Start(ctx, Options{})
		<-done
		if err == nil {
			if err := s.Close(); err != nil {
				t.Errorf("Close after cancel: %v", err)
			}
		} else if !errors.Is(err, context.Canceled) {
			t.Errorf("Start error = %v, want context.Canceled", err)
		}
	}
}
