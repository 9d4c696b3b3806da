package cli

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/emulator"
)

const (
	sysObjectID = "11111111-1111-1111-1111-aaaaaaaaaaaa"
	conObjectID = "22222222-2222-2222-2222-aaaaaaaaaaaa"
	conResID    = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-contributor"
)

// startHost starts the emulator serving host and returns a test env whose
// variables are exactly the ones the emulator prints.
func startHost(t *testing.T, host string) *testEnv {
	t.Helper()
	o := emulator.Options{ARMAddr: "-"}
	if host != emulator.HostIMDS {
		o.Hosts = []string{host}
	}
	e := startEmulator(t, o)
	e.env = map[string]string{}
	for _, v := range e.srv.Env() {
		e.env[v.Name] = v.Value
	}
	return e
}

// hostSecrets are the secret values of e's environment.
func (e *testEnv) secrets() []string {
	var out []string
	for _, k := range []string{"IDENTITY_HEADER", "MSI_SECRET"} {
		if v := e.env[k]; v != "" {
			out = append(out, v)
		}
	}
	return out
}

func jwtOID(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT")
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ OID string }
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.OID
}

// TestEveryHostEveryIDKind runs `azmsi token` and `azmsi doctor` with only
// the env lines the emulator prints, for every host and every ID kind:
// supported kinds get a token for the right identity, the others a usage
// error naming the host and what it supports.
func TestEveryHostEveryIDKind(t *testing.T) {
	kinds := []struct {
		name  string
		flags []string
		oid   string
	}{
		{"system-assigned", nil, sysObjectID},
		{"client ID", []string{"--client-id", contributorID}, conObjectID},
		{"object ID", []string{"--object-id", conObjectID}, conObjectID},
		{"resource ID", []string{"--resource-id", conResID}, conObjectID},
	}
	supported := map[string][]string{
		emulator.HostIMDS:           {"system-assigned", "client ID", "object ID", "resource ID"},
		emulator.HostAppService:     {"system-assigned", "client ID", "object ID", "resource ID"},
		emulator.HostArc:            {"system-assigned", "client ID", "object ID", "resource ID"},
		emulator.HostAppService2017: {"system-assigned", "client ID"},
		emulator.HostAzureML:        {"system-assigned", "client ID"},
		emulator.HostCloudShell:     {"system-assigned"},
		emulator.HostServiceFabric:  {"system-assigned", "object ID"},
		emulator.HostContainerApps:  {"system-assigned", "client ID", "object ID", "resource ID"},
		// Workload identity: "system-assigned" (no selector) means the
		// identity in AZURE_CLIENT_ID, app-contributor.
		emulator.HostWorkload: {"system-assigned", "client ID"},
	}
	for _, host := range emulator.HostNames {
		t.Run(host, func(t *testing.T) {
			e := startHost(t, host)
			for _, k := range kinds {
				ok := strings.Contains(strings.Join(supported[host], ","), k.name)
				r := e.run(t, append([]string{"token", "-o", "tsv"}, k.flags...)...)
				if !ok {
					wantCode(t, r, ExitUsage)
					if host == emulator.HostWorkload {
						contains(t, r.stderr, "cannot select an identity by "+k.name)
					} else {
						contains(t, r.stderr, "cannot select an identity by "+k.name+"; it supports: "+strings.Join(supported[host], ", "))
					}
					d := e.run(t, append([]string{"doctor"}, k.flags...)...)
					wantCode(t, d, ExitUsage)
					contains(t, d.stdout, "does not support that kind of identity selector")
					continue
				}
				wantCode(t, r, ExitOK)
				wantOID := k.oid
				if host == emulator.HostWorkload {
					wantOID = conObjectID
				}
				if got := jwtOID(t, strings.TrimSpace(r.stdout)); got != wantOID {
					t.Fatalf("%s: oid %s, want %s", k.name, got, wantOID)
				}
				d := e.run(t, append([]string{"doctor", "-o", "json"}, k.flags...)...)
				wantCode(t, d, ExitOK)
				var rep doctorReport
				if err := json.Unmarshal([]byte(d.stdout), &rep); err != nil {
					t.Fatal(err)
				}
				if !rep.OK || rep.Host != host || !rep.Endpoint.Reachable || rep.Token.Claims == nil || rep.Token.Claims.ObjectID != wantOID {
					t.Fatalf("%s: doctor %+v", k.name, rep)
				}
				for _, s := range e.secrets() {
					notContains(t, d.stdout+d.stderr, s)
				}
			}
		})
	}
}

