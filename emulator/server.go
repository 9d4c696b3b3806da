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
	// PageSize is the ARM list page size; default 100.
	PageSize int
	// DeleteDuration is how long a deleted resource group stays "Deleting";
	// default 2s.
	DeleteDuration time.Duration
	// ARMRequestBudget limits ARM requests per identity (0 = unlimited).
	ARMRequestBudget int
	// ExtraHostnames are added to the ARM certificate besides 127.0.0.1,
	// ::1 and localhost.
	ExtraHostnames []string
	// TLSCertFile and TLSKeyFile serve a user's certificate for ARM instead
	// of one issued by the emulator's CA.
	TLSCertFile, TLSKeyFile string
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Logger receives one line per request; nil discards. Tokens,
	// Authorization headers and bodies are never logged.
	Logger *slog.Logger
	// Faults injects failures per endpoint family (ParseFaults,
	// docs/reliability.md); nil injects none. Changeable at run time with
	// SetFaults or /_emulator/faults.
	Faults *Faults
	// Hosts are the managed-identity hosts to emulate besides IMDS (names in
	// HostNames; "imds" is accepted and implied). Each gets its own loopback
	// listener on a random port (host_common.go); Env points clients at the
	// first non-IMDS host listed, HostEnv at any.
	Hosts []string
	// ArcKeyDir is where the Azure Arc host writes its challenge key files;
	// "" → a temp folder owned by the server. Clients must accept this
	// folder (AZMSI_ARC_KEY_DIR in Env).
	ArcKeyDir string
}

