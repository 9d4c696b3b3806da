package emulator

import (
	"fmt"
	"net"

	"github.com/azmsi/azmsi/emulator/internal/hosts"
)

// Host names for Options.Hosts: every managed-identity host the emulator
// can stand in for. IMDS is the default and is served on the IMDS listener;
// every other host gets its own loopback listener (127.0.0.1, random port),
// so that a path or port never tells one host from another by accident and
// each can be pointed at independently.
const (
	HostIMDS           = hosts.IMDS
	HostAppService     = hosts.AppService
	HostAppService2017 = hosts.AppService2017
	HostCloudShell     = hosts.CloudShell
	HostArc            = hosts.Arc
	HostServiceFabric  = hosts.ServiceFabric
	HostAzureML        = hosts.AzureML
	HostContainerApps  = hosts.ContainerApps
)

// HostNames lists the names Options.Hosts accepts.
var HostNames = hosts.Names

// HostInfo describes a running emulated host (secrets excluded: they are
// only in HostEnv).
type HostInfo struct {
	Name       string // a Host* constant
	Endpoint   string // token URL (IMDS: the base URL)
	Thumbprint string // Service Fabric only
	ArcKeyDir  string // Azure Arc only
	TokenFile  string // workload identity only: the projected token file
}

// startHosts opens a listener per non-IMDS host of Options.Hosts. On error
// the caller closes the server (which closes whatever was started).
func (s *Server) startHosts() error {
	specs, err := hosts.Parse(s.opts.Hosts)
	if err != nil {
		return err
	}
	for _, sp := range specs {
		name := sp.Name
		if name == HostIMDS {
			continue
		}
		if name == HostWorkload {
			if err := s.startWorkload(); err != nil {
				return err
			}
			continue
		}
		addr := sp.Addr
		if addr == "" {
			addr = s.config().Hosts[name].Address
		}
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if err := checkBindAddr(addr, s.opts.AllowNonLoopback); err != nil {
			return fmt.Errorf("emulator: host %s: %w", name, err)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("emulator: %s listener at %s: %w", name, addr, err)
		}
		s.listenAddrs = append(s.listenAddrs, ln.Addr().String())
		h, tc, err := s.hosts.Add(name, advertised(ln.Addr()))
		if err != nil {
			_ = ln.Close()
			return err
		}
		s.serveFamily(name, ln, h, tc)
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
	for _, h := range s.hosts.List() {
		hi := HostInfo{Name: h.Name, Endpoint: h.TokenURL, Thumbprint: h.Thumbprint}
		if h.Name == HostArc {
			hi.ArcKeyDir = s.hosts.ArcKeyDir()
		}
		out = append(out, hi)
	}
	if w := s.workload; w != nil && w.endpoint != nil {
		out = append(out, HostInfo{Name: HostWorkload, Endpoint: w.tokenURL(), TokenFile: w.projector.Path()})
	}
	return out
}

// primaryHost is the host Env points clients at: the first non-IMDS host
// listed in Options.Hosts, "" for IMDS.
func (s *Server) primaryHost() string {
	names, _ := hosts.Normalize(s.opts.Hosts) // validated by Start
	for _, n := range names {
		if n != HostIMDS {
			return n
		}
	}
	return ""
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
	if host == HostWorkload {
		if s.workload == nil || s.workload.endpoint == nil {
			return nil
		}
		return s.workload.env()
	}
	var out []EnvVar
	for _, v := range s.hosts.Env(host) {
		out = append(out, EnvVar{v[0], v[1]})
	}
	return out
}
