package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/imdsv2"
)

// DoctorOptions are the parsed flags of `azmsi doctor`.
type DoctorOptions struct {
	Resource string
	// Scope, when set, adds a role check: the identity's role assignments
	// there, and on a 403 the missing action and the roles that grant it.
	Scope  string
	Output OutputOptions
	// Timeout bounds the token attempt (default 30s).
	Timeout time.Duration
}

// NewCmdDoctor builds `azmsi doctor`.
func NewCmdDoctor(f *Factory, runF func(*DoctorOptions) error) *cobra.Command {
	opts := &DoctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Diagnose managed identity here: host, variables, endpoint, a token attempt",
		Long: `Explain what managed identity looks like from here, without printing any
secret: the host detected and the evidence for it, each relevant environment
variable (endpoints shown, secrets only as "set"), whether the endpoint
answers and how fast, a token attempt for Azure Resource Manager with the
token's claims (oid, appid, xms_mirid, iat, exp, age), and for each failure
a concrete next step.

Exit codes are those of 'azmsi token': 0 a token was obtained, 3 no
managed-identity endpoint here, 2 a configuration error, 1 anything else.`,
		Example: `  azmsi doctor
  azmsi doctor --client-id 22222222-2222-2222-2222-222222222222
  azmsi doctor -o json | jq .nextSteps`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Output.validate(); err != nil {
				return err
			}
			if err := checkResource(opts.Resource); err != nil {
				return err
			}
			if err := checkRoleScope(opts.Scope); err != nil {
				return err
			}
			if opts.Timeout <= 0 {
				return flagErrorf("--timeout must be positive")
			}
			if runF != nil {
				return runF(opts)
			}
			return doctorRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Resource, "resource", ARMResource, "resource to try a token for")
	cmd.Flags().StringVar(&opts.Scope, "scope", "", "also check the identity's role assignments at this ARM scope (needs a token for ARM)")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 30*time.Second, "how long the token attempt may take, retries included")
	addOutputFlags(cmd.Flags(), &opts.Output, "text", "text", "json")
	f.addIdentityFlags(cmd.Flags())
	return cmd
}

// doctorVariables are the variables doctor reports; secret ones are shown
// only as set/unset.
var doctorVariables = []struct {
	name   string
	secret bool
}{
	{"IDENTITY_ENDPOINT", false},
	{"IDENTITY_HEADER", true},
	{"IDENTITY_SERVER_THUMBPRINT", false},
	{"IDENTITY_API_VERSION", false},
	{"CONTAINER_APP_NAME", false},
	{"IMDS_ENDPOINT", false},
	{"MSI_ENDPOINT", false},
	{"MSI_SECRET", true},
	{"DEFAULT_IDENTITY_CLIENT_ID", false},
	{"APPSETTING_WEBSITE_SITE_NAME", false},
	{"WEBSITE_SITE_NAME", false},
	{"AZURE_POD_IDENTITY_AUTHORITY_HOST", false},
	{identity.EnvArcKeyDir, false},
	{"AZURE_CLIENT_ID", false},
}

type doctorReport struct {
	OK        bool           `json:"ok"`
	Host      string         `json:"host"`
	HostName  string         `json:"hostName"`
	Evidence  []string       `json:"evidence"`
	Reason    string         `json:"reason"`
	Identity  string         `json:"identity"`
	Variables []doctorVar    `json:"variables"`
	Endpoint  doctorEndpoint `json:"endpoint"`
	Token     doctorToken    `json:"token"`
	Workload  *workloadDiag  `json:"workload,omitempty"` // AKS workload identity only
	Broker    *brokerChoice  `json:"broker,omitempty"`   // when a broker serves the tokens, or AZMSI_BROKER names one
	IMDSv2    *imdsv2.Result `json:"imdsV2,omitempty"`   // IMDS only (doctor_imdsv2.go)
	Roles     *doctorRoles   `json:"roles,omitempty"`    // with --scope (doctor_roles.go)
	NextSteps []string       `json:"nextSteps"`
}

type doctorVar struct {
	Name  string `json:"name"`
	Set   bool   `json:"set"`
	Value string `json:"value,omitempty"` // never for secrets
}

