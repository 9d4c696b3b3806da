package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Host names for Options.Hosts: every managed-identity host the emulator
// can stand in for. IMDS is the default and is served on the IMDS listener;
// every other host gets its own loopback listener (127.0.0.1, random port),
// so that a path or port never tells one host from another by accident and
// each can be pointed at independently.
const (
	HostIMDS           = "imds"
	HostAppService     = "appservice"
	HostAppService2017 = "appservice2017"
	HostCloudShell     = "cloudshell"
	HostArc            = "arc"
	HostServiceFabric  = "servicefabric"
	HostAzureML        = "azureml"
)

// HostNames lists the names Options.Hosts accepts.
var HostNames = []string{HostIMDS, HostAppService, HostAppService2017, HostCloudShell, HostArc, HostServiceFabric, HostAzureML}

// Token paths of the emulated hosts (the real ones' usual paths).
const (
	appServiceTokenPath = "/msi/token"
	cloudShellTokenPath = "/oauth2/token"
	arcTokenPath        = "/metadata/identity/oauth2/token"
	sfTokenPath         = "/metadata/identity/oauth2/token"
)

// hostEndpoint is one running non-IMDS host.
type hostEndpoint struct {
	name       string
	baseURL    string // scheme://127.0.0.1:port
	tokenURL   string
	secret     string // IDENTITY_HEADER / MSI_SECRET; "" where the host has none
	thumbprint string // Service Fabric: uppercase hex SHA-1 of the certificate
}

// hostSet holds the running hosts, in Options.Hosts order.
type hostSet struct {
	list   []*hostEndpoint
	arc    *arcKeys
	tmpDir string // owned Arc key folder, removed by Close
}

// HostInfo describes a running emulated host (secrets excluded: they are
// only in HostEnv).
type HostInfo struct {
	Name       string // a Host* constant
	Endpoint   string // token URL (IMDS: the base URL)
	Thumbprint string // Service Fabric only
	ArcKeyDir  string // Azure Arc only
}

