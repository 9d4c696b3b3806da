package emulator

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/entra"
	"github.com/azmsi/azmsi/emulator/internal/hosts"
)

// HostWorkload is AKS workload identity: a projected service-account token
// in a file, exchanged at an emulated Entra ID token endpoint (HTTPS, on
// its own loopback listener, certificate from the emulator's CA).
const HostWorkload = hosts.Workload

// WorkloadFaults are the workload-identity faults (expired token file,
// rotation stopped, wrong audience, no federated credential, Entra 429/5xx).
type WorkloadFaults = entra.Faults

// ParseWorkloadFaults parses a spec such as
// "expiredfile,rotationstopped,wrongaudience,nocredential,429=3,retryafter=2s".
func ParseWorkloadFaults(spec string) (WorkloadFaults, error) { return entra.ParseFaults(spec) }

// WorkloadOptions configure the emulated AKS pod of HostWorkload.
type WorkloadOptions struct {
	// Addr is the listen address of the Entra and OIDC issuer endpoint;
	// "" means 127.0.0.1:0 (a free port). Like the other listeners it must
	// be loopback unless Options.AllowNonLoopback. A fixed :443 lets
	// clients that insist on login.microsoftonline.com reach it in a
	// network namespace that maps that name to this address.
	Addr string
	// TokenDir is the folder of the projected token file
	// (azure-identity-token); "" means a temporary folder the server owns.
	TokenDir string
	// Identity names the user-assigned identity the pod's service account
	// is annotated with; "" means the first one with a federated
	// credential. The service account is taken from that credential's
	// subject (system:serviceaccount:NAMESPACE:NAME).
	Identity string
	// TokenLifetime is the projected token's lifetime (exp - iat); default
	// 1h, at least 10m. The file is rewritten at 80 % of it.
	TokenLifetime time.Duration
	// Faults are installed at start; SetWorkloadFaults changes them.
	Faults WorkloadFaults
}

// workloadTokenFile is the projected token's file name, as the webhook
// mounts it.
const workloadTokenFile = "azure-identity-token"

// workloadHost is the running workload-identity host: the cluster's OIDC
// issuer (under /oidc/ on the listener), the kubelet's token file, and
// Entra's token endpoint.
type workloadHost struct {
	baseURL   string // https://127.0.0.1:port
	issuer    *entra.Issuer
	projector *entra.Projector
	endpoint  *entra.Endpoint
	clientID  string
	tenantID  string
	tmpDir    string // owned token folder, removed by close

	mu     sync.Mutex
	faults WorkloadFaults
}

// workloadClock adapts the server's clock for the projector. Waits are
// capped at a second so that rotation follows an injected clock that
// jumps (the projector re-checks the time when it wakes).
type workloadClock struct{ now func() time.Time }

func (c workloadClock) Now() time.Time { return c.now() }
func (c workloadClock) After(d time.Duration) <-chan time.Time {
	return time.After(min(d, time.Second))
}