type doctorEndpoint struct {
	URL       string `json:"url"`
	Reachable bool   `json:"reachable"`
	Latency   string `json:"latency,omitempty"`
	Error     string `json:"error,omitempty"`
}

type doctorToken struct {
	Resource string        `json:"resource"`
	OK       bool          `json:"ok"`
	Duration string        `json:"duration,omitempty"`
	Error    string        `json:"error,omitempty"`
	Claims   *doctorClaims `json:"claims,omitempty"`
}

type doctorClaims struct {
	ObjectID     string `json:"oid"`
	AppID        string `json:"appid"`
	MIResourceID string `json:"xms_mirid,omitempty"`
	IssuedAt     string `json:"iat"`
	ExpiresAt    string `json:"exp"`
	Age          string `json:"age"`
}

func doctorRun(ctx context.Context, f *Factory, opts *DoctorOptions) error {
	det := identity.Detect(f.getenv)
	rep := doctorReport{Host: det.Host, HostName: det.Name, Evidence: det.Evidence, Reason: det.Reason, NextSteps: []string{}}
	if rep.Evidence == nil {
		rep.Evidence = []string{}
	}
	for _, v := range doctorVariables {
		val := strings.TrimSpace(f.getenv(v.name))
		dv := doctorVar{Name: v.name, Set: val != ""}
		if dv.Set && !v.secret {
			dv.Value = printable(val)
		}
		rep.Variables = append(rep.Variables, dv)
	}
	rep.Token.Resource = opts.Resource

	code := ExitOK
	cred, err := f.Credential()
	if err != nil {
		rep.Identity = "(not resolved)"
		if id, idErr := f.IdentityID(); idErr == nil {
			rep.Identity = id.String()
		}
		rep.Token.Error = err.Error()
		rep.NextSteps = append(rep.NextSteps, configNextStep(det, err))
		code = ExitUsage
	} else {
		src := cred.Source()
		if bc := f.brokerChoice; bc.Endpoint != "" || bc.From != "" || strings.Contains(bc.Why, "AZMSI_BROKER") {
			rep.Broker = &bc
		}
		if src.Host != det.Host && f.brokerChoice.Endpoint == "" {
			// --endpoint (or Options) overrode detection.
			rep.Evidence = []string{"--endpoint"}
		}
		rep.Host, rep.Identity = src.Host, cred.ID().String()
		if src.Host != det.Host {
			rep.HostName = src.Name // else keep detection's name ("Container Apps (through IMDS)")
		}
		if src.Host != det.Host && src.Reason != "" {
			rep.Reason = src.Reason
		}
		if src.Host == identity.HostWorkload {
			rep.Workload = inspectWorkload(f.getenv, time.Now())
		}
		rep.Endpoint = probeEndpoint(ctx, f, src.Endpoint)
		tctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		start := time.Now()
		tok, err := cred.Token(tctx, opts.Resource)
		cancel()
		rep.Token.Duration = roundDuration(time.Since(start))
		if err != nil {
			rep.Token.Error = err.Error()
			if rep.Workload != nil {
				rep.NextSteps = append(rep.NextSteps, workloadNextStep(rep.Workload, err))
			} else {
				rep.NextSteps = append(rep.NextSteps, tokenNextStep(det, src, cred.ID(), err))
			}
			code = exitCode(err)
		} else {
			rep.Token.OK = true
			if f.brokerChoice.Endpoint == "" { // a broker is not the VM's IMDS
				rep.IMDSv2 = probeIMDSv2(ctx, f, src, rep.Endpoint.Reachable)
			}
			if c, err := identity.ParseClaims(tok.AccessToken); err == nil {
				rep.Token.Claims = &doctorClaims{
					ObjectID: c.ObjectID, AppID: c.AppID, MIResourceID: c.MIResourceID,
					IssuedAt: c.IssuedAt.UTC().Format(time.RFC3339), ExpiresAt: c.ExpiresAt.UTC().Format(time.RFC3339),
					Age: roundDuration(time.Since(c.IssuedAt)),
				}
			} else {
				rep.NextSteps = append(rep.NextSteps, "the token is not a JWT, so its claims cannot be shown; the endpoint may not be a real managed-identity endpoint")
			}
			if opts.Scope != "" {
				var step string
				rep.Roles, step = checkRoles(ctx, f, strings.TrimRight(opts.Scope, "/"))
				if step != "" {
					rep.NextSteps = append(rep.NextSteps, step)
				}
			}
		}
	}
	rep.OK = code == ExitOK
	if opts.Output.Format == "json" {
		if err := opts.Output.print(f.IO.Out, rep, nil); err != nil {
			return err
		}
	} else {
		writeDoctorText(f.IO.Out, rep)
	}
	if code != ExitOK {
		return &silentError{code: code}
	}
	return nil
}

