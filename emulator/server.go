package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/apiversion"
	"github.com/azmsi/azmsi/emulator/internal/arm"
	"github.com/azmsi/azmsi/emulator/internal/faults"
	"github.com/azmsi/azmsi/emulator/internal/hosts"
	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/imds"
	"github.com/azmsi/azmsi/emulator/internal/resources"
	"github.com/azmsi/azmsi/emulator/internal/roles"
	"github.com/azmsi/azmsi/emulator/internal/rolestate"
	"github.com/azmsi/azmsi/emulator/internal/stats"
	"github.com/azmsi/azmsi/emulator/internal/store"
	"github.com/azmsi/azmsi/emulator/internal/tlsca"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// Options configures Start. The zero value serves the embedded default
// configuration on two random loopback ports, keeping all state in memory.
type Options struct {
	// Config is the emulated world; nil means DefaultConfig().
	Config *Config
	// IMDSAddr is the listen address of the plain-HTTP IMDS endpoint.
	// "" means 127.0.0.1:0 (a free port); "-" disables IMDS.
	IMDSAddr string
	// ARMAddr is the listen address of the HTTPS ARM endpoint.
	// "" means 127.0.0.1:0; "-" disables ARM.
	ARMAddr string
	// AllowNonLoopback permits IMDSAddr/ARMAddr that are not loopback
	// addresses. Off by default: the emulator mints tokens for anyone who
	// asks, so it must not be reachable from the network by accident.
	AllowNonLoopback bool
	// StateDir keeps the CA, the token-signing key (and the ARM store) across
	// restarts. "" keeps everything in memory.
	StateDir string
	// TokenLifetime is exp-iat of minted tokens; default 24h.
	TokenLifetime time.Duration
	// RefreshIn, when positive, is sent as refresh_in (seconds) with every
	// token; 0 omits the field, as IMDS does.
	RefreshIn time.Duration

	// IMDSv2 serves IMDSv2's platform-metadata document at
	// /metadata/identity/getplatformmetadata; without it the route answers
	// 404, as on a VM with IMDSv1 only. Tokens are IMDSv1's either way.
	IMDSv2 bool
	// PageSize is the ARM list page size; default 100.
	PageSize int
	// DeleteDuration is how long a deleted resource group stays "Deleting";
	// default 2s.
	DeleteDuration time.Duration
	// ARMRequestBudget limits ARM requests per identity (0 = unlimited).
	ARMRequestBudget int
	// StrictAPIVersions refuses every api-version the emulator's tables do
	// not list. Off: a well-formed version newer than the newest known is
	// served as the newest known one (logged once), so the next SDK
	// release keeps working.
	StrictAPIVersions bool
	// ExtraHostnames are added to the ARM certificate besides 127.0.0.1,
	// ::1 and localhost.
	ExtraHostnames []string
	// TLSCertFile and TLSKeyFile serve a user's certificate for ARM instead
	// of one issued by the emulator's CA.
	TLSCertFile, TLSKeyFile string
	// Clock is the emulator's time (token lifetimes, fault windows, key
	// and rotation times); nil means the wall clock.
	Clock Clock
	// Logger receives one line per request; nil discards. Tokens,
	// Authorization headers and bodies are never logged.
	Logger *slog.Logger
	// Faults injects failures per endpoint family (ParseFaults,
	// docs/reliability.md); nil injects none. Changeable at run time with
	// SetFaults or /_emulator/faults.
	Faults *Faults
	// Hosts are the managed-identity hosts to emulate besides IMDS (names in
	// HostNames; "imds" is accepted and implied). Each gets its own loopback
	// listener: at NAME=host:port when an entry says so, else at the
	// configuration's hosts.NAME.address, else on a random port. Env points
	// clients at the first non-IMDS host listed, HostEnv at any.
	Hosts []string
	// RBACDelay is how long a role-assignment change takes to apply to
	// authorization, as Azure's propagation does (0: from the next request).
	// The role-assignment API shows the change at once.
	RBACDelay time.Duration
	// readTimeout and maxConns override the per-listener read deadline and
	// connection limit in tests (0: the defaults).
	readTimeout time.Duration
	maxConns    int

	// ArcKeyDir is where the Azure Arc host writes its challenge key files;
	// "" → a temp folder owned by the server. Clients must accept this
	// folder (AZMSI_ARC_KEY_DIR in Env).
	ArcKeyDir string
	// Workload configures HostWorkload (AKS workload identity) when Hosts
	// lists it.
	Workload WorkloadOptions
}