// startWorkload opens the workload listener and starts its parts.
func (s *Server) startWorkload() error {
	o := s.opts.Workload
	cfg := s.config()
	id, err := workloadIdentity(cfg, o.Identity)
	if err != nil {
		return err
	}
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkBindAddr(addr, s.opts.AllowNonLoopback); err != nil {
		return fmt.Errorf("emulator: Workload.Addr: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: workload listener: %w", err)
	}
	s.listenAddrs = append(s.listenAddrs, ln.Addr().String())
	w := &workloadHost{baseURL: "https://" + ln.Addr().String(), clientID: id.ClientID, tenantID: cfg.TenantID}
	s.workload = w // set before anything can fail, so Close cleans up
	clock := workloadClock{s.opts.Clock.Now}
	if w.issuer, err = entra.NewIssuer(w.baseURL+"/oidc/"+cfg.TenantID+"/", clock); err != nil {
		_ = ln.Close()
		return err
	}
	dir := o.TokenDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "azmsi-workload-"); err != nil {
			_ = ln.Close()
			return fmt.Errorf("emulator: workload token folder: %w", err)
		}
		w.tmpDir = dir
	}
	if w.projector, err = entra.NewProjector(entra.ProjectorOptions{
		Issuer: w.issuer, Path: filepath.Join(dir, workloadTokenFile), ServiceAccount: serviceAccountOf(id),
		Lifetime: o.TokenLifetime, Clock: clock, Logger: s.logger,
	}); err != nil {
		_ = ln.Close()
		return fmt.Errorf("emulator: %w", err)
	}
	if w.endpoint, err = entra.NewEndpoint(entra.EndpointOptions{
		TenantID: cfg.TenantID, Apps: w.apps(s.config, s.armFederatedCredentials), Keys: w.issuer.PublicKey, Mint: s.mintForWorkload,
		Now: s.opts.Clock.Now, Logger: s.logger,
	}); err != nil {
		_ = ln.Close()
		return fmt.Errorf("emulator: %w", err)
	}
	if err := w.setFaults(o.Faults); err != nil {
		_ = ln.Close()
		return fmt.Errorf("emulator: %w", err)
	}
	if err := w.projector.Start(); err != nil {
		_ = ln.Close()
		return fmt.Errorf("emulator: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/oidc/", w.issuer.Handler())
	mux.Handle("/", w.endpoint.Handler())
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{s.certs.Leaf}}
	s.serveFamily(HostWorkload, ln, mux, tc)
	return nil
}

// workloadIdentity picks the pod's identity: the named one, else the first
// user-assigned identity with a federated credential.
func workloadIdentity(cfg *Config, name string) (*config.Identity, error) {
	if name != "" {
		id := cfg.IdentityByName(name)
		if id == nil || id.Kind != KindUser {
			return nil, fmt.Errorf("emulator: workload identity %q is not a user-assigned identity of the configuration", name)
		}
		return id, nil
	}
	for i := range cfg.Identities {
		if id := &cfg.Identities[i]; id.Kind == KindUser && len(id.FederatedCredentials) > 0 {
			return id, nil
		}
	}
	return nil, errors.New("emulator: --host workload needs a user-assigned identity with federatedCredentials in the configuration (the default configuration has one)")
}

// serviceAccountOf is the service account the pod runs as: the one its
// identity's first federated credential names, else default/workload-sa.
func serviceAccountOf(id *config.Identity) entra.ServiceAccount {
	sa := entra.ServiceAccount{Namespace: "default", Name: "workload-sa"}
	if len(id.FederatedCredentials) > 0 {
		rest, ok := strings.CutPrefix(id.FederatedCredentials[0].Subject, "system:serviceaccount:")
		if ns, name, ok2 := strings.Cut(rest, ":"); ok && ok2 && ns != "" && name != "" && !strings.Contains(name, ":") {
			sa.Namespace, sa.Name = ns, name
		}
	}
	sa.UID, sa.PodName, sa.PodUID = "a0a0a0a0-0000-4000-8000-00000000000a", sa.Name+"-pod", "b0b0b0b0-0000-4000-8000-00000000000b"
	return sa
}

// apps finds an identity of the current configuration by client ID, with
// its federated credentials: the configuration's (an empty issuer is this
// emulator's), then those created through ARM on the identity's resource.
func (w *workloadHost) apps(current func() *Config, viaARM func(resourceID string) []config.FederatedCredential) entra.AppLookup {
	return func(clientID string) (entra.App, bool) {
		id := identityByClientID(current(), clientID)
		if id == nil {
			return entra.App{}, false
		}
		app := entra.App{ClientID: id.ClientID, Name: id.Name}
		fcs := id.FederatedCredentials
		if id.Kind == KindUser && viaARM != nil {
			fcs = append(slices.Clip(fcs), viaARM(id.ResourceID)...)
		}
		for _, fc := range fcs {
			iss := fc.Issuer
			if iss == "" {
				iss = w.issuer.URL()
			}
			app.FederatedCredentials = append(app.FederatedCredentials, entra.FederatedCredential{
				Name: fc.Name, Issuer: iss, Subject: fc.Subject, Audiences: fc.Audiences})
		}
		return app, true
	}
}

