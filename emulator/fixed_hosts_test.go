package emulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/hosts"
)

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// writeSFCert writes a self-signed certificate and key valid from
// notBefore to notAfter to a PEM file.
func writeSFCert(t *testing.T, notBefore, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "sf"}, NotBefore: notBefore, NotAfter: notAfter,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sf.pem")
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})...)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFixedHostEndpoints: with addresses (flag form or config) and
// secrets and a certificate in the config, every start exports the same
// environment, and the host answers there with that secret.
func TestFixedHostEndpoints(t *testing.T) {
	asAddr, sfAddr := freePort(t), freePort(t)
	cfg := DefaultConfig()
	cfg.Hosts = map[string]HostSettings{
		HostAppService:    {Secret: "app-secret-0123456789abcdef"},
		HostServiceFabric: {Address: sfAddr, Secret: "sf-secret-0123456789abcdef", Certificate: writeSFCert(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))},
	}
	start := func() (map[string]string, map[string]string) {
		s, err := Start(context.Background(), Options{Config: cfg, ARMAddr: "-", Hosts: []string{HostAppService + "=" + asAddr, HostServiceFabric}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		as, sf := envMap(s.HostEnv(HostAppService)), envMap(s.HostEnv(HostServiceFabric))
		// The host answers at the fixed address with the fixed secret.
		c := sfClient(sf["IDENTITY_SERVER_THUMBPRINT"])
		defer c.CloseIdleConnections()
		req, _ := newGetRequest(sf["IDENTITY_ENDPOINT"]+"?api-version=2020-05-01&resource="+armRes, "Secret", "sf-secret-0123456789abcdef")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("Service Fabric answered %d", resp.StatusCode)
		}
		return as, sf
	}
	as1, sf1 := start()
	if as1["IDENTITY_ENDPOINT"] != "http://"+asAddr+"/msi/token" || as1["IDENTITY_HEADER"] != "app-secret-0123456789abcdef" {
		t.Fatalf("app service env %v", as1)
	}
	if sf1["IDENTITY_ENDPOINT"] != "https://"+sfAddr+"/metadata/identity/oauth2/token" || sf1["IDENTITY_HEADER"] != "sf-secret-0123456789abcdef" || len(sf1["IDENTITY_SERVER_THUMBPRINT"]) != 40 {
		t.Fatalf("service fabric env %v", sf1)
	}
	as2, sf2 := start()
	for k, v := range as1 {
		if as2[k] != v {
			t.Fatalf("%s changed across restarts: %q → %q", k, v, as2[k])
		}
	}
	for k, v := range sf1 {
		if sf2[k] != v {
			t.Fatalf("%s changed across restarts", k)
		}
	}
}

func TestFixedHostEndpointErrors(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	expired := DefaultConfig()
	expired.Hosts = map[string]HostSettings{HostServiceFabric: {Certificate: writeSFCert(t, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))}}
	garbage := DefaultConfig()
	gp := filepath.Join(t.TempDir(), "x.pem")
	if err := os.WriteFile(gp, []byte("not a pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage.Hosts = map[string]HostSettings{HostServiceFabric: {Certificate: gp}}
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"not loopback", Options{ARMAddr: "-", Hosts: []string{"appservice=192.0.2.1:41056"}}, "not a loopback address"},
		{"no port", Options{ARMAddr: "-", Hosts: []string{"appservice=127.0.0.1"}}, "is not host:port"},
		{"imds takes none", Options{ARMAddr: "-", Hosts: []string{"imds=127.0.0.1:1"}}, "takes no address"},
		{"two addresses", Options{ARMAddr: "-", Hosts: []string{"arc=127.0.0.1:1", "arc=127.0.0.1:2"}}, "two addresses"},
		{"port in use", Options{ARMAddr: "-", Hosts: []string{"cloudshell=" + taken.Addr().String()}}, "cloudshell listener at " + taken.Addr().String()},
		{"expired certificate", Options{ARMAddr: "-", Config: expired, Hosts: []string{"servicefabric"}}, "not now"},
		{"not a PEM", Options{ARMAddr: "-", Config: garbage, Hosts: []string{"servicefabric"}}, "must hold a CERTIFICATE and its PRIVATE KEY"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Start(context.Background(), c.o)
			if err == nil {
				s.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func newGetRequest(url, header, value string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(header, value)
	return req, nil
}

// TestContainerConfig: container/config.json is the default world with
// every host fixed at a distinct loopback address, so it cannot drift from
// default.json unnoticed.
func TestContainerConfig(t *testing.T) {
	c, err := LoadConfig(filepath.Join("container", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	hs := c.Hosts
	c.Hosts = nil
	if got, want := configJSON(t, c), configJSON(t, DefaultConfig()); got != want {
		t.Fatal("container/config.json differs from the default configuration beyond its hosts section; regenerate it from default.json")
	}
	seen := map[string]string{}
	for _, name := range []string{HostAppService, HostAppService2017, HostAzureML, HostCloudShell, HostArc, HostServiceFabric, HostContainerApps} {
		h, ok := hs[name]
		if !ok || !strings.HasPrefix(h.Address, "127.0.0.1:") {
			t.Fatalf("%s: %+v", name, h)
		}
		if other, dup := seen[h.Address]; dup {
			t.Fatalf("%s and %s share %s", name, other, h.Address)
		}
		seen[h.Address] = name
	}
}

func configJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestContainerEnvFiles: container/env/<host>.env are exactly the lines
// the emulator exports for that host with container/config.json (Service
// Fabric and Arc are left out: their thumbprint and key folder vary).
func TestContainerEnvFiles(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("container", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	set := hosts.New(hosts.Deps{Config: func() *Config { return cfg }, ArcKeyDir: t.TempDir()})
	defer set.Close()
	files, err := filepath.Glob(filepath.Join("container", "env", "*.env"))
	if err != nil || len(files) != 6 {
		t.Fatalf("env files %v %v", files, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".env")
		var want []string
		if name == HostIMDS {
			want = []string{"AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:8079"}
		} else {
			if _, _, err := set.Add(name, cfg.Hosts[name].Address); err != nil {
				t.Fatal(err)
			}
			for _, v := range set.Env(name) {
				want = append(want, v[0]+"="+v[1])
			}
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, line := range strings.Split(string(data), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				got = append(got, line)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n%s\nwant:\n%s", f, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