const (
	defaultTokenLifetime  = 24 * time.Hour
	defaultPageSize       = 100
	defaultDeleteDuration = 2 * time.Second
	shutdownTimeout       = 2 * time.Second
	// A request's headers must arrive within headerTimeout and the whole
	// request, body included, within readTimeout, so a slowly sent body
	// cannot hold a connection; each listener serves at most
	// maxConnsPerListener connections at once.
	headerTimeout       = 10 * time.Second
	readTimeout         = 30 * time.Second
	maxConnsPerListener = 1024
)

func (o Options) withDefaults() Options {
	if o.IMDSAddr == "" {
		o.IMDSAddr = "127.0.0.1:0"
	}
	if o.ARMAddr == "" {
		o.ARMAddr = "127.0.0.1:0"
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = defaultTokenLifetime
	}
	if o.PageSize <= 0 {
		o.PageSize = defaultPageSize
	}
	if o.DeleteDuration <= 0 {
		o.DeleteDuration = defaultDeleteDuration
	}
	if o.Clock == nil {
		o.Clock = wallClock{}
	}
	if o.readTimeout <= 0 {
		o.readTimeout = readTimeout
	}
	if o.maxConns <= 0 {
		o.maxConns = maxConnsPerListener
	}
	if o.Logger == nil {
		// DiscardHandler reports itself disabled, so request logging is
		// skipped instead of formatted and thrown away.
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.ExtraHostnames = append([]string(nil), o.ExtraHostnames...)
	return o
}

// Server is a running emulator. It is safe for concurrent use.
//
// It wires the services of emulator/internal together: each gets what it
// needs through its constructor (clock, configuration snapshot, token
// authority, counters, logger), never the Server itself. routes.go says
// which listener serves which path with which service.
type Server struct {
	opts   Options
	logger *slog.Logger

	cfg     atomic.Pointer[Config] // current snapshot; never mutated
	initial *Config                // what /_emulator/reset restores
	cfgMu   sync.Mutex             // serialises config swaps with arm.Reset

	stats    stats.Counters
	faults   *faults.Injector
	tokens   *tokens.Authority
	certs    *tlsca.Material
	imds     *imds.Service
	hosts    *hosts.Set // non-IMDS hosts
	arm      *arm.Service
	versions *apiversion.Checker // api-versions of every ARM route
	// signingKey is the token-signing key; without a state directory it
	// is generated in the background (Close waits for it).
	signingKey *tokens.SigningKey
	kv         *vaults // Key Vault: the vault resource and the data plane

	// workload is HostWorkload when Options.Hosts lists it (workload.go);
	// genericStore holds the federated credentials created through ARM.
	workload     *workloadHost
	genericStore *resources.Store

	roles     *roles.Store    // RBAC for ARM and the data planes (rbac.go)
	roleState *rolestate.Bolt // nil without a StateDir

	imdsURL, armURL string
	listenAddrs     []string // actual bound addresses, dialable by HTTPClient
	servers         []*http.Server
	wg              sync.WaitGroup
	stopMu          sync.Mutex
	stopCtx         func() bool // guarded by stopMu

	clientOnce sync.Once
	client     *http.Client // HTTPClient's, made once

	tmpDir    string // owned temp dir (CA file when no StateDir)
	closeOnce sync.Once
	closeErr  error
}

// Start starts the emulator and returns once every enabled listener accepts
// connections. Cancelling ctx shuts the server down like Close.
func Start(ctx context.Context, o Options) (*Server, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	var cfg *Config
	if o.Config == nil {
		cfg = DefaultConfig()
	} else {
		cfg = o.Config.Clone()
		if err := cfg.Normalize(); err != nil {
			return nil, err
		}
	}
	if o.StateDir != "" {
		if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("emulator: state dir: %w", err)
		}
	}
	s := &Server{opts: o, logger: o.Logger, initial: cfg}
	s.cfg.Store(cfg)
	if err := s.build(); err != nil {
		s.cleanup()
		return nil, err
	}
	if err := s.listen(); err != nil {
		_ = s.Close()
		return nil, err
	}
	s.faults.Log()
	// ctx may already be done: AfterFunc then runs Close at once, in its own
	// goroutine, so stopCtx is guarded and a done ctx fails Start.
	s.stopMu.Lock()
	s.stopCtx = context.AfterFunc(ctx, func() { _ = s.Close() })
	s.stopMu.Unlock()
	if ctx.Err() != nil {
		_ = s.Close()
		return nil, fmt.Errorf("emulator: start: %w", context.Cause(ctx))
	}
	return s, nil
}

