package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

// bins holds the binaries built once for the package.
var bins struct {
	dir       string
	azmsi     string
	listgroup string
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "azmsi-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins.dir = dir
	bins.azmsi = filepath.Join(dir, "azmsi")
	bins.listgroup = filepath.Join(dir, "listgroups")
	for pkg, out := range map[string]string{"../cmd/azmsi": bins.azmsi, "../examples/listgroups": bins.listgroup} {
		cmd := exec.Command(goTool(), "build", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", pkg, err, b)
			return 1
		}
	}
	return m.Run()
}

// goTool is the go command that runs the tests: $GOROOT/bin/go when go test
// exported GOROOT, else the first go on PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

// emulatorProc is one `azmsi emulator` child process.
type emulatorProc struct {
	cmd     *exec.Cmd
	envFile string
	env     map[string]string
	stderr  *testenv.SyncBuffer
	done    chan error
}

// startEmulator starts `azmsi emulator` with args on free loopback ports,
// waits for its env file, and checks the file points at loopback only.
func startEmulator(t *testing.T, dir string, args ...string) *emulatorProc {
	t.Helper()
	envFile := filepath.Join(dir, "emulator.env")
	_ = os.Remove(envFile) // a stale file from a killed run must not be read
	all := append([]string{"emulator", "--imds-addr", "127.0.0.1:0", "--arm-addr", "127.0.0.1:0", "--env-file", envFile, "--delete-duration", "100ms"}, args...)
	cmd := exec.Command(bins.azmsi, all...)
	cmd.Env = baseEnv()
	p := &emulatorProc{cmd: cmd, envFile: envFile, stderr: &testenv.SyncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	cmd.Stdout = &testenv.SyncBuffer{}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { p.kill() })

	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(envFile); err == nil {
			p.env = parseEnvFile(t, b)
			break
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("the emulator exited before writing its env file: %v\n%s", err, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no env file after 30s; emulator stderr:\n%s", p.stderr)
		}
	}
	checkLoopbackEnv(t, p.env)
	return p
}

// checkLoopbackEnv fails the test unless the environment's endpoint
// overrides are present and loopback and it names the emulator's CA.
func checkLoopbackEnv(t *testing.T, env map[string]string) {
	t.Helper()
	checkClientEnv(t, env)
	if env["SSL_CERT_FILE"] == "" {
		t.Fatalf("the env file lacks SSL_CERT_FILE")
	}
}

// requiredOverrides must be set for any client run: without them a client
// would call the real IMDS or the public ARM endpoint.
var requiredOverrides = []string{"AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZMSI_ARM_ENDPOINT"}

// otherOverrides point a client at other endpoints (host detection, the
// broker); when set they must be loopback too.
var otherOverrides = []string{"IDENTITY_ENDPOINT", "MSI_ENDPOINT", "IMDS_ENDPOINT", "AZURE_AUTHORITY_HOST", "AZMSI_BROKER"}

// checkClientEnv fails the test unless clientEnvError accepts env.
func checkClientEnv(t *testing.T, env map[string]string) {
	t.Helper()
	if err := clientEnvError(env); err != nil {
		t.Fatal(err)
	}
}

// clientEnvError refuses an environment unless every endpoint a client
// could use is loopback (or a Unix socket) and the required ones are set.
func clientEnvError(env map[string]string) error {
	if env == nil {
		return errors.New("refusing to run a client without an environment: it could reach the real endpoints (use offlineEnv)")
	}
	for _, k := range requiredOverrides {
		if env[k] == "" {
			return fmt.Errorf("refusing to run a client without %s: it could reach the real endpoint", k)
		}
	}
	// A pod's token file makes the client exchange it at Entra ID: the
	// public one unless AZURE_AUTHORITY_HOST says otherwise.
	if env["AZURE_FEDERATED_TOKEN_FILE"] != "" && env["AZURE_AUTHORITY_HOST"] == "" {
		return errors.New("refusing to run a client with AZURE_FEDERATED_TOKEN_FILE but no AZURE_AUTHORITY_HOST: it would exchange the token at the real Entra ID")
	}
	// A vault name resolves under this suffix; only the emulator's
	// .vault.localhost:PORT stays on the machine.
	if v, ok := env["AZMSI_KEYVAULT_DNS_SUFFIX"]; ok && !strings.Contains(strings.ToLower(v), ".localhost") {
		return fmt.Errorf("AZMSI_KEYVAULT_DNS_SUFFIX=%q is not under .localhost; refusing to run a client", v)
	}
	for _, k := range append(append([]string{}, requiredOverrides...), otherOverrides...) {
		v, ok := env[k]
		if !ok {
			continue
		}
		u, err := url.Parse(v)
		if err == nil && u.Scheme == "unix" {
			continue
		}
		if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1" && u.Hostname() != "localhost") {
			return fmt.Errorf("%s=%q is not a loopback URL; refusing to run a client", k, v)
		}
	}
	return nil
}

