// Package hosts emulates the managed-identity hosts other than IMDS: App
// Service (2019-08-01, and 2025-03-30 with token revocation), Container
// Apps (App Service's protocol, its own variables), the 2017-09-01
// protocol (legacy App Service and Azure ML), Cloud Shell, Azure Arc (a 401
// challenge naming a one-time key file) and Service Fabric (HTTPS pinned by
// thumbprint; 2020-05-01 with principalId, and 2019-07-01-preview). Each host has its
// own protocol, secret and error shapes and mints from the shared token
// authority; package emulator gives each its own loopback listener.
package hosts

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/stats"
	"github.com/azmsi/azmsi/emulator/internal/tlsca"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// Host names for Options.Hosts: every managed-identity host the emulator
// can stand in for. IMDS is the default and is served on the IMDS listener;
// every other host gets its own loopback listener (127.0.0.1, random port),
// so that a path or port never tells one host from another by accident and
// each can be pointed at independently.
const (
	IMDS           = "imds"
	AppService     = "appservice"
	AppService2017 = "appservice2017"
	CloudShell     = "cloudshell"
	Arc            = "arc"
	ServiceFabric  = "servicefabric"
	AzureML        = "azureml"
	ContainerApps  = "containerapps" // App Service's 2019-08-01 protocol with Container Apps' variables
	// Workload (AKS workload identity) is served by package emulator with
	// package entra, not by this Set.
	Workload = "workload"
)

// Names lists the names Options.Hosts accepts.
var Names = []string{IMDS, AppService, AppService2017, CloudShell, Arc, ServiceFabric, AzureML, Workload, ContainerApps}

// Token paths of the emulated hosts (the real ones' usual paths).
const (
	appServiceTokenPath = "/msi/token"
	cloudShellTokenPath = "/oauth2/token"
	arcTokenPath        = "/metadata/identity/oauth2/token"
	sfTokenPath         = "/metadata/identity/oauth2/token"
)

// Endpoint is one running non-IMDS host.
type Endpoint struct {
	Name       string
	BaseURL    string // scheme://127.0.0.1:port
	TokenURL   string
	Secret     string // IDENTITY_HEADER / MSI_SECRET; "" where the host has none
	Thumbprint string // Service Fabric: uppercase hex SHA-1 of the certificate
}

// Deps is what the hosts need from the server.
type Deps struct {
	Tokens    *tokens.Authority
	Config    func() *config.Config // the current configuration snapshot
	Stats     *stats.Counters
	Logger    *slog.Logger
	Clock     func() time.Time // Arc key expiry
	ArcKeyDir string           // "" → a temp folder owned by the Set
	StateDir  string           // Service Fabric keeps its generated certificate here ("" → a new one per start)
}

// Set holds the running hosts, in Options.Hosts order.
type Set struct {
	tokens *tokens.Authority
	config func() *config.Config
	stats  *stats.Counters
	logger *slog.Logger
	now    func() time.Time
	arcDir string
	state  string

	list   []*Endpoint
	arc    *arcKeys
	tmpDir string // owned Arc key folder, removed by Close
}

// New returns an empty Set over d.
func New(d Deps) *Set {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	return &Set{tokens: d.Tokens, config: d.Config, stats: d.Stats, logger: d.Logger, now: d.Clock, arcDir: d.ArcKeyDir, state: d.StateDir}
}

// Spec is one host of Options.Hosts and the address it listens at ("":
// the configuration's hosts.<name>.address, else a random loopback port).
type Spec struct{ Name, Addr string }

// Parse validates Options.Hosts: entries "name" or "name=host:port",
// repeated or comma-separated, known names in any case, "imds" implied
// and taking no address. A name given twice is one host; two different
// addresses for it are an error.
func Parse(in []string) ([]Spec, error) {
	var out []Spec
	at := map[string]int{}
	for _, raw := range in {
		for _, item := range strings.Split(raw, ",") {
			name, addr, _ := strings.Cut(strings.TrimSpace(item), "=")
			name, addr = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(addr)
			if name == "" {
				if addr != "" {
					return nil, fmt.Errorf("emulator: host entry %q has an address but no host name; use NAME=127.0.0.1:PORT", httpx.Clip(item))
				}
				continue
			}
			if !slices.Contains(Names, name) {
				return nil, fmt.Errorf("emulator: unknown host %q; use one of %s", httpx.Clip(name), strings.Join(Names, ", "))
			}
			if addr != "" {
				if name == IMDS || name == Workload {
					return nil, fmt.Errorf("emulator: host %s takes no address here (IMDS listens at Options.IMDSAddr; workload identity on its own)", name)
				}
				if err := config.CheckHostAddress(addr); err != nil {
					return nil, fmt.Errorf("emulator: host %s: %v", name, err)
				}
			}
			i, seen := at[name]
			switch {
			case !seen:
				at[name] = len(out)
				out = append(out, Spec{Name: name, Addr: addr})
			case addr != "" && out[i].Addr != "" && out[i].Addr != addr:
				return nil, fmt.Errorf("emulator: host %s is given two addresses, %s and %s", name, httpx.Clip(out[i].Addr), httpx.Clip(addr))
			case addr != "":
				out[i].Addr = addr
			}
		}
	}
	return out, nil
}

// Normalize is Parse's host names, in order.
func Normalize(in []string) ([]string, error) {
	specs, err := Parse(in)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(specs))
	for i, sp := range specs {
		out[i] = sp.Name
	}
	return out, nil
}