// validate checks the options that need no configuration.
func (o Options) validate() error {
	if o.IMDSAddr == "-" && o.ARMAddr == "-" {
		return errors.New("emulator: both IMDSAddr and ARMAddr are \"-\"; nothing to serve")
	}
	for _, a := range []struct{ name, addr string }{{"IMDSAddr", o.IMDSAddr}, {"ARMAddr", o.ARMAddr}} {
		if a.addr == "-" {
			continue
		}
		if err := checkBindAddr(a.addr, o.AllowNonLoopback); err != nil {
			return fmt.Errorf("emulator: %s: %w", a.name, err)
		}
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return errors.New("emulator: TLSCertFile and TLSKeyFile must be set together")
	}
	if err := o.Faults.Validate(); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	if err := o.Workload.Faults.Validate(); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	_, err := hosts.Normalize(o.Hosts)
	return err
}

// build makes the services, in dependency order: faults, the token
// authority, certificates, IMDS, the other hosts, ARM.
func (s *Server) build() error {
	o := s.opts
	s.faults = faults.New(faults.Deps{Clock: o.Clock.Now, Logger: s.logger, Config: s.config}, o.Faults)
	key, err := tokens.LoadOrCreateKey(o.StateDir)
	if err != nil {
		return err
	}
	s.signingKey = key
	s.tokens = tokens.New(tokens.Deps{Key: key, Clock: o.Clock.Now, Lifetime: o.TokenLifetime, Config: s.config, Stats: &s.stats, Logger: s.logger})
	names := append(append(listenIPs(o.ARMAddr, o.Workload.Addr), o.ExtraHostnames...), vaultHostnames...)
	if s.certs, err = tlsca.New(tlsca.Options{StateDir: o.StateDir, ExtraHostnames: names, TLSCertFile: o.TLSCertFile, TLSKeyFile: o.TLSKeyFile}); err != nil {
		return err
	}
	if o.StateDir == "" {
		// Clients need the CA as a file (SSL_CERT_FILE); the server owns it.
		dir, err := os.MkdirTemp("", "azmsi-emulator-")
		if err != nil {
			return fmt.Errorf("emulator: temp dir: %w", err)
		}
		s.tmpDir = dir
	}
	if err := s.certs.WriteCAFile(s.caDir()); err != nil {
		return err
	}
	s.imds = imds.New(imds.Deps{Tokens: s.tokens, Config: s.config, Stats: &s.stats, RefreshIn: o.RefreshIn, IMDSv2: o.IMDSv2})
	s.hosts = hosts.New(hosts.Deps{Tokens: s.tokens, Config: s.config, Stats: &s.stats, Logger: s.logger, Clock: o.Clock.Now, ArcKeyDir: o.ArcKeyDir, StateDir: o.StateDir})
	// ARM is built even when its listener is off: Handler serves it, and
	// the state directory's store stays the same either way.
	var st store.Store = store.NewMem()
	if o.StateDir != "" {
		b, err := store.OpenBolt(o.StateDir)
		if err != nil {
			return err
		}
		st = b
	}
	if err := s.buildRoles(); err != nil {
		st.Close()
		return err
	}
	generic, err := s.genericResources(st)
	if err != nil {
		st.Close()
		_ = s.closeRoleState()
		return err
	}
	s.genericStore = generic.Store
	s.arm, err = arm.New(arm.Deps{
		Store: st, Config: s.config(), Tokens: s.tokens, Stats: &s.stats, Logger: s.logger, Clock: o.Clock.Now,
		PageSize: o.PageSize, DeleteDuration: o.DeleteDuration, RequestBudget: o.ARMRequestBudget,
		Routes: armRoutes(), Versions: s.versions, Generic: generic, Roles: s.roles,
		GroupRemoved: s.vaultsGroupRemoved,
	})
	if err != nil {
		_ = s.closeRoleState()
		return fmt.Errorf("emulator: %w", err)
	}
	return s.buildVaults(s.roles)
}

