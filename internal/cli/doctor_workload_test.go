package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/identity"
)

func unsignedJWT(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k"}`))
	p, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + ".c2ln"
}

func TestInspectWorkload(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	file := filepath.Join(t.TempDir(), "azure-identity-token")
	tok := unsignedJWT(map[string]any{"iss": "https://oidc.example/", "sub": "system:serviceaccount:default:workload-sa",
		"aud": []string{"api://AzureADTokenExchange"}, "exp": now.Add(30 * time.Minute).Unix()})
	if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, now.Add(-10*time.Minute), now.Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AZURE_FEDERATED_TOKEN_FILE": file, "AZURE_TENANT_ID": "t1", "AZURE_CLIENT_ID": "c1"}
	w := inspectWorkload(func(k string) string { return env[k] }, now)
	want := workloadDiag{TokenFile: file, Readable: true, Age: "10m0s", Issuer: "https://oidc.example/",
		Subject: "system:serviceaccount:default:workload-sa", Audience: []string{"api://AzureADTokenExchange"},
		ExpiresAt: "2026-01-01T12:30:00Z", Authority: "https://login.microsoftonline.com (default)", Tenant: "t1", ClientID: "c1"}
	got, _ := json.Marshal(w)
	exp, _ := json.Marshal(want)
	if string(got) != string(exp) {
		t.Errorf("got  %s\nwant %s", got, exp)
	}
	var text bytes.Buffer
	writeDoctorWorkload(&text, w)
	if strings.Contains(text.String(), tok) || strings.Contains(string(got), tok) || strings.Contains(text.String(), strings.Split(tok, ".")[1]) {
		t.Fatal("the token is shown")
	}
	for _, s := range []string{"readable   yes (written 10m0s ago)", "sub        system:serviceaccount:default:workload-sa", "exp        2026-01-01T12:30:00Z\n"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, text.String())
		}
	}
	if w := inspectWorkload(func(k string) string { return env[k] }, now.Add(time.Hour)); !w.Expired {
		t.Error("an hour later the token is not reported expired")
	}

	cases := []struct {
		name, content string
		want          string
	}{{"empty", " \n", "the file is empty"}, {"not a JWT", "hello", "the file does not hold a JWT"}}
	for _, c := range cases {
		if err := os.WriteFile(file, []byte(c.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if w := inspectWorkload(func(k string) string { return env[k] }, now); w.Error != c.want {
			t.Errorf("%s: error %q, want %q", c.name, w.Error, c.want)
		}
	}
	env["AZURE_FEDERATED_TOKEN_FILE"] = file + ".missing"
	if w := inspectWorkload(func(k string) string { return env[k] }, now); w.Readable || w.Error != "the file does not exist" {
		t.Errorf("missing: %+v", w)
	}
}

func TestWorkloadNextStep(t *testing.T) {
	w := &workloadDiag{Issuer: "https://oidc.example/", Subject: "system:serviceaccount:default:other", Audience: []string{"api://AzureADTokenExchange"}}
	auth := func(desc string) error {
		return &identity.AuthError{Source: "Workload identity", StatusCode: 400, Description: desc}
	}
	cases := []struct {
		w    *workloadDiag
		err  error
		want string
	}{
		{&workloadDiag{Error: "the file does not exist"}, errors.New("x"), "azure.workload.identity/use"},
		{&workloadDiag{Error: "permission denied"}, errors.New("x"), "fsGroup"},
		{&workloadDiag{Error: "the file is empty"}, errors.New("x"), "kubelet has not written it"},
		{&workloadDiag{Expired: true}, errors.New("x"), "kubelet rewrites it"},
		{w, auth("AADSTS700024: Client assertion is not within its valid time range."), "kubelet rewrites it"},
		{w, auth("AADSTS70021: No matching federated identity record found"), `issuer "https://oidc.example/", subject "system:serviceaccount:default:other" and audience "api://AzureADTokenExchange"`},
		{w, auth("AADSTS700016: Application not found"), "client ID (not the object ID)"},
		{w, auth("AADSTS90002: Tenant not found"), "AZURE_TENANT_ID"},
		{w, auth("AADSTS700027: signature"), "OIDC issuer"},
		{w, errors.New("boom"), "--debug"},
	}
	for _, c := range cases {
		if got := workloadNextStep(c.w, c.err); !strings.Contains(got, c.want) {
			t.Errorf("%v: %q lacks %q", c.err, got, c.want)
		}
	}
}
