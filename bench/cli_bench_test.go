package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/azmsi/azmsi/emulator"
)

// The CLI benchmark runs whole processes against an in-process emulator
// (default world): wall time from start to exit, and the child's peak
// resident set size from wait4's rusage (what /usr/bin/time -v reports as
// "Maximum resident set size").

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds azmsi and sdkgroups once per test binary.
func binaries(b *testing.B) (azmsi, sdkgroups string) {
	b.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "azmsi-bench-bin")
		if buildErr != nil {
			return
		}
		// azmsi builds in its own module (its go.sum), sdkgroups in this one.
		for _, c := range []struct{ dir, pkg string }{{"..", "./cmd/azmsi"}, {".", "./cmd/sdkgroups"}} {
			out, err := exec.Command("go", "build", "-C", c.dir, "-o", binDir+"/", c.pkg).CombinedOutput()
			if err != nil {
				buildErr = &buildError{c.pkg, err, out}
				return
			}
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return filepath.Join(binDir, "azmsi"), filepath.Join(binDir, "sdkgroups")
}

type buildError struct {
	pkg string
	err error
	out []byte
}

func (e *buildError) Error() string {
	return "go build " + e.pkg + ": " + e.err.Error() + "\n" + string(e.out)
}

// procEnv is a clean environment plus the emulator's variables.
func procEnv(s *emulator.Server) []string {
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + os.TempDir(), "LANG=C.UTF-8"}
	for _, v := range s.Env() {
		env = append(env, v.Name+"="+v.Value)
	}
	return env
}

// runProcs runs argv b.N times; wantOut must appear in every stdout.
func runProcs(b *testing.B, env []string, wantOut string, argv ...string) {
	b.Helper()
	var rssKB int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s: %v\n%s%s", strings.Join(argv, " "), err, out.String(), errb.String())
		}
		if !strings.Contains(out.String(), wantOut) {
			b.Fatalf("%s printed %q, want %q in it", strings.Join(argv, " "), out.String(), wantOut)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rssKB = max(rssKB, ru.Maxrss)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(rssKB)/1024, "peak-RSS-MB")
}

// BenchmarkCLI: the seed flow (token → subscription → resource groups) as a
// process. azmsi finds the subscription from instance metadata, the SDK
// program and the Python one list subscriptions and take the first: three
// requests each, same emulator, same output.
func BenchmarkCLI(b *testing.B) {
	azmsi, sdk := binaries(b)
	s := startEmulator(b, emulator.Options{})
	env := procEnv(s)

	b.Run("startup/impl=azmsi", func(b *testing.B) {
		runProcs(b, env, "", azmsi, "version")
	})
	b.Run("groups-list/impl=azmsi", func(b *testing.B) {
		runProcs(b, env, "rg-web", azmsi, "groups", "list")
	})
	b.Run("groups-list/impl=sdk", func(b *testing.B) {
		runProcs(b, env, "rg-web", sdk)
	})
	b.Run("groups-list/impl=python", func(b *testing.B) {
		py, script := pythonFlow(b)
		runProcs(b, env, "rg-web", py, script, "system", s.ARMEndpoint())
	})
	// az group list and the seed's msrestazure program need the real IMDS
	// address and management.azure.com: bench/netns.sh times them inside a
	// network namespace of their own.
}

// pythonFlow finds the interop suite's azure-identity flow and a Python
// with the Azure SDK, or skips.
func pythonFlow(b *testing.B) (python, script string) {
	script, _ = filepath.Abs("../interop/python/run_identity.py")
	if _, err := os.Stat(script); err != nil {
		b.Skip("interop/python/run_identity.py is missing")
	}
	python = "/usr/bin/python3"
	cmd := exec.Command(python, "-c", "import azure.identity, azure.mgmt.resource")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("%s has no azure-identity/azure-mgmt-resource (Debian python3-azure; interop/run.sh installs it): %v %s",
			python, err, bytes.TrimSpace(out))
	}
	return python, script
}
