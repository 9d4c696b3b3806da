package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/azmsi/azmsi/emulator"
)

// Default listen addresses of `azmsi emulator`: fixed, so the printed
// environment is the same on every start.
const (
	DefaultIMDSAddr = "127.0.0.1:8079"
	DefaultARMAddr  = "127.0.0.1:8443"
)

// EmulatorOptions are the parsed flags of `azmsi emulator`.
type EmulatorOptions struct {
	IMDSv2            bool
	IMDSAddr          string
	ARMAddr           string
	ConfigFile        string
	EnvFile           string
	StateDir          string
	TLSCert, TLSKey   string
	TLSHostnames      []string
	PageSize          int
	TokenLifetime     time.Duration
	DeleteDuration    time.Duration
	RBACDelay         time.Duration
	RequestBudget     int
	StrictAPIVersions bool
	AllowNonLoopback  bool
	Quiet             bool
	Faults            string
	Hosts             []string // --host: managed-identity hosts to emulate
	ArcKeyDir         string
	WorkloadFaults    string // --workload-faults
	WorkloadAddr      string // --workload-addr
}

// NewCmdEmulator builds `azmsi emulator`.
func NewCmdEmulator(f *Factory, runF func(*EmulatorOptions) error) *cobra.Command {
	opts := &EmulatorOptions{}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run the emulator (IMDS and the other identity hosts, ARM, Key Vault) on loopback",
		Long: `Serve an emulated Instance Metadata Service (plain HTTP, like IMDS) and an
emulated Azure Resource Manager (HTTPS, with a CA of its own) until SIGINT or
SIGTERM.

Once both listen, it prints the environment a client needs as export lines
(and writes them as NAME=value lines to --env-file, which must be new or an
env file an earlier emulator wrote; it is removed on a clean stop):
  AZURE_POD_IDENTITY_AUTHORITY_HOST  the IMDS base URL (read by azmsi, azidentity, MSAL)
  AZMSI_ARM_ENDPOINT                 the ARM base URL (read by azmsi)
  AZMSI_KEYVAULT_DNS_SUFFIX          where vault names resolve (read by azmsi secret)
  SSL_CERT_FILE, REQUESTS_CA_BUNDLE  the emulator's CA (Go, OpenSSL, Python requests)

Port 0 picks a free port. The emulator mints tokens for anyone who asks, so
it refuses non-loopback addresses unless --allow-non-loopback.

--host also serves other managed-identity hosts (App Service, Cloud Shell,
Azure Arc, Service Fabric, Azure ML, Container Apps), each on its own loopback port; the
environment then carries the variables that make a client detect the first
one listed (IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT, MSI_SECRET,
IMDS_ENDPOINT, IDENTITY_SERVER_THUMBPRINT, AZMSI_ARC_KEY_DIR, …), including
the host's secret: keep the env file private. See docs/hosts.md.
--host workload emulates AKS workload identity: an OIDC issuer, a projected
service-account token file (mode 0600, rotated at 80 % of its hour) and an
Entra ID token endpoint on HTTPS; the environment carries
AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID and
AZURE_AUTHORITY_HOST. --workload-faults makes it fail: expiredfile,
rotationstopped, wrongaudience, nocredential, a status 429 or 5xx (=N for
the next N requests only), retryafter=DURATION. See docs/workload-identity.md.

--faults injects failures, reproducibly from seed=N, per endpoint family
(imds, appservice, appservice2017, cloudshell, arc, servicefabric, azureml,
workload, containerapps, arm): comma-separated FAMILY:KIND=VALUE items where KIND is
  400-599     answer with this status at this rate (0..1); 429/503 carry Retry-After
  reset       reset the connection (TCP RST) at this rate
  truncate    cut the body off half way at this rate
  html        answer 502 with an HTML page at this rate
  wrongid     hand out a token for another identity at this rate (identity hosts)
  latency     delay every request this long (e.g. 50ms)
  410window   answer 410 Gone for this long after start (e.g. 70s)
  down        refuse connections for this long after start (e.g. 5s)
  retryafter  Retry-After of injected 429/503 (default 1s)
Change them at run time with PUT/DELETE /_emulator/faults; GET shows counts.
See docs/reliability.md.`,
		Example: `  azmsi emulator --env-file emulator.env
  set -a; . ./emulator.env; set +a; azmsi whoami
  azmsi emulator --state ~/.azmsi-emulator --config world.json
  azmsi emulator --host appservice --env-file app.env
  azmsi emulator --host workload --workload-faults 429=2 --env-file pod.env
  azmsi emulator --faults imds:500=0.3,imds:429=0.1,arm:503=0.2,arm:latency=50ms,imds:down=5s,seed=42`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.PageSize < 0 {
				return flagErrorf("--page-size must be positive")
			}
			if opts.TokenLifetime < 0 || opts.DeleteDuration < 0 || opts.RBACDelay < 0 {
				return flagErrorf("durations must be positive")
			}
			if (opts.TLSCert == "") != (opts.TLSKey == "") {
				return flagErrorf("--tls-cert and --tls-key go together")
			}
			if err := validateHosts(opts.Hosts, opts.AllowNonLoopback); err != nil {
				return err
			}
			if !opts.AllowNonLoopback {
				for _, a := range []struct{ flag, addr string }{{"--imds-addr", opts.IMDSAddr}, {"--arm-addr", opts.ARMAddr}} {
					if err := checkLoopbackAddr(a.flag, a.addr); err != nil {
						return err
					}
				}
				if opts.WorkloadAddr != "" {
					if err := checkLoopbackAddr("--workload-addr", opts.WorkloadAddr); err != nil {
						return err
					}
				}
			}
			if _, err := emulator.ParseFaults(opts.Faults); err != nil {
				return flagErrorf("--faults: %v", err)
			}
			if _, err := emulator.ParseWorkloadFaults(opts.WorkloadFaults); err != nil {
				return flagErrorf("--workload-faults: %v", err)
			}
			if opts.EnvFile != "" {
				// Before anything listens; checked again when writing.
				if err := checkEnvFileOurs(opts.EnvFile); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return emulatorRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.IMDSAddr, "imds-addr", DefaultIMDSAddr, "IMDS listen address (\"-\" to disable)")
	fl.StringVar(&opts.ARMAddr, "arm-addr", DefaultARMAddr, "ARM listen address (\"-\" to disable)")
	fl.StringVar(&opts.ConfigFile, "config", "", "JSON file with the emulated world (default: the embedded one)")
	fl.StringVar(&opts.EnvFile, "env-file", "", "write the client environment here (NAME=value lines) once ready")
	fl.StringVar(&opts.StateDir, "state", "", "keep the CA, signing key and resource groups in this directory (default: memory)")
	fl.StringVar(&opts.TLSCert, "tls-cert", "", "serve ARM with this certificate (PEM) instead of one from the emulator's CA")
	fl.StringVar(&opts.TLSKey, "tls-key", "", "private key (PEM) for --tls-cert")
	fl.StringArrayVar(&opts.TLSHostnames, "tls-hostname", nil, "extra DNS name in the ARM certificate (repeatable)")
	fl.IntVar(&opts.PageSize, "page-size", 0, "ARM list page size (default 100)")
	fl.DurationVar(&opts.TokenLifetime, "token-lifetime", 0, "lifetime of minted tokens (default 24h)")
	fl.DurationVar(&opts.DeleteDuration, "delete-duration", 0, "how long a deleted group stays Deleting (default 2s)")
	fl.DurationVar(&opts.RBACDelay, "rbac-delay", 0, "how long a role-assignment change takes to apply, as Azure's propagation (default: at once)")
	fl.IntVar(&opts.RequestBudget, "request-budget", 0, "ARM requests per identity before 429s (default unlimited)")
	fl.BoolVar(&opts.StrictAPIVersions, "strict-api-versions", false, "refuse api-versions the emulator's tables do not list (default: a newer one is served as the newest known)")
	fl.BoolVar(&opts.AllowNonLoopback, "allow-non-loopback", false, "allow listening on non-loopback addresses (anyone who can connect gets tokens)")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "do not log requests on stderr")
	fl.BoolVar(&opts.IMDSv2, "imds-v2", false, "serve IMDSv2's platform-metadata document (/metadata/identity/getplatformmetadata); default 404, as a VM with IMDSv1 only")
	fl.StringSliceVar(&opts.Hosts, "host", nil, "managed-identity host to emulate besides IMDS: "+strings.Join(emulator.HostNames, "|")+" (repeatable or comma list; NAME=127.0.0.1:PORT fixes its address; the env points at the first non-IMDS one)")
	fl.StringVar(&opts.ArcKeyDir, "arc-key-dir", "", "folder for Azure Arc challenge key files (default: a temp folder; exported as AZMSI_ARC_KEY_DIR)")
	fl.StringVar(&opts.Faults, "faults", "", "inject faults, e.g. imds:500=0.3,arm:503=0.2,imds:down=5s,seed=42 (see above)")
	fl.StringVar(&opts.WorkloadAddr, "workload-addr", "", "listen address of the workload host's Entra endpoint (default 127.0.0.1 on a free port)")
	fl.StringVar(&opts.WorkloadFaults, "workload-faults", "", "workload-identity faults with --host workload, e.g. expiredfile or 429=2,retryafter=2s (see above)")
	return cmd
}