// offlineEnv is the environment of a command that needs no endpoint (demo
// starts its own emulator): overrides at a loopback port nobody listens on,
// so that a request made by mistake fails instead of leaving the host.
func offlineEnv() map[string]string {
	return map[string]string{"AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:1", "AZMSI_ARM_ENDPOINT": "https://127.0.0.1:1"}
}

func parseEnvFile(t *testing.T, b []byte) map[string]string {
	t.Helper()
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("env file line %q is not NAME=value", line)
		}
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, `'`)
		}
		env[k] = v
	}
	return env
}

// stop sends SIGTERM and waits for a clean exit.
func (p *emulatorProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("emulator did not exit cleanly on SIGTERM: %v\n%s", err, p.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("emulator still running 15s after SIGTERM")
	}
}

// kill sends SIGKILL (kill -9) and reaps the process; idempotent.
func (p *emulatorProc) kill() {
	_ = p.cmd.Process.Kill()
	err := <-p.done
	p.done <- err
}

// baseEnv is the environment of every child: no AZURE_* or proxy settings
// from the developer's shell, only what Go needs to run.
func baseEnv() []string {
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, k := range []string{"HOME", "TMPDIR"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs a binary with the emulator's environment plus extra NAME=value.
func run(t *testing.T, env map[string]string, bin string, args ...string) cliResult {
	t.Helper()
	checkClientEnv(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = baseEnv()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %s %v: %v", bin, args, err)
		}
		code = ee.ExitCode()
	}
	return cliResult{code, out.String(), errOut.String()}
}

func azmsi(t *testing.T, env map[string]string, args ...string) cliResult {
	t.Helper()
	return run(t, env, bins.azmsi, args...)
}

func want(t *testing.T, r cliResult, code int, args ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("azmsi %v: want exit %d, got %s", args, code, r)
	}
}

func with(env map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(env)+len(kv)/2)
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// run's guard refuses the environments that could reach a real endpoint.
func TestRunRefusesUnsafeEnvironments(t *testing.T) {
	ok := offlineEnv()
	for name, env := range map[string]map[string]string{
		"nil":                      nil,
		"no ARM override":          {"AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:1"},
		"no identity override":     {"AZMSI_ARM_ENDPOINT": "https://127.0.0.1:1"},
		"public ARM":               with(ok, "AZMSI_ARM_ENDPOINT", "https://management.azure.com"),
		"IMDS address":             with(ok, "AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://169.254.169.254"),
		"App Service off loopback": with(ok, "IDENTITY_ENDPOINT", "http://10.0.0.1:8081/msi/token"),
		"authority host":           with(ok, "AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com"),
		"broker off loopback":      with(ok, "AZMSI_BROKER", "http://192.0.2.1:8078"),
		"workload, no authority":   with(ok, "AZURE_FEDERATED_TOKEN_FILE", "/tmp/token"),
		"public vault suffix":      with(ok, "AZMSI_KEYVAULT_DNS_SUFFIX", ".vault.azure.net"),
	} {
		if clientEnvError(env) == nil {
			t.Errorf("%s: the guard let it run", name)
		}
	}
	if err := clientEnvError(with(ok, "AZMSI_BROKER", "unix:///run/azmsi/broker.sock")); err != nil {
		t.Errorf("a Unix-socket broker was refused: %v", err)
	}
}
