package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/azmsi/azmsi/identity"
)

// workloadDiag is what doctor shows of AKS workload identity: the
// projected token file and the claims a federated credential must match,
// never the token.
type workloadDiag struct {
	TokenFile string   `json:"tokenFile"`
	Readable  bool     `json:"readable"`
	Error     string   `json:"error,omitempty"`
	Age       string   `json:"age,omitempty"` // since the file was last written
	Issuer    string   `json:"iss,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	Audience  []string `json:"aud,omitempty"`
	ExpiresAt string   `json:"exp,omitempty"`
	Expired   bool     `json:"expired"`
	Authority string   `json:"authority"`
	Tenant    string   `json:"tenant"`
	ClientID  string   `json:"clientId"`
}

// defaultAuthority is what identity uses without AZURE_AUTHORITY_HOST.
const defaultAuthority = "https://login.microsoftonline.com"

// inspectWorkload reads the token file named by AZURE_FEDERATED_TOKEN_FILE
// at now and decodes (without verifying) its claims.
func inspectWorkload(getenv func(string) string, now time.Time) *workloadDiag {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	w := &workloadDiag{
		TokenFile: env("AZURE_FEDERATED_TOKEN_FILE"),
		Authority: env("AZURE_AUTHORITY_HOST"),
		Tenant:    env("AZURE_TENANT_ID"),
		ClientID:  env("AZURE_CLIENT_ID"),
	}
	if w.Authority == "" {
		w.Authority = defaultAuthority + " (default)"
	}
	if w.TokenFile == "" {
		w.Error = "AZURE_FEDERATED_TOKEN_FILE is not set"
		return w
	}
	f, err := os.Open(w.TokenFile)
	if err != nil {
		w.Error = fileProblem(err)
		return w
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		w.Age = roundDuration(now.Sub(fi.ModTime()))
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		w.Error = fileProblem(err)
		return w
	}
	raw := strings.TrimSpace(string(b))
	if raw == "" {
		w.Error = "the file is empty"
		return w
	}
	w.Readable = true
	c, err := identity.ParseClaims(raw)
	if err != nil {
		w.Error = "the file does not hold a JWT"
		return w
	}
	w.Issuer = printable(c.Issuer)
	if sub, ok := c.Raw["sub"].(string); ok {
		w.Subject = printable(sub)
	}
	switch aud := c.Raw["aud"].(type) {
	case string:
		w.Audience = []string{printable(aud)}
	case []any:
		for _, a := range aud {
			if s, ok := a.(string); ok {
				w.Audience = append(w.Audience, printable(s))
			}
		}
	}
	if !c.ExpiresAt.IsZero() {
		w.ExpiresAt = c.ExpiresAt.UTC().Format(time.RFC3339)
		w.Expired = !now.Before(c.ExpiresAt)
	}
	return w
}

func fileProblem(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "the file does not exist"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}

// workloadNextStep is the next step for a failed workload-identity token
// attempt.
func workloadNextStep(w *workloadDiag, err error) string {
	var ae *identity.AuthError
	code := ""
	if errors.As(err, &ae) {
		code, _, _ = strings.Cut(strings.TrimPrefix(ae.Description, "AADSTS"), ":")
	}
	msg := err.Error()
	switch {
	case w != nil && w.Error == "the file does not exist":
		return "the projected token file is missing: label the pod azure.workload.identity/use: \"true\", annotate its service account with azure.workload.identity/client-id, and recreate the pod so the webhook mounts the token"
	case w != nil && w.Error == "permission denied":
		return "the projected token file is not readable by this user: set the pod's securityContext.fsGroup (or run as the pod's user)"
	case w != nil && w.Error == "the file is empty":
		return "the projected token file is empty: the kubelet has not written it; check the pod's azure-identity-token volume and the kubelet's logs"
	case w != nil && w.Expired, code == "700024":
		return "the projected token expired: the kubelet rewrites it at 80% of its lifetime, so check that the volume is still mounted, the kubelet is healthy and the node's clock is right; with the azmsi emulator restart it or clear its workload faults"
	case code == "70021":
		return fmt.Sprintf("no federated credential matches the pod's token: add one on the identity with issuer %q, subject %q and audience %q (az identity federated-credential create --identity-name … --resource-group … --issuer … --subject … --audiences …), or use the service account it already trusts",
			w.Issuer, w.Subject, strings.Join(w.Audience, ","))
	case code == "700016":
		return "Entra ID does not know AZURE_CLIENT_ID in this tenant: use the client ID (not the object ID) of the user-assigned identity, as the service account's azure.workload.identity/client-id annotation"
	case code == "90002":
		return "Entra ID does not know AZURE_TENANT_ID: check the tenant ID and that AZURE_AUTHORITY_HOST names the tenant's cloud"
	case code == "700027", code == "50027":
		return "Entra ID could not validate the token: the file must hold the token the cluster's OIDC issuer wrote, and the issuer must be reachable by Entra (OIDC issuer enabled on the cluster)"
	case strings.Contains(msg, "must use https"):
		return "AZURE_AUTHORITY_HOST must be an https URL (plain http only on loopback)"
	}
	return "run 'azmsi doctor --debug' to see the exchange; the error above says what Entra ID answered"
}

func writeDoctorWorkload(w io.Writer, d *workloadDiag) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("\nWorkload identity:\n")
	p("  token file %s\n", d.TokenFile)
	if d.Readable {
		p("  readable   yes (written %s ago)\n", d.Age)
	} else {
		p("  readable   NO: %s\n", d.Error)
	}
	if d.Issuer != "" || d.Subject != "" {
		p("  iss        %s\n  sub        %s\n  aud        %s\n", d.Issuer, d.Subject, strings.Join(d.Audience, ", "))
	}
	if d.ExpiresAt != "" {
		state := ""
		if d.Expired {
			state = " (EXPIRED)"
		}
		p("  exp        %s%s\n", d.ExpiresAt, state)
	}
	p("  authority  %s\n  tenant     %s\n  client ID  %s\n", d.Authority, d.Tenant, d.ClientID)
}
