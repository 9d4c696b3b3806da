package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/emulator"
)

// startWorkload starts the emulator as an AKS pod with workload identity
// (and ARM); the env is exactly what the emulator prints.
func startWorkload(t *testing.T) *testEnv {
	t.Helper()
	e := startEmulator(t, emulator.Options{Hosts: []string{emulator.HostWorkload}})
	e.env = map[string]string{}
	for _, v := range e.srv.Env() {
		e.env[v.Name] = v.Value
	}
	return e
}

func TestWorkloadPodCommands(t *testing.T) {
	e := startWorkload(t)
	assertion, err := os.ReadFile(e.env["AZURE_FEDERATED_TOKEN_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	tok := e.run(t, "token", "-o", "tsv")
	wantCode(t, tok, ExitOK)
	if got := jwtOID(t, strings.TrimSpace(tok.stdout)); got != conObjectID {
		t.Fatalf("oid %s, want app-contributor's", got)
	}
	who := e.run(t, "whoami", "-o", "json")
	wantCode(t, who, ExitOK)
	contains(t, who.stdout, contributorID)
	groups := e.run(t, "groups", "list", "-o", "tsv")
	wantCode(t, groups, ExitOK)
	contains(t, groups.stdout, "rg-web")

	d := e.run(t, "doctor", "-o", "json")
	wantCode(t, d, ExitOK)
	var rep doctorReport
	if err := json.Unmarshal([]byte(d.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Host != "workload" || rep.Workload == nil || !rep.Workload.Readable || rep.Workload.Subject != "system:serviceaccount:default:workload-sa" ||
		rep.Workload.Issuer != e.srv.WorkloadIssuer() || rep.Workload.ClientID != contributorID || rep.Workload.Expired {
		t.Fatalf("doctor %+v / %+v", rep, rep.Workload)
	}
	for _, out := range []string{tok.stderr, who.stdout, who.stderr, groups.stdout, d.stdout, d.stderr} {
		notContains(t, out, strings.TrimSpace(string(assertion)))
	}
}

func TestWorkloadDoctorFaults(t *testing.T) {
	e := startWorkload(t)
	cases := []struct {
		faults string
		code   int
		step   string
	}{
		{"expiredfile", ExitError, "the projected token expired"},
		{"wrongaudience", ExitError, `audience "api://wrong-audience"`},
		{"nocredential", ExitError, `subject "system:serviceaccount:default:workload-sa"`},
		{"503=1", ExitOK, "Result: OK"}, // retried after Retry-After
	}
	for _, c := range cases {
		t.Run(c.faults, func(t *testing.T) {
			f, err := emulator.ParseWorkloadFaults(c.faults)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.srv.SetWorkloadFaults(f); err != nil {
				t.Fatal(err)
			}
			d := e.run(t, "doctor", "--timeout", "5s")
			wantCode(t, d, c.code)
			contains(t, d.stdout, "Workload identity:")
			contains(t, d.stdout, c.step)
		})
	}
	if err := e.srv.SetWorkloadFaults(emulator.WorkloadFaults{}); err != nil {
		t.Fatal(err)
	}
	os.Remove(e.env["AZURE_FEDERATED_TOKEN_FILE"])
	d := e.run(t, "doctor")
	wantCode(t, d, ExitError)
	contains(t, d.stdout, "readable   NO: the file does not exist")
	contains(t, d.stdout, "azure.workload.identity/use")
}