// TestDoctorFailures: each failure gets its concrete next step and the
// exit code of `azmsi token`.
func TestDoctorFailures(t *testing.T) {
	t.Run("wrong secret", func(t *testing.T) {
		e := startHost(t, emulator.HostAppService)
		e.env["IDENTITY_HEADER"] = "stale-header-value"
		r := e.run(t, "doctor")
		wantCode(t, r, ExitError)
		contains(t, r.stdout, "rejected the secret")
		notContains(t, r.stdout, "stale-header-value")
	})
	t.Run("identity not assigned", func(t *testing.T) {
		wantDoctorNotAssigned(t, emulator.HostAppService)
	})
	t.Run("thumbprint mismatch", func(t *testing.T) {
		e := startHost(t, emulator.HostServiceFabric)
		e.env["IDENTITY_SERVER_THUMBPRINT"] = strings.Repeat("AB", 20)
		r := e.run(t, "doctor")
		wantCode(t, r, ExitError)
		contains(t, r.stdout, "thumbprint mismatch")
		for _, s := range e.secrets() {
			notContains(t, r.stdout+r.stderr, s)
		}
	})
	t.Run("arc key folder", func(t *testing.T) {
		e := startHost(t, emulator.HostArc)
		e.env["AZMSI_ARC_KEY_DIR"] = t.TempDir()
		r := e.run(t, "doctor")
		wantCode(t, r, ExitError)
		contains(t, r.stdout, "rule: inside the key folder")
		contains(t, r.stdout, "AZMSI_ARC_KEY_DIR")
	})
	t.Run("arc user-assigned unknown", func(t *testing.T) {
		wantDoctorNotAssigned(t, emulator.HostArc)
	})
}

// wantDoctorNotAssigned runs doctor on host for a client ID the host does not
// have and wants the "identity not assigned" diagnosis with a failing exit.
func wantDoctorNotAssigned(t *testing.T, host string) {
	t.Helper()
	e := startHost(t, host)
	r := e.run(t, "doctor", "--client-id", "44444444-4444-4444-4444-444444444444")
	wantCode(t, r, ExitError)
	contains(t, r.stdout, "identity not assigned")
}

var (
	normPort    = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	normDur     = regexp.MustCompile(`(connect in |obtained in |age +)[0-9.]+(µs|ms|s|m[0-9.]+s|h[0-9hms.]+)`)
	normJSONDur = regexp.MustCompile(`"(latency|duration|age)": "[^"]*"`)
	normTime    = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	normTmp     = regexp.MustCompile(`/tmp/[^ "\n]*`)
)

func normalizeDoctor(s string) string {
	s = normPort.ReplaceAllString(s, "127.0.0.1:PORT")
	s = normDur.ReplaceAllString(s, "${1}DURATION")
	s = normJSONDur.ReplaceAllString(s, `"$1": "DURATION"`)
	s = normTime.ReplaceAllString(s, "TIME")
	return normTmp.ReplaceAllString(s, "/tmp/DIR")
}

func TestDoctorGolden(t *testing.T) {
	t.Run("appservice", func(t *testing.T) {
		e := startHost(t, emulator.HostAppService)
		r := e.run(t, "doctor")
		wantCode(t, r, ExitOK)
		golden(t, "doctor_appservice.txt", normalizeDoctor(r.stdout))
	})
	t.Run("imds json", func(t *testing.T) {
		e := startHost(t, emulator.HostIMDS)
		r := e.run(t, "doctor", "-o", "json", "--client-id", contributorID)
		wantCode(t, r, ExitOK)
		golden(t, "doctor_imds.json", normalizeDoctor(r.stdout))
	})
	t.Run("not on azure", func(t *testing.T) {
		// No variable at all: the loopback-only client refuses the real IMDS
		// address, as a machine off Azure would fail to reach it.
		var e *testEnv
		r := e.run(t, "doctor")
		wantCode(t, r, ExitUnavailable)
		golden(t, "doctor_not_on_azure.txt", normalizeDoctor(r.stdout))
	})
	t.Run("cloudshell client id", func(t *testing.T) {
		e := startHost(t, emulator.HostCloudShell)
		r := e.run(t, "doctor", "--client-id", contributorID)
		wantCode(t, r, ExitUsage)
		golden(t, "doctor_cloudshell_uami.txt", normalizeDoctor(r.stdout))
	})
	t.Run("servicefabric thumbprint", func(t *testing.T) {
		e := startHost(t, emulator.HostServiceFabric)
		e.env["IDENTITY_SERVER_THUMBPRINT"] = strings.Repeat("ab:", 19) + "ab"
		r := e.run(t, "doctor")
		wantCode(t, r, ExitError)
		golden(t, "doctor_servicefabric_thumbprint.txt", normalizeDoctor(r.stdout))
	})
}

func TestEmulatorHostFlag(t *testing.T) {
	var got *EmulatorOptions
	ios, _, _, _ := TestIOStreams()
	f := NewFactory(ios)
	cmd := NewCmdEmulator(f, func(o *EmulatorOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--host", "appservice,arc", "--host", "servicefabric"})
	if err := cmd.Execute(); err != nil || strings.Join(got.Hosts, ",") != "appservice,arc,servicefabric" {
		t.Fatalf("err %v, hosts %v", err, got)
	}
	r := (*testEnv)(nil).run(t, "emulator", "--host", "lambda")
	wantCode(t, r, ExitUsage)
	contains(t, r.stderr, `--host "lambda" is not a host the emulator knows`)
}