// Add prepares host name, listening at addr (host:port), and returns its
// handler and, for Service Fabric, the TLS configuration to serve it
// with.
func (s *Set) Add(name, addr string) (http.Handler, *tls.Config, error) {
	he := &Endpoint{Name: name, BaseURL: "http://" + addr}
	var h http.Handler
	var tc *tls.Config
	switch name {
	case AppService, ContainerApps:
		he.TokenURL, he.Secret = he.BaseURL+appServiceTokenPath, s.secretFor(name)
		h = s.appServiceHandler(he)
	case AppService2017, AzureML:
		he.TokenURL, he.Secret = he.BaseURL+appServiceTokenPath, s.secretFor(name)
		h = s.msi2017Handler(he)
	case CloudShell:
		he.TokenURL = he.BaseURL + cloudShellTokenPath
		h = s.cloudShellHandler()
	case Arc:
		var err error
		if s.arc, err = s.newArcKeys(); err != nil {
			return nil, nil, err
		}
		he.TokenURL = he.BaseURL + arcTokenPath
		h = s.arcHandler(s.arc)
	case ServiceFabric:
		he.BaseURL = "https://" + addr
		he.TokenURL, he.Secret = he.BaseURL+sfTokenPath, s.secretFor(name)
		var err error
		if tc, he.Thumbprint, err = s.sfCertificate(); err != nil {
			return nil, nil, err
		}
		h = s.serviceFabricHandler(he)
	default:
		return nil, nil, fmt.Errorf("emulator: host %q has no listener of its own", name)
	}
	s.list = append(s.list, he)
	return h, tc, nil
}

// secretFor is the configured secret of host name (hosts.<name>.secret),
// else a random one.
func (s *Set) secretFor(name string) string {
	if s.config != nil {
		if v := s.config().Hosts[name].Secret; v != "" {
			return v
		}
	}
	return httpx.RandomSecret()
}

// sfCertificate is the configured Service Fabric certificate
// (hosts.servicefabric.certificate), else the one kept in the state
// folder (made on first use), else a fresh self-signed one.
func (s *Set) sfCertificate() (*tls.Config, string, error) {
	if s.config != nil {
		if p := s.config().Hosts[ServiceFabric].Certificate; p != "" {
			return loadPinnedCertificate(p, time.Now())
		}
	}
	if s.state != "" {
		// Real time, not the injected clock: TLS checks validity on real time.
		return stateCertificate(filepath.Join(s.state, sfStateCertFile), time.Now())
	}
	return tlsca.SelfSigned("azmsi emulator Service Fabric")
}

// Close removes the Arc key files and the owned key folder.
func (s *Set) Close() {
	if s.arc != nil {
		s.arc.removeAll()
	}
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
	}
}

// List is the running hosts in Options.Hosts order.
func (s *Set) List() []*Endpoint { return s.list }

// Get returns the running host name, or nil.
func (s *Set) Get(name string) *Endpoint {
	for _, h := range s.list {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// ArcKeyDir is the folder Arc challenge keys are written to ("" without
// an Arc host).
func (s *Set) ArcKeyDir() string {
	if s.arc == nil {
		return ""
	}
	return s.arc.dir
}

// Env returns the variables that make a client's detection pick the
// running host name (and reach it), secrets included; nil when it does not
// run.
func (s *Set) Env(name string) [][2]string {
	h := s.Get(name)
	if h == nil {
		return nil
	}
	switch name {
	case AppService:
		return [][2]string{{"IDENTITY_ENDPOINT", h.TokenURL}, {"IDENTITY_HEADER", h.Secret}}
	case ContainerApps:
		// Container Apps' built-in variables (Learn
		// container-apps/environment-variables) tell it from App Service.
		return [][2]string{{"IDENTITY_ENDPOINT", h.TokenURL}, {"IDENTITY_HEADER", h.Secret},
			{"CONTAINER_APP_NAME", "azmsi-emulator"}, {"CONTAINER_APP_REVISION", "azmsi-emulator--0000001"}}
	case AppService2017:
		return [][2]string{{"MSI_ENDPOINT", h.TokenURL}, {"MSI_SECRET", h.Secret}, {"APPSETTING_WEBSITE_SITE_NAME", "azmsi-emulator"}}
	case AzureML:
		env := [][2]string{{"MSI_ENDPOINT", h.TokenURL}, {"MSI_SECRET", h.Secret}}
		if id := s.defaultMLIdentity(); id != nil {
			env = append(env, [2]string{"DEFAULT_IDENTITY_CLIENT_ID", id.ClientID})
		}
		return env
	case CloudShell:
		return [][2]string{{"MSI_ENDPOINT", h.TokenURL}}
	case Arc:
		return [][2]string{{"IDENTITY_ENDPOINT", h.TokenURL}, {"IMDS_ENDPOINT", h.BaseURL}, {"AZMSI_ARC_KEY_DIR", s.arc.dir}}
	case ServiceFabric:
		return [][2]string{{"IDENTITY_ENDPOINT", h.TokenURL}, {"IDENTITY_HEADER", h.Secret},
			{"IDENTITY_SERVER_THUMBPRINT", h.Thumbprint}, {"IDENTITY_API_VERSION", sfOldAPIVersion}}
	}
	return nil
}

// defaultMLIdentity is the identity DEFAULT_IDENTITY_CLIENT_ID names: the
// system-assigned one, else the first configured.
func (s *Set) defaultMLIdentity() *config.Identity {
	cfg := s.config()
	if id := cfg.SystemIdentity(); id != nil {
		return id
	}
	if len(cfg.Identities) > 0 {
		return &cfg.Identities[0]
	}
	return nil
}

// absDir makes dir absolute (clients accept key files only by absolute path).
func absDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	return filepath.Abs(dir)
}
