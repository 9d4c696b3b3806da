package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/broker"
	"github.com/azmsi/azmsi/identity"
)

// BrokerOptions are the parsed flags of `azmsi broker`.
type BrokerOptions struct {
	Listen              string
	Socket              string
	SocketMode          fs.FileMode
	AllowIdentities     []string
	UpstreamRate        int
	UpstreamConcurrency int
	Endpoint            string // upstream identity endpoint
	Quiet               bool
}

// NewCmdBroker builds `azmsi broker` and `azmsi broker stats`.
func NewCmdBroker(f *Factory, runF func(*BrokerOptions) error) *cobra.Command {
	opts := &BrokerOptions{}
	var mode string
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Serve one shared token cache to every process on this host (IMDS-compatible)",
		Long: `Serve the IMDS token protocol on loopback or a Unix socket, backed by this
host's managed identity, so that every process and container on the host
shares one cache instead of each asking IMDS (which throttles at 20
requests/s and 5 concurrent requests per VM).

Clients point at the broker as they would at the emulator:
  AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:PORT   (azmsi, Azure SDKs)
  AZURE_POD_IDENTITY_AUTHORITY_HOST=unix:///run/azmsi.sock  (azmsi only)

Tokens are refreshed ahead of time, upstream calls stay within
--upstream-rate and --upstream-concurrency however many clients ask, and
still-valid tokens are served while the upstream is down.

Anyone who can reach the broker gets its tokens, as anyone on a VM can ask
IMDS: it listens only on loopback, or on a Unix socket whose file mode
(--socket-mode, default 0660) is the access control. --allow-identity
limits which identities it hands out. See docs/broker.md.`,
		Example: `  azmsi broker --listen 127.0.0.1:8078
  azmsi broker --socket /run/azmsi/azmsi.sock --socket-mode 0660 --allow-identity system
  azmsi broker stats --listen 127.0.0.1:8078`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkBrokerAddr(opts.Listen, opts.Socket); err != nil {
				return err
			}
			m, err := parseSocketMode(mode)
			if err != nil {
				return err
			}
			opts.SocketMode = m
			if opts.UpstreamRate <= 0 || opts.UpstreamConcurrency <= 0 {
				return flagErrorf("--upstream-rate and --upstream-concurrency must be positive")
			}
			if runF != nil {
				return runF(opts)
			}
			return brokerRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", "", "loopback address to serve on, e.g. 127.0.0.1:8078")
	fl.StringVar(&opts.Socket, "socket", "", "Unix socket to serve on instead, e.g. /run/azmsi/azmsi.sock")
	fl.StringVar(&mode, "socket-mode", "0660", "file mode of the Unix socket (octal): who may connect")
	fl.StringArrayVar(&opts.AllowIdentities, "allow-identity", nil, `identity the broker may hand out: "system", a client or object ID, or a resource ID (repeatable; default: any)`)
	fl.IntVar(&opts.UpstreamRate, "upstream-rate", broker.DefaultUpstreamRate, "most upstream token requests started per second")
	fl.IntVar(&opts.UpstreamConcurrency, "upstream-concurrency", broker.DefaultUpstreamConcurrency, "most upstream token requests in flight")
	fl.StringVar(&opts.Endpoint, "endpoint", "", "upstream identity endpoint base URL (default: $AZURE_POD_IDENTITY_AUTHORITY_HOST, else the VM's IMDS)")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "do not log requests on stderr")
	cmd.AddCommand(NewCmdBrokerStats(f, nil))
	return cmd
}

// checkBrokerAddr checks --listen and --socket of `broker` and `broker
// stats`: exactly one, and --listen on loopback (a non-loopback broker
// would hand out tokens to the network; stats asked of one would send the
// request off the host).
func checkBrokerAddr(listen, socket string) error {
	switch {
	case listen != "" && socket != "":
		return flagErrorf("--listen and --socket are mutually exclusive")
	case listen == "" && socket == "":
		return withHint(flagErrorf("the broker needs --listen 127.0.0.1:PORT or --socket PATH"), "for example: azmsi broker --listen 127.0.0.1:8078")
	case listen != "":
		if _, err := broker.LoopbackAddr(listen); err != nil {
			return withHint(flagErrorf("--listen: %v", err), "use 127.0.0.1:PORT, [::1]:PORT or --socket PATH")
		}
	}
	return nil
}

func parseSocketMode(s string) (fs.FileMode, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v == 0 || v > 0o777 {
		return 0, flagErrorf("--socket-mode %q: want an octal permission such as 0660", s)
	}
	return fs.FileMode(v), nil
}