// genericResources builds the api-version checker and the store of
// generic ARM resources: a bucket of the state file when there is one,
// memory otherwise. The config's resourceTypes add api-versions and mark
// asynchronous types; they are read at start.
func (s *Server) genericResources(st store.Store) (arm.Generic, error) {
	cfg := s.config()
	var extra []apiversion.Namespace
	async := map[string]time.Duration{}
	for _, t := range cfg.ResourceTypes {
		if t.Async > 0 {
			async[t.Type] = time.Duration(t.Async)
		}
		if len(t.APIVersions) > 0 {
			ns, typ, _ := strings.Cut(t.Type, "/")
			extra = append(extra, apiversion.Namespace{Name: ns, Types: []apiversion.Type{{Name: typ, Versions: t.APIVersions, Tracked: t.Tracked}}})
		}
	}
	regions := resources.DefaultRegions()
	catalog, err := apiversion.Builtin(resources.DisplayNames(regions), extra...)
	if err != nil {
		return arm.Generic{}, fmt.Errorf("emulator config: resourceTypes: %w", err)
	}
	s.versions = apiversion.NewChecker(catalog, s.opts.StrictAPIVersions, s.logger)
	var p resources.Persister // nil: memory
	if b, ok := st.(*store.Bolt); ok {
		if p, err = resources.NewBoltPersister(b.DB(), "resources"); err != nil {
			return arm.Generic{}, err
		}
	}
	gs, err := resources.NewStore(p)
	if err != nil {
		return arm.Generic{}, fmt.Errorf("emulator: %w (delete the state directory's arm.db to start from the config again)", err)
	}
	gs.OnRemove(s.resourceRemoved)
	return arm.Generic{Store: gs, Async: async, Regions: regions, External: s.trackedVaults, ExternalExists: s.vaultExists}, nil
}

// listen opens the IMDS and ARM listeners and the hosts'.
func (s *Server) listen() error {
	o := s.opts
	if o.IMDSAddr != "-" {
		ln, err := net.Listen("tcp", o.IMDSAddr)
		if err != nil {
			return fmt.Errorf("emulator: IMDS listener: %w", err)
		}
		s.imdsURL = "http://" + advertised(ln.Addr())
		s.listenAddrs = append(s.listenAddrs, ln.Addr().String())
		s.serveFamily("imds", ln, s.imdsHandler(), nil)
	}
	if o.ARMAddr != "-" {
		ln, err := net.Listen("tcp", o.ARMAddr)
		if err != nil {
			return fmt.Errorf("emulator: ARM listener: %w", err)
		}
		s.armURL = "https://" + advertised(ln.Addr())
		s.listenAddrs = append(s.listenAddrs, ln.Addr().String())
		tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{s.certs.Leaf}}
		s.serveFamily("arm", ln, s.armHandler(), tc)
	}
	return s.startHosts()
}

// serveFamily serves h for a fault family on ln: the listener can be taken
// down by the down fault, the handler is wrapped with the injector and the
// access log, and tc (when set) adds TLS.
func (s *Server) serveFamily(family string, ln net.Listener, h http.Handler, tc *tls.Config) {
	gated := limitConns(s.faults.Gate(family, ln), s.opts.maxConns)
	if tc != nil {
		gated = tls.NewListener(gated, tc)
	}
	s.serve(gated, httpx.WithLogging(s.logger, family, s.refuseBrowsers(s.faults.Wrap(family, h))), tc)
}