const (
	defaultTokenLifetime  = 24 * time.Hour
	defaultPageSize       = 100
	defaultDeleteDuration = 2 * time.Second
	shutdownTimeout       = 2 * time.Second
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
		o.Clock = time.Now
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
type Server struct {
	opts   Options
	logger *slog.Logger

	cfg     atomic.Pointer[Config] // current snapshot; never mutated
	initial *Config                // what /_emulator/reset restores
	cfgMu   sync.Mutex             // serialises config swaps with arm.reset

	stats  stats
	faults *faultInjector
	hosts  *hostSet // non-IMDS hosts (host_common.go)
	keys   *signingKey
	certs  *tlsMaterial
	tokens *tokenCache
	arm    *armService

	verified verifiedCache // tokens whose signature was checked (verify_cache.go)

	imdsURL, armURL string
	listenAddrs     []string // actual bound addresses, dialable by HTTPClient
	servers         []*http.Server
	wg              sync.WaitGroup
	stopCtx         func() bool

	tmpDir    string // owned temp dir (CA file when no StateDir)
	closeOnce sync.Once
	closeErr  error
}

// Start starts the emulator and returns once every enabled listener accepts
// connections. Cancelling ctx shuts the server down like Close.
func Start(ctx context.Context, o Options) (*Server, error) {
	o = o.withDefaults()
	if o.IMDSAddr == "-" && o.ARMAddr == "-" {
		return nil, errors.New("emulator: both IMDSAddr and ARMAddr are \"-\"; nothing to serve")
	}
	for _, a := range []struct{ name, addr string }{{"IMDSAddr", o.IMDSAddr}, {"ARMAddr", o.ARMAddr}} {
		if a.addr == "-" {
			continue
		}
		if err := checkBindAddr(a.addr, o.AllowNonLoopback); err != nil {
			return nil, fmt.Errorf("emulator: %s: %w", a.name, err)
		}
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return nil, errors.New("emulator: TLSCertFile and TLSKeyFile must be set together")
	}
	if err := o.Faults.Validate(); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	var cfg *Config
	if o.Config == nil {
		cfg = DefaultConfig()
	} else {
		cfg = o.Config.clone()
		if err := cfg.normalize(); err != nil {
			return nil, err
		}
	}
	if o.StateDir != "" {
		if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("emulator: state dir: %w", err)
		}
	}

	s := &Server{opts: o, logger: o.Logger, initial: cfg, tokens: newTokenCache()}
	s.cfg.Store(cfg)
	s.stats.init()
	s.faults = newFaultInjector(s, o.Faults)

	var err error
	if s.keys, err = loadOrCreateSigningKey(o.StateDir); err != nil {
		return nil, err
	}
	if s.certs, err = newTLSMaterial(o); err != nil {
		return nil, err
	}
	if o.StateDir == "" {
		// Clients need the CA as a file (SSL_CERT_FILE); the server owns it.
		dir, err := os.MkdirTemp("", "azmsi-emulator-")
		if err != nil {
			return nil, fmt.Errorf("emulator: temp dir: %w", err)
		}
		s.tmpDir = dir
	}
	if err := s.certs.writeCAFile(s.caDir()); err != nil {
		s.cleanup()
		return nil, err
	}

	var imdsLn, armLn net.Listener
	if o.IMDSAddr != "-" {
		if imdsLn, err = net.Listen("tcp", o.IMDSAddr); err != nil {
			s.cleanup()
			return nil, fmt.Errorf("emulator: IMDS listener: %w", err)
		}
		s.imdsURL = "http://" + imdsLn.Addr().String()
		s.listenAddrs = append(s.listenAddrs, imdsLn.Addr().String())
	}
	if o.ARMAddr != "-" {
		if armLn, err = net.Listen("tcp", o.ARMAddr); err != nil {
			closeListener(imdsLn)
			s.cleanup()
			return nil, fmt.Errorf("emulator: ARM listener: %w", err)
		}
		s.armURL = "https://" + armLn.Addr().String()
		s.listenAddrs = append(s.listenAddrs, armLn.Addr().String())
	}

	// ARM is built after the listeners so that it can learn its own URL.
	if s.arm, err = newARM(s); err != nil {
		closeListener(imdsLn)
		closeListener(armLn)
		s.cleanup()
		return nil, fmt.Errorf("emulator: %w", err)
	}

	if imdsLn != nil {
		s.serve(s.faults.gate("imds", imdsLn), s.withFaults("imds", s.imdsHandler()), nil)
	}
	if armLn != nil {
		// Not an http.ServeMux: it answers "//x" paths with a redirect, and a
		// redirect from these endpoints is never legitimate.
		control := s.controlHandler()
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p := cleanPath(r.URL.Path); p == "/_emulator" || strings.HasPrefix(p, "/_emulator/") {
				control.ServeHTTP(w, r)
				return
			}
			s.arm.ServeHTTP(w, r)
		})
		tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{s.certs.leaf}}
		s.serve(tls.NewListener(s.faults.gate("arm", armLn), tc), s.withLogging("arm", s.withFaults("arm", h)), tc)
	}
	if err := s.startHosts(); err != nil {
		_ = s.Close()
		return nil, err
	}
	s.faults.log(s.logger)
	s.stopCtx = context.AfterFunc(ctx, func() { _ = s.Close() })
	return s, nil
}

// serve runs an http.Server on ln in a goroutine owned by s (Close waits for it).
func (s *Server) serve(ln net.Listener, h http.Handler, tc *tls.Config) {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
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

// Close shuts both listeners down gracefully (in-flight requests get a
// short grace period), stops every goroutine and removes temporary files.
// It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.stopCtx != nil {
			s.stopCtx()
		}
		if s.faults != nil {
			s.faults.close()
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
		s.closeHosts()
		if s.arm != nil {
			if err := s.arm.Close(); err != nil {
				errs = append(errs, err)
			}
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

func closeListener(ln net.Listener) {
	if ln != nil {
		_ = ln.Close()
	}
}

func (s *Server) caDir() string {
	if s.opts.StateDir != "" {
		return s.opts.StateDir
	}
	return s.tmpDir
}

// now is the emulator's clock (Options.Clock).
func (s *Server) now() time.Time { return s.opts.Clock() }

// config returns the current configuration snapshot. Callers must not
// modify it; it is replaced, never changed, by reset and load.
func (s *Server) config() *Config { return s.cfg.Load() }

// Config returns a copy of the current configuration.
func (s *Server) Config() Config { return *s.config().clone() }

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
		if err := s.arm.reset(cfg); err != nil {
			return err
		}
	}
	s.cfg.Store(cfg)
	s.tokens.clear()
	return nil
}

// reset restores the configuration the server was started with.
func (s *Server) reset() error { return s.loadConfig(s.initial) }

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