// normalizeHosts validates Options.Hosts: known names, lower case, no
// duplicates; "imds" is implied.
func normalizeHosts(in []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, raw := range in {
		for _, h := range strings.Split(raw, ",") {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == "" {
				continue
			}
			known := false
			for _, k := range HostNames {
				known = known || k == h
			}
			if !known {
				return nil, fmt.Errorf("emulator: unknown host %q; use one of %s", h, strings.Join(HostNames, ", "))
			}
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// startHosts opens a listener per non-IMDS host of Options.Hosts. On error
// the caller closes the server (which closes whatever was started).
func (s *Server) startHosts() error {
	names, err := normalizeHosts(s.opts.Hosts)
	if err != nil {
		return err
	}
	s.hosts = &hostSet{}
	for _, name := range names {
		if name == HostIMDS {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("emulator: %s listener: %w", name, err)
		}
		s.listenAddrs = append(s.listenAddrs, ln.Addr().String())
		he := &hostEndpoint{name: name, baseURL: "http://" + ln.Addr().String()}
		var h http.Handler
		switch name {
		case HostAppService:
			he.tokenURL, he.secret = he.baseURL+appServiceTokenPath, randomSecret()
			h = s.appServiceHandler(he)
		case HostAppService2017, HostAzureML:
			he.tokenURL, he.secret = he.baseURL+appServiceTokenPath, randomSecret()
			h = s.msi2017Handler(he)
		case HostCloudShell:
			he.tokenURL = he.baseURL + cloudShellTokenPath
			h = s.cloudShellHandler()
		case HostArc:
			if s.hosts.arc, err = s.newArcKeys(); err != nil {
				_ = ln.Close()
				return err
			}
			he.tokenURL = he.baseURL + arcTokenPath
			h = s.arcHandler(s.hosts.arc)
		case HostServiceFabric:
			he.baseURL = "https://" + ln.Addr().String()
			he.tokenURL, he.secret = he.baseURL+sfTokenPath, randomSecret()
			tc, thumb, err := selfSignedTLS()
			if err != nil {
				_ = ln.Close()
				return err
			}
			he.thumbprint = thumb
			s.hosts.list = append(s.hosts.list, he)
			s.serve(tls.NewListener(s.faults.gate(name, ln), tc), s.withLogging(name, s.withFaults(name, s.serviceFabricHandler(he))), tc)
			continue
		}
		s.hosts.list = append(s.hosts.list, he)
		s.serve(s.faults.gate(name, ln), s.withLogging(name, s.withFaults(name, h)), nil)
	}
	return nil
}

// closeHosts removes the Arc key files and the owned key folder.
func (s *Server) closeHosts() {
	if s.hosts == nil {
		return
	}
	if s.hosts.arc != nil {
		s.hosts.arc.removeAll()
	}
	if s.hosts.tmpDir != "" {
		_ = os.RemoveAll(s.hosts.tmpDir)
	}
}

func (s *Server) host(name string) *hostEndpoint {
	if s.hosts == nil {
		return nil
	}
	for _, h := range s.hosts.list {
		if h.name == name {
			return h
		}
	}
	return nil
}

// Hosts describes the running hosts: IMDS (when its listener runs) first,
// then the others in Options.Hosts order.
func (s *Server) Hosts() []HostInfo {
	var out []HostInfo
	if s.imdsURL != "" {
		out = append(out, HostInfo{Name: HostIMDS, Endpoint: s.imdsURL})
	}
	if s.hosts != nil {
		for _, h := range s.hosts.list {
			hi := HostInfo{Name: h.name, Endpoint: h.tokenURL, Thumbprint: h.thumbprint}
			if h.name == HostArc {
				hi.ArcKeyDir = s.hosts.arc.dir
			}
			out = append(out, hi)
		}
	}
	return out
}

// primaryHost is the host Env points clients at: the first non-IMDS host
// listed in Options.Hosts, "" for IMDS.
func (s *Server) primaryHost() string {
	if s.hosts == nil || len(s.hosts.list) == 0 {
		return ""
	}
	return s.hosts.list[0].name
}

// HostEnv returns the variables that make a client's detection pick host
// (and reach it), or nil when host is not running. For IMDS that is
// AZURE_POD_IDENTITY_AUTHORITY_HOST. The values include the host's secret.
func (s *Server) HostEnv(host string) []EnvVar {
	if host == HostIMDS {
		if s.imdsURL == "" {
			return nil
		}
		return []EnvVar{{"AZURE_POD_IDENTITY_AUTHORITY_HOST", s.imdsURL}}
	}
	h := s.host(host)
	if h == nil {
		return nil
	}
	switch host {
	case HostAppService:
		return []EnvVar{{"IDENTITY_ENDPOINT", h.tokenURL}, {"IDENTITY_HEADER", h.secret}}
	case HostAppService2017:
		return []EnvVar{{"MSI_ENDPOINT", h.tokenURL}, {"MSI_SECRET", h.secret}, {"APPSETTING_WEBSITE_SITE_NAME", "azmsi-emulator"}}
	case HostAzureML:
		env := []EnvVar{{"MSI_ENDPOINT", h.tokenURL}, {"MSI_SECRET", h.secret}}
		if id := s.defaultMLIdentity(); id != nil {
			env = append(env, EnvVar{"DEFAULT_IDENTITY_CLIENT_ID", id.ClientID})
		}
		return env
	case HostCloudShell:
		return []EnvVar{{"MSI_ENDPOINT", h.tokenURL}}
	case HostArc:
		return []EnvVar{{"IDENTITY_ENDPOINT", h.tokenURL}, {"IMDS_ENDPOINT", h.baseURL}, {"AZMSI_ARC_KEY_DIR", s.hosts.arc.dir}}
	case HostServiceFabric:
		return []EnvVar{{"IDENTITY_ENDPOINT", h.tokenURL}, {"IDENTITY_HEADER", h.secret},
			{"IDENTITY_SERVER_THUMBPRINT", h.thumbprint}, {"IDENTITY_API_VERSION", sfAPIVersion}}
	}
	return nil
}

// defaultMLIdentity is the identity DEFAULT_IDENTITY_CLIENT_ID names: the
// system-assigned one, else the first configured.
func (s *Server) defaultMLIdentity() *Identity {
	cfg := s.config()
	if id := cfg.SystemIdentity(); id != nil {
		return id
	}
	if len(cfg.Identities) > 0 {
		return &cfg.Identities[0]
	}
	return nil
}

// issue returns a token for the identity a selector names (name is one of
// client_id, object_id, msi_res_id, mi_res_id, or "" for the default
// identity), from the shared token cache (unless bypassCache) or freshly
// minted, and counts it. On failure id is nil and status/desc say why
// ("identity not found", "several identities", or a signing failure as
// 500).
func (s *Server) issue(selName, selValue, resource string, bypassCache bool) (id *Identity, tok mintedToken, status int, desc string) {
	cfg := s.config()
	id, status, desc = selectIdentity(cfg, selName, selValue)
	if id == nil {
		return nil, mintedToken{}, status, desc
	}
	cached := false
	if !bypassCache {
		tok, cached = s.tokens.get(id.ObjectID, resource, s.now())
	}
	if !cached {
		var err error
		if tok, err = s.mint(cfg, id, resource); err != nil {
			s.logger.Error("minting a token failed", "identity", id.Name, "err", err)
			return nil, mintedToken{}, http.StatusInternalServerError, "The emulator could not sign a token"
		}
		s.tokens.put(id.ObjectID, resource, tok)
	}
	s.stats.tokenServed(id.Name, resource)
	return id, tok, 0, ""
}

// imdsTokenBody is the IMDS-shaped success body (IMDS and Azure Arc),
// every number a string; the caller adds refresh_in and the echoed
// selector.
func (s *Server) imdsTokenBody(tok mintedToken, resource, clientID string) tokenResponse {
	in := epochString(s.expiresIn(tok))
	return tokenResponse{
		AccessToken: tok.raw, ExpiresIn: in, ExpiresOn: epochString(tok.expiresAt.Unix()),
		ExtExpiresIn: in, NotBefore: epochString(tok.issued.Unix()),
		Resource: resource, TokenType: "Bearer", ClientID: clientID,
	}
}

// expiresIn is the whole seconds tok has left.
func (s *Server) expiresIn(tok mintedToken) int64 {
	return max(int64(tok.expiresAt.Sub(s.now()).Seconds()), 0)
}

func epochString(n int64) string { return strconv.FormatInt(n, 10) }

// secretEqual compares a presented secret in constant time.
func secretEqual(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// randomSecret is a fresh 128-bit secret in hex.
func randomSecret() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("emulator: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// singleSelector reads at most one of names from q; more than one is an
// error message.
func singleSelector(q map[string][]string, names ...string) (name, value, bad string) {
	for _, n := range names {
		if v := firstValue(q, n); v != "" {
			if name != "" {
				return "", "", "Only one of " + strings.Join(names, ", ") + " may be specified; got " + name + " and " + n
			}
			name, value = n, v
		}
	}
	return name, value, ""
}

func firstValue(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// absDir makes dir absolute (clients accept key files only by absolute path).
func absDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	return filepath.Abs(dir)
}