func emulatorRun(ctx context.Context, f *Factory, opts *EmulatorOptions) error {
	var cfg *emulator.Config
	if opts.ConfigFile != "" {
		c, err := emulator.LoadConfig(opts.ConfigFile)
		if err != nil {
			return withHint(err, "see README.md, section \"The emulator\", for the config shape")
		}
		cfg = c
	}
	faults, err := emulator.ParseFaults(opts.Faults)
	if err != nil {
		return flagErrorf("--faults: %v", err)
	}
	wlFaults, err := emulator.ParseWorkloadFaults(opts.WorkloadFaults)
	if err != nil {
		return flagErrorf("--workload-faults: %v", err)
	}
	var logger *slog.Logger
	if !opts.Quiet {
		logger = slog.New(slog.NewTextHandler(f.IO.ErrOut, nil))
	}
	srv, err := emulator.Start(ctx, emulator.Options{
		Config:            cfg,
		IMDSAddr:          opts.IMDSAddr,
		IMDSv2:            opts.IMDSv2,
		ARMAddr:           opts.ARMAddr,
		AllowNonLoopback:  opts.AllowNonLoopback,
		StateDir:          opts.StateDir,
		TokenLifetime:     opts.TokenLifetime,
		PageSize:          opts.PageSize,
		DeleteDuration:    opts.DeleteDuration,
		RBACDelay:         opts.RBACDelay,
		ARMRequestBudget:  opts.RequestBudget,
		StrictAPIVersions: opts.StrictAPIVersions,
		ExtraHostnames:    opts.TLSHostnames,
		TLSCertFile:       opts.TLSCert,
		TLSKeyFile:        opts.TLSKey,
		Logger:            logger,
		Hosts:             opts.Hosts,
		ArcKeyDir:         opts.ArcKeyDir,
		Faults:            faults,
		Workload:          emulator.WorkloadOptions{Faults: wlFaults, Addr: opts.WorkloadAddr},
	})
	if err != nil {
		return err
	}
	defer srv.Close()

	env := srv.Env()
	var written []byte // the env file as written, to remove only that
	if opts.EnvFile != "" {
		if written, err = writeEnvFile(opts.EnvFile, env); err != nil {
			return err
		}
	}
	for _, e := range env {
		fmt.Fprintf(f.IO.Out, "export %s=%s\n", e.Name, shellQuote(e.Value))
	}
	fmt.Fprintf(f.IO.ErrOut, "azmsi emulator: IMDS %s, ARM %s; stop with Ctrl-C\n", orNone(srv.IMDSEndpoint()), orNone(srv.ARMEndpoint()))
	for _, h := range srv.Hosts() {
		if h.Name != emulator.HostIMDS {
			fmt.Fprintf(f.IO.ErrOut, "azmsi emulator: host %s at %s\n", h.Name, h.Endpoint)
		}
	}

	<-ctx.Done()
	fmt.Fprintln(f.IO.ErrOut, "azmsi emulator: stopping")
	if opts.EnvFile != "" {
		// A stale env file would point clients at a dead port; a file
		// someone else put there since is theirs.
		removeEnvFile(opts.EnvFile, written)
	}
	return srv.Close()
}