func brokerRun(ctx context.Context, f *Factory, opts *BrokerOptions) error {
	// Handlers log from their own goroutines: one lock for all of stderr.
	errOut := &syncWriter{w: f.IO.ErrOut}
	var logger, debug *slog.Logger
	if !opts.Quiet {
		logger = slog.New(slog.NewTextHandler(errOut, nil))
	}
	if f.debug {
		debug = slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	b, err := broker.New(broker.Options{
		Upstream: identity.Options{
			Endpoint:   opts.Endpoint,
			HTTPClient: f.HTTPClient,
			Logger:     debug,
			Getenv:     f.getenv,
		},
		AllowIdentities:     opts.AllowIdentities,
		UpstreamRate:        opts.UpstreamRate,
		UpstreamConcurrency: opts.UpstreamConcurrency,
		Logger:              logger,
	})
	if err != nil {
		return asFlagError(err)
	}
	defer b.Close()

	var l net.Listener
	var url string
	if opts.Socket != "" {
		l, err = broker.ListenUnix(opts.Socket, opts.SocketMode)
		url = "unix://" + opts.Socket
	} else {
		l, err = broker.ListenTCP(opts.Listen)
		if err == nil {
			url = "http://" + l.Addr().String()
		}
	}
	if err != nil {
		return err
	}
	if strings.EqualFold(strings.TrimRight(b.Upstream(), "/"), url) {
		l.Close()
		return withHint(flagErrorf("the upstream endpoint %s is the broker itself", b.Upstream()), "set --endpoint to the real identity endpoint, or unset AZURE_POD_IDENTITY_AUTHORITY_HOST for the broker")
	}
	served := make(chan error, 1)
	go func() { served <- b.Serve(l) }()
	fmt.Fprintf(f.IO.Out, "export AZURE_POD_IDENTITY_AUTHORITY_HOST=%s\n", shellQuote(url))
	fmt.Fprintf(errOut, "azmsi broker: serving %s in front of %s; stop with Ctrl-C\n", url, b.Upstream())

	select {
	case err := <-served:
		return fmt.Errorf("azmsi broker: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(errOut, "azmsi broker: stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.Shutdown(sctx)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// syncWriter serializes writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// BrokerStatsOptions are the parsed flags of `azmsi broker stats`.
type BrokerStatsOptions struct {
	Listen string
	Socket string
	Output OutputOptions
}

// NewCmdBrokerStats builds `azmsi broker stats`.
func NewCmdBrokerStats(f *Factory, runF func(*BrokerStatsOptions) error) *cobra.Command {
	opts := &BrokerStatsOptions{}
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show a running broker's counters and token timing (never tokens)",
		Long: `Read GET /_broker/stats from a running broker: clients served, cache hits,
upstream requests, throttled waits, and per identity and resource the token's
age and time to expiry. Tokens are never shown.`,
		Example: `  azmsi broker stats --listen 127.0.0.1:8078
  azmsi broker stats --socket /run/azmsi/azmsi.sock -o table`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkBrokerAddr(opts.Listen, opts.Socket); err != nil {
				return err
			}
			if err := opts.Output.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return brokerStatsRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", "", "address of the broker, e.g. 127.0.0.1:8078")
	fl.StringVar(&opts.Socket, "socket", "", "Unix socket of the broker")
	addOutputFlags(fl, &opts.Output, "json", "json", "table")
	return cmd
}

func brokerStatsRun(ctx context.Context, f *Factory, opts *BrokerStatsOptions) error {
	hc := f.HTTPClient
	var url string
	if opts.Socket != "" {
		path := opts.Socket
		hc, url = &http.Client{Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", path)
			},
		}}, "http://broker"+broker.StatsPath
	} else {
		addr, err := broker.LoopbackAddr(opts.Listen)
		if err != nil {
			return asFlagError(err)
		}
		url = "http://" + addr + broker.StatsPath
	}
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{Proxy: nil}}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Metadata", "true")
	resp, err := hc.Do(req)
	if err != nil {
		return withHint(fmt.Errorf("cannot reach the broker: %v", err), "is `azmsi broker` running with the same --listen/--socket?")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	var s broker.Stats
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &s) != nil {
		return fmt.Errorf("%s did not answer broker stats (HTTP %d): is an azmsi broker listening there?", url, resp.StatusCode)
	}
	if opts.Output.Format == "table" && opts.Output.Query == "" {
		fmt.Fprintf(f.IO.Out, "served %d (cache hits %d), upstream %d (failures %d), throttled waits %d (%.1fs), refreshes %d (failures %d)\n",
			s.ClientsServed, s.CacheHits, s.UpstreamRequests, s.UpstreamFailures, s.ThrottledWaits, s.ThrottledWaitSeconds, s.Refreshes, s.RefreshFailures)
		return opts.Output.print(f.IO.Out, s.Tokens, []column{
			field("Identity", "identity"), field("Resource", "resource"), field("Served", "served"), field("CacheHits", "cacheHits"),
			{Header: "Age", Get: secondsCol("ageSeconds")}, {Header: "ExpiresIn", Get: secondsCol("expiresInSeconds")},
		})
	}
	return opts.Output.print(f.IO.Out, s, nil)
}

// secondsCol shows a number of seconds as a rounded duration.
func secondsCol(key string) func(map[string]any) string {
	return func(m map[string]any) string {
		v, err := strconv.ParseFloat(scalarText(m[key]), 64)
		if err != nil {
			return ""
		}
		return (time.Duration(v) * time.Second).String()
	}
}
