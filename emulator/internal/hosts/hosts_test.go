package hosts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	got, err := Normalize([]string{" AppService,arc", "appservice", "", "imds"})
	if err != nil || strings.Join(got, ",") != "appservice,arc,imds" {
		t.Fatalf("Normalize = %v %v", got, err)
	}
	if _, err := Normalize([]string{"vm"}); err == nil || !strings.Contains(err.Error(), `unknown host "vm"`) {
		t.Errorf("unknown host: %v", err)
	}
}

func TestSetAddAndEnv(t *testing.T) {
	s := New(Deps{ArcKeyDir: t.TempDir()})
	defer s.Close()
	for _, name := range []string{AppService, Arc, ServiceFabric} {
		if _, _, err := s.Add(name, "127.0.0.1:1"); err != nil {
			t.Fatalf("Add %s: %v", name, err)
		}
	}
	if _, _, err := s.Add(IMDS, "127.0.0.1:1"); err == nil {
		t.Error("IMDS has no listener of its own")
	}
	env := s.Env(AppService)
	if len(env) != 2 || env[0] != [2]string{"IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token"} || len(env[1][1]) != 32 {
		t.Errorf("appservice env %v", env)
	}
	if sf := s.Get(ServiceFabric); sf == nil || !strings.HasPrefix(sf.TokenURL, "https://") || len(sf.Thumbprint) != 40 {
		t.Errorf("service fabric %+v", sf)
	}
	if _, _, err := s.Add(ContainerApps, "127.0.0.1:2"); err != nil {
		t.Fatal(err)
	}
	ca := s.Env(ContainerApps)
	if len(ca) != 4 || ca[0] != [2]string{"IDENTITY_ENDPOINT", "http://127.0.0.1:2/msi/token"} || ca[2] != [2]string{"CONTAINER_APP_NAME", "azmsi-emulator"} {
		t.Errorf("containerapps env %v", ca)
	}
	if sf := s.Env(ServiceFabric); sf[3] != [2]string{"IDENTITY_API_VERSION", "2019-07-01-preview"} {
		t.Errorf("servicefabric env %v", sf)
	}
	if s.Env(CloudShell) != nil || s.ArcKeyDir() == "" {
		t.Error("a host not added has no env; Arc has a key folder")
	}
}

// A flood of challenges cannot evict a key another client was given: new
// challenges are refused while the table is full, keys expire on the
// clock, and an expired key no longer works.
func TestArcKeysFloodAndExpiry(t *testing.T) {
	now := time.Date(2025, 11, 26, 12, 0, 0, 0, time.UTC)
	k := &arcKeys{dir: t.TempDir(), now: func() time.Time { return now }, limit: 3}
	legit, _, err := k.issue()
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(legit)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, _, err := k.issue(); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(10 * time.Second)
	if _, retry, err := k.issue(); !errors.Is(err, errArcKeysFull) || retry != 50*time.Second {
		t.Fatalf("challenge with a full table: %v, retry %v; want errArcKeysFull, 50s", err, retry)
	}
	if !k.redeem(string(content)) {
		t.Fatal("the first client's key was evicted by the flood")
	}
	if k.redeem(string(content)) {
		t.Fatal("a key worked twice")
	}
	second, _, err := k.issue() // the redeemed key made room
	if err != nil {
		t.Fatal(err)
	}
	late, _ := os.ReadFile(second)
	now = now.Add(time.Minute)
	if k.redeem(string(late)) {
		t.Error("an expired key was accepted")
	}
	if _, err := os.Stat(second); !os.IsNotExist(err) {
		t.Errorf("an expired key's file is left: %v", err)
	}
	if _, _, err := k.issue(); err != nil {
		t.Errorf("after expiry a challenge is refused: %v", err)
	}
}

func TestParse(t *testing.T) {
	got, err := Parse([]string{"AppService=127.0.0.1:41056, arc", "appservice", "servicefabric=[::1]:2377", "arc=127.0.0.1:40342"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Spec{{AppService, "127.0.0.1:41056"}, {Arc, "127.0.0.1:40342"}, {ServiceFabric, "[::1]:2377"}}
	if len(got) != len(want) {
		t.Fatalf("Parse = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Parse = %v, want %v", got, want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"vm=127.0.0.1:1", `unknown host "vm"`},
		{"=127.0.0.1:1", "no host name"},
		{"imds=127.0.0.1:1", "takes no address"},
		{"workload=127.0.0.1:1", "takes no address"},
		{"arc=127.0.0.1", "is not host:port"},
		{"arc=127.0.0.1:99999", "0 to 65535"},
	} {
		if _, err := Parse([]string{c.in}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want %q", c.in, err, c.want)
		}
	}
	if _, err := Parse([]string{"arc=127.0.0.1:1,arc=127.0.0.1:2"}); err == nil || !strings.Contains(err.Error(), "two addresses") {
		t.Errorf("two addresses: %v", err)
	}
}

// TestServiceFabricStateCertificate: with a state folder the generated
// certificate is kept (same thumbprint next time, file 0600) and replaced
// when it is about to expire.
func TestServiceFabricStateCertificate(t *testing.T) {
	dir := t.TempDir()
	thumb := func() string {
		t.Helper()
		s := New(Deps{StateDir: dir, ArcKeyDir: t.TempDir()})
		defer s.Close()
		if _, _, err := s.Add(ServiceFabric, "127.0.0.1:1"); err != nil {
			t.Fatal(err)
		}
		return s.Get(ServiceFabric).Thumbprint
	}
	first := thumb()
	if len(first) != 40 || thumb() != first {
		t.Fatal("the state folder's certificate was not reused")
	}
	fi, err := os.Stat(filepath.Join(dir, "servicefabric.pem"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("certificate file: %v %v", fi, err)
	}
	// A certificate expiring within a day is replaced.
	later := time.Now().AddDate(0, 0, 364).Add(23 * time.Hour)
	_, replaced, err := stateCertificate(filepath.Join(dir, "servicefabric.pem"), later)
	if err != nil || replaced == first {
		t.Fatalf("a certificate expiring within a day was kept: %v", err)
	}
	if _, tp, err := stateCertificate(filepath.Join(dir, "servicefabric.pem"), later); err != nil || tp != replaced {
		t.Fatalf("the replacement was not kept: %v", err)
	}
	// Without a state folder every start has its own certificate.
	a, b := New(Deps{ArcKeyDir: t.TempDir()}), New(Deps{ArcKeyDir: t.TempDir()})
	defer a.Close()
	defer b.Close()
	_, _, _ = a.Add(ServiceFabric, "127.0.0.1:1")
	_, _, _ = b.Add(ServiceFabric, "127.0.0.1:1")
	if a.Get(ServiceFabric).Thumbprint == b.Get(ServiceFabric).Thumbprint {
		t.Fatal("two starts without a state folder share a certificate")
	}
}