func orNone(s string) string {
	if s == "" {
		return "(off)"
	}
	return s
}

// envFileMark opens every env file the emulator writes: it is how a later
// run tells its own (stale) file from a file it must not overwrite, such
// as a project's .env. `. FILE`, docker --env-file and systemd
// EnvironmentFile all read it as a comment.
const envFileMark = "# written by azmsi emulator; removed when it stops\n"

// writeEnvFile writes NAME=value lines atomically (temp file + rename), so
// a reader polling for the file never sees half of it, and returns what it
// wrote. It refuses to replace a file the emulator did not write.
func writeEnvFile(path string, env []emulator.EnvVar) ([]byte, error) {
	var b strings.Builder
	b.WriteString(envFileMark)
	for _, e := range env {
		fmt.Fprintf(&b, "%s=%s\n", e.Name, shellQuote(e.Value))
	}
	if err := checkEnvFileOurs(path); err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".azmsi-env-*")
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.WriteString(tmp, b.String()); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	return []byte(b.String()), nil
}

// checkEnvFileOurs accepts a missing path or an env file an earlier
// emulator wrote (left behind by a kill), and refuses anything else.
func checkEnvFileOurs(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--env-file: %w", err)
	}
	refuse := func(what string) error {
		return withHint(flagErrorf("--env-file %s %s; the emulator does not overwrite it (and would delete it when it stops)", path, what),
			"choose another path, e.g. --env-file emulator.env, or remove the file yourself")
	}
	if !fi.Mode().IsRegular() {
		return refuse("exists and is not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--env-file: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(envFileMark))
	if _, err := io.ReadFull(f, head); err != nil || string(head) != envFileMark {
		return refuse("exists and was not written by azmsi emulator")
	}
	return nil
}

// removeEnvFile removes path if it still holds exactly what this run
// wrote.
func removeEnvFile(path string, written []byte) {
	if b, err := os.ReadFile(path); err == nil && bytes.Equal(b, written) {
		_ = os.Remove(path)
	}
}

// shellQuote leaves plain values (URLs, paths) bare and single-quotes the
// rest.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/:._-+=@,%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkLoopbackAddr refuses a listen address that is not loopback ("-",
// off, is fine): the emulator mints tokens for whoever connects.
func checkLoopbackAddr(flag, addr string) error {
	if addr == "-" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return flagErrorf("%s %q: want HOST:PORT such as 127.0.0.1:0", flag, addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return withHint(flagErrorf("%s %q is not a loopback address; the emulator hands out tokens to anyone who can reach it", flag, addr),
			"use 127.0.0.1:PORT, or pass --allow-non-loopback if you really mean it")
	}
	return nil
}

// validateHosts checks --host values (NAME or NAME=host:port) against the
// emulator's host names and, unless allowed, loopback addresses.
func validateHosts(hosts []string, allowNonLoopback bool) error {
	for _, h := range hosts {
		name, addr, hasAddr := strings.Cut(h, "=")
		ok := false
		for _, k := range emulator.HostNames {
			ok = ok || strings.EqualFold(strings.TrimSpace(name), k)
		}
		if !ok {
			return flagErrorf("--host %q is not a host the emulator knows; use one of %s (optionally NAME=127.0.0.1:PORT)", h, strings.Join(emulator.HostNames, ", "))
		}
		if hasAddr && !allowNonLoopback {
			if err := checkLoopbackAddr("--host "+strings.TrimSpace(name), strings.TrimSpace(addr)); err != nil {
				return err
			}
		}
	}
	return nil
}