// ficType is the ARM type of a federated identity credential.
const ficType = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"

// armFederatedCredentials are the federated credentials PUT through ARM
// under the user-assigned identity resourceID (protocols-2026.md §19.9).
// Their issuer is taken as written: an ARM caller names a real issuer URL.
func (s *Server) armFederatedCredentials(resourceID string) []config.FederatedCredential {
	if s.genericStore == nil {
		return nil
	}
	var out []config.FederatedCredential
	for _, r := range s.genericStore.Children(resourceID, ficType) {
		var p struct {
			Issuer    string   `json:"issuer"`
			Subject   string   `json:"subject"`
			Audiences []string `json:"audiences"`
		}
		if json.Unmarshal(r.Properties, &p) != nil || p.Issuer == "" || p.Subject == "" || len(p.Audiences) != 1 {
			continue // not a usable credential; ARM validation is the resource provider's
		}
		name := r.ID[strings.LastIndex(r.ID, "/")+1:]
		out = append(out, config.FederatedCredential{Name: name, Issuer: p.Issuer, Subject: p.Subject, Audiences: p.Audiences})
	}
	return out
}

func identityByClientID(cfg *Config, clientID string) *config.Identity {
	for i := range cfg.Identities {
		if strings.EqualFold(cfg.Identities[i].ClientID, clientID) {
			return &cfg.Identities[i]
		}
	}
	return nil
}

// mintForWorkload issues the identity's token with the same claims IMDS
// would (protocols-2026.md §19.10).
func (s *Server) mintForWorkload(app entra.App, resource string) (entra.AccessToken, error) {
	cfg := s.config()
	id := identityByClientID(cfg, app.ClientID)
	if id == nil {
		return entra.AccessToken{}, fmt.Errorf("identity %s was removed from the configuration", app.ClientID)
	}
	tok, err := s.tokens.Mint(cfg, id, resource)
	if err != nil {
		return entra.AccessToken{}, err
	}
	return entra.AccessToken{Raw: tok.Raw, ExpiresAt: tok.ExpiresAt}, nil
}

func (w *workloadHost) setFaults(f WorkloadFaults) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.endpoint.SetFaults(f); err != nil {
		return err
	}
	if err := w.projector.SetFaults(f); err != nil {
		return err
	}
	w.faults = f
	return nil
}

// tokenURL is Entra's token endpoint for the tenant.
func (w *workloadHost) tokenURL() string { return w.baseURL + entra.TokenPath(w.tenantID) }

// env is what the webhook injects into the pod.
func (w *workloadHost) env() []EnvVar {
	return []EnvVar{
		{"AZURE_FEDERATED_TOKEN_FILE", w.projector.Path()},
		{"AZURE_CLIENT_ID", w.clientID},
		{"AZURE_TENANT_ID", w.tenantID},
		{"AZURE_AUTHORITY_HOST", w.baseURL + "/"},
	}
}

// close stops the rotation and removes an owned token folder; call it
// after the listener stopped.
func (w *workloadHost) close() {
	if w.projector != nil {
		_ = w.projector.Close()
	}
	if w.tmpDir != "" {
		_ = os.RemoveAll(w.tmpDir)
	}
}

// SetWorkloadFaults replaces the workload-identity faults; an error when
// the workload host is not running or f is invalid.
func (s *Server) SetWorkloadFaults(f WorkloadFaults) error {
	if s.workload == nil || s.workload.endpoint == nil {
		return errors.New("emulator: the workload host is not running (Options.Hosts must list \"workload\")")
	}
	return s.workload.setFaults(f)
}

// WorkloadIssuer is the emulated cluster's OIDC issuer URL, "" without the
// workload host.
func (s *Server) WorkloadIssuer() string {
	if s.workload == nil || s.workload.issuer == nil {
		return ""
	}
	return s.workload.issuer.URL()
}