// serve runs an http.Server on ln in a goroutine owned by s (Close waits for it).
func (s *Server) serve(ln net.Listener, h http.Handler, tc *tls.Config) {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       s.opts.readTimeout,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tc,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
	}
	s.servers = append(s.servers, hs)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("emulator listener stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
}

// Close shuts every listener down gracefully (in-flight requests get a
// short grace period), stops every goroutine and removes temporary files.
// It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stopMu.Lock()
		stop := s.stopCtx
		s.stopMu.Unlock()
		if stop != nil {
			stop()
		}
		if s.faults != nil {
			s.faults.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		var errs []error
		for _, hs := range s.servers {
			if err := hs.Shutdown(ctx); err != nil {
				_ = hs.Close()
			}
		}
		s.wg.Wait()
		if s.signingKey != nil {
			_ = s.signingKey.Wait() // may still be generated in the background
		}
		if s.workload != nil {
			s.workload.close()
		}
		if s.hosts != nil {
			s.hosts.Close()
		}
		if err := s.closeVaults(); err != nil {
			errs = append(errs, err)
		}
		if s.arm != nil {
			if err := s.arm.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := s.closeRoleState(); err != nil {
			errs = append(errs, err)
		}
		if s.client != nil {
			s.client.CloseIdleConnections()
		}
		s.cleanup()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Server) cleanup() {
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
	}
}

func (s *Server) caDir() string {
	if s.opts.StateDir != "" {
		return s.opts.StateDir
	}
	return s.tmpDir
}

// config returns the current configuration snapshot. Callers must not
// modify it; it is replaced, never changed, by reset and load.
func (s *Server) config() *Config { return s.cfg.Load() }

// Config returns a copy of the current configuration.
func (s *Server) Config() Config { return *s.config().Clone() }

// IMDSEndpoint is the base URL of the IMDS listener, e.g.
// "http://127.0.0.1:41234", or "" when IMDS is disabled.
func (s *Server) IMDSEndpoint() string { return s.imdsURL }

// ARMEndpoint is the base URL of the ARM listener, e.g.
// "https://127.0.0.1:41235", or "" when ARM is disabled.
func (s *Server) ARMEndpoint() string { return s.armURL }

// loadConfig validates cfg and makes it current: ARM reloads its state from
// it and cached tokens are dropped (identities may have changed).
func (s *Server) loadConfig(cfg *Config) error {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	if s.arm != nil {
		if err := s.arm.Reset(cfg); err != nil {
			return err
		}
	}
	s.cfg.Store(cfg)
	s.tokens.ForgetIssued()
	if s.kv != nil {
		if err := s.kv.ctl.Reset(); err != nil {
			return err
		}
	}
	if s.roles != nil {
		// After the swap: the new identities are the directory it seeds from.
		if err := s.resetRoles(cfg); err != nil {
			return err
		}
	}
	return nil
}

// reset restores the configuration the server was started with.
func (s *Server) reset() error { return s.loadConfig(s.initial) }

// advertised is the address clients are told to use for a listener: the
// listen address, except that a wildcard one (0.0.0.0, ::, as inside a
// container whose ports are published) is named by its loopback address,
// which is where a published port arrives on the host.
func advertised(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			return net.JoinHostPort("127.0.0.1", port)
		}
		return net.JoinHostPort("::1", port)
	}
	return a.String()
}

// checkBindAddr refuses addresses that are not loopback unless allowed.
func checkBindAddr(addr string, allowNonLoopback bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %v", addr, err)
	}
	if allowNonLoopback {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address; the emulator hands out tokens to anyone who can reach it, so it binds to 127.0.0.1 or ::1 unless Options.AllowNonLoopback is set", addr)
	}
	return nil
}

// listenIPs are the literal IP addresses of HTTPS listen addresses other
// than 127.0.0.1, ::1 and wildcards (advertised as 127.0.0.1): a listener
// on 127.0.0.2:443 is advertised as https://127.0.0.2:443, so the
// certificate must name that address too.
func listenIPs(addrs ...string) []string {
	var out []string
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.IsUnspecified() || ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback) {
			continue
		}
		out = append(out, ip.String())
	}
	return out
}