// probeEndpoint dials the endpoint's host and port (TCP only, nothing is
// sent) through the same dialer the credential would use when the client
// is an *http.Transport, so a loopback-only test client stays loopback-only.
func probeEndpoint(ctx context.Context, f *Factory, endpoint string) doctorEndpoint {
	out := doctorEndpoint{URL: endpoint}
	if path, ok := strings.CutPrefix(endpoint, "unix://"); ok {
		start := time.Now()
		c, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "unix", path)
		if err != nil {
			out.Error = err.Error()
			return out
		}
		_ = c.Close()
		out.Reachable, out.Latency = true, roundDuration(time.Since(start))
		return out
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		out.Error = "not a URL"
		return out
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	dial := (&net.Dialer{}).DialContext
	if f.HTTPClient != nil {
		if t, ok := f.HTTPClient.Transport.(*http.Transport); ok && t.DialContext != nil {
			dial = t.DialContext
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	_ = conn.Close()
	out.Reachable, out.Latency = true, roundDuration(time.Since(start))
	return out
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// printable keeps a variable's value on one line.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// configNextStep explains an error from building the credential.
func configNextStep(det identity.Detection, err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "cannot select an identity by"):
		return "this host does not support that kind of identity selector (see the error for the kinds it supports): use a supported flag, or none for the default identity"
	case strings.Contains(msg, "needs"):
		return "a variable the detected host needs is missing (see the error); the platform sets it for the process, so restart the process or check how it was launched"
	}
	return "fix the identity flags or variables named in the error and run 'azmsi doctor' again"
}

// tokenNextStep turns a failed token attempt into one concrete next step.
func tokenNextStep(det identity.Detection, src identity.SourceInfo, id identity.ID, err error) string {
	var ae *identity.AuthError
	isAuth := errors.As(err, &ae)
	desc := ""
	if isAuth {
		desc = strings.ToLower(ae.Description + " " + ae.Code)
	}
	switch {
	case errors.Is(err, identity.ErrThumbprintMismatch):
		return "thumbprint mismatch: the Service Fabric endpoint presents a certificate whose SHA-1 thumbprint is not IDENTITY_SERVER_THUMBPRINT; the variable is stale or another process listens on that port — restart the application so Service Fabric sets fresh variables"
	case errors.Is(err, identity.ErrArcKeyRefused) && errors.Is(err, fs.ErrPermission):
		return "Arc key folder permission: only root and members of the himds group may read the agent's key files; run 'sudo usermod -aG himds $USER' and log in again, or run as root"
	case errors.Is(err, identity.ErrArcKeyRefused):
		return "the Arc challenge named a key file azmsi refuses (the error names the rule); with the azmsi emulator set AZMSI_ARC_KEY_DIR to its key folder, on a real machine check the himds agent ('azcmagent show')"
	case isAuth && (strings.Contains(desc, "multiple user assigned") || strings.Contains(desc, "unable to load the proper managed identity")) && !id.IsUserAssigned():
		return "several user-assigned identities and no selector (or no system-assigned identity): pass --client-id, --object-id or --resource-id, or set AZURE_CLIENT_ID"
	case isAuth && id.IsUserAssigned() && (ae.StatusCode == 400 || ae.StatusCode == 404) && (strings.Contains(desc, "not found") || strings.Contains(desc, "unable to load")):
		return fmt.Sprintf("identity not assigned: the user-assigned identity with %s is not attached to this %s; assign it (portal → Identity → User assigned) or check the ID", id, src.Name)
	case errors.Is(err, identity.ErrUnavailable) && isAuth:
		return "identity not assigned: no system-assigned identity is enabled here; enable it on the resource (portal → Identity → System assigned) or select a user-assigned identity with --client-id"
	case isAuth && (ae.StatusCode == 401 || ae.StatusCode == 403) && src.Host != identity.HostIMDS && src.Host != identity.HostArc && src.Host != identity.HostCloudShell:
		return "the endpoint rejected the secret (IDENTITY_HEADER or MSI_SECRET): the platform rotates it, so restart the process to pick up the current value"
	case isAuth && ae.StatusCode == 401 && src.Host == identity.HostArc:
		return "the Arc agent refused the key from its challenge; check that the himds service runs ('azcmagent show') and try again"
	case errors.Is(err, identity.ErrUnavailable) && src.Host == identity.HostIMDS && len(det.Evidence) == 0:
		return "not on Azure: no managed-identity variable is set and IMDS (169.254.169.254) does not answer; on a laptop run 'azmsi emulator --env-file e.env' and load it with 'set -a; . ./e.env; set +a'"
	case errors.Is(err, identity.ErrUnavailable):
		return fmt.Sprintf("the %s endpoint %s does not answer; check the variables above (%s) and that the host's identity agent is running", src.Name, src.Endpoint, strings.Join(det.Evidence, ", "))
	case strings.Contains(err.Error(), "different identity") || strings.Contains(err.Error(), "did not confirm"):
		return "the endpoint answered for another identity than the one requested; check the ID, and on Arc that the agent supports user-assigned identities"
	case errors.Is(err, context.DeadlineExceeded):
		return "the endpoint did not answer in time; run again with --timeout 2m or --debug to see each attempt"
	}
	return "run 'azmsi doctor --debug' to see each request; the error above says what the endpoint answered"
}

func writeDoctorText(w io.Writer, r doctorReport) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("Host:       %s (%s)\n", r.HostName, r.Host)
	ev := strings.Join(r.Evidence, ", ")
	if ev == "" {
		ev = "none"
	}
	p("Evidence:   %s\n", ev)
	p("Reason:     %s\n", r.Reason)
	p("Identity:   %s\n", r.Identity)
	if b := r.Broker; b != nil {
		if b.Endpoint != "" {
			p("Broker:     %s (%s): tokens come from this broker's cache\n", b.Endpoint, b.From)
		} else {
			p("Broker:     none used: %s (%s)\n", b.Why, b.Tried)
		}
	}
	p("\nEnvironment:\n")
	for _, v := range r.Variables {
		state := "unset"
		switch {
		case v.Set && v.Value != "":
			state = v.Value
		case v.Set:
			state = "set"
		}
		p("  %-34s %s\n", v.Name, state)
	}
	if r.Workload != nil {
		writeDoctorWorkload(w, r.Workload)
	}
	if r.Endpoint.URL != "" {
		p("\nEndpoint:   %s\n", r.Endpoint.URL)
		if r.Endpoint.Reachable {
			kind := "TCP connect"
			if strings.HasPrefix(r.Endpoint.URL, "unix://") {
				kind = "socket connect"
			}
			p("  reachable (%s in %s)\n", kind, r.Endpoint.Latency)
		} else {
			p("  NOT reachable: %s\n", r.Endpoint.Error)
		}
	}
	writeDoctorIMDSv2(w, r.IMDSv2)
	p("\nToken for %s:\n", r.Token.Resource)
	if r.Token.OK {
		p("  obtained in %s\n", r.Token.Duration)
		if c := r.Token.Claims; c != nil {
			p("  oid        %s\n  appid      %s\n", c.ObjectID, c.AppID)
			if c.MIResourceID != "" {
				p("  xms_mirid  %s\n", c.MIResourceID)
			}
			p("  iat        %s\n  exp        %s\n  age        %s\n", c.IssuedAt, c.ExpiresAt, c.Age)
		}
	} else {
		p("  FAILED: %s\n", r.Token.Error)
	}
	writeDoctorRoles(w, r.Roles)
	if len(r.NextSteps) > 0 {
		p("\nNext steps:\n")
		for _, s := range r.NextSteps {
			p("  - %s\n", s)
		}
	}
	if r.OK {
		p("\nResult: OK\n")
	} else {
		p("\nResult: FAILED\n")
	}
}
