package hosts

import (
	"strings"
	"testing"
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
	if s.Env(CloudShell) != nil || s.ArcKeyDir() == "" {
		t.Error("a host not added has no env; Arc has a key folder")
	}
}
