package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/emulator"
)

func TestDoctorIMDSv2(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		e := startEmulator(t, emulator.Options{ARMAddr: "-", IMDSv2: v2})
		r := e.run(t, "doctor", "-o", "json")
		wantCode(t, r, ExitOK)
		var rep struct {
			IMDSv2 *struct {
				Offered bool
				Status  int
				Detail  string
			} `json:"imdsV2"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.IMDSv2 == nil {
			t.Fatalf("v2=%v: %v\n%s", v2, err, r.stdout)
		}
		want := 404
		if v2 {
			want = 200
		}
		if rep.IMDSv2.Offered != v2 || rep.IMDSv2.Status != want {
			t.Fatalf("v2=%v: %+v", v2, rep.IMDSv2)
		}
		text := e.run(t, "doctor")
		if wantLine := map[bool]string{false: "IMDSv2:     not offered (IMDSv1 only (404)", true: "IMDSv2:     offered (IMDSv2 is offered"}[v2]; !strings.Contains(text.stdout, wantLine) {
			t.Fatalf("v2=%v: text lacks %q:\n%s", v2, wantLine, text.stdout)
		}
	}
	// Not probed on other hosts.
	e := startHost(t, emulator.HostAppService)
	if r := e.run(t, "doctor", "-o", "json"); strings.Contains(r.stdout, "imdsV2") {
		t.Fatalf("probed on App Service:\n%s", r.stdout)
	}
}

func TestDoctorNamesContainerApps(t *testing.T) {
	e := startHost(t, emulator.HostContainerApps)
	r := e.run(t, "doctor")
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "Host:       Container Apps (containerapps)")
	contains(t, r.stdout, "CONTAINER_APP_NAME")
	// The variant without IDENTITY_ENDPOINT is served at the IMDS address.
	v := startEmulator(t, emulator.Options{ARMAddr: "-"})
	v.env["CONTAINER_APP_NAME"] = "app1"
	v.env["IDENTITY_HEADER"] = "hdr-CANARY-0123"
	v.env["IDENTITY_SERVER_THUMBPRINT"] = strings.Repeat("AB", 20)
	v.env["IDENTITY_API_VERSION"] = "2020-05-01"
	r = v.run(t, "doctor")
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "Host:       Container Apps (through IMDS) (imds)")
	if strings.Contains(r.stdout, "hdr-CANARY") {
		t.Fatalf("secret printed:\n%s", r.stdout)
	}
}
