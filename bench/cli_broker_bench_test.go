package bench

import (
	"bytes"
	"errors"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/azmsi/azmsi/broker"
	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/identity"
)

var brokerProcs = flag.Int("broker-procs", 1000, "azmsi token processes per BenchmarkCLIBroker iteration")

// BenchmarkCLIBroker: a script's loop of `azmsi token` processes, with a
// broker listening (impl=azmsi: the CLI finds it through AZMSI_BROKER)
// and without (impl=no-broker: --no-broker, every process asks the
// identity endpoint). Each iteration starts a fresh broker, so its cache
// is cold: the metric upstream-reqs/op counts the token requests the
// emulator saw for all the processes together.
func BenchmarkCLIBroker(b *testing.B) {
	azmsi, _ := binaries(b)
	s := startEmulator(b, emulator.Options{})
	procs := *brokerProcs
	name := "procs=" + strconv.Itoa(procs)
	b.Run(name+"/impl=azmsi", func(b *testing.B) {
		runTokenLoop(b, s, azmsi, procs, true)
	})
	b.Run(name+"/impl=no-broker", func(b *testing.B) {
		runTokenLoop(b, s, azmsi, procs, false)
	})
}

// runTokenLoop runs procs `azmsi token -o tsv` processes per iteration, 4
// at a time (a script's loop with some parallelism), and reports the
// upstream token requests per iteration.
func runTokenLoop(b *testing.B, s *emulator.Server, azmsi string, procs int, withBroker bool) {
	env := procEnv(s)
	args := []string{"token", "-o", "tsv"}
	if !withBroker {
		args = append(args, "--no-broker")
	}
	var upstream int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		sock, stop := startBenchBroker(b, s)
		procEnv := append(env[:len(env):len(env)], "AZMSI_BROKER=unix://"+sock)
		before := s.Stats().TokenRequests
		b.StartTimer()
		var wg sync.WaitGroup
		errs := make(chan error, procs)
		work := make(chan struct{})
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					cmd := exec.Command(azmsi, args...)
					cmd.Env = procEnv
					var out, errb bytes.Buffer
					cmd.Stdout, cmd.Stderr = &out, &errb
					if err := cmd.Run(); err != nil {
						errs <- errors.New(err.Error() + ": " + errb.String())
						continue
					}
					if _, err := identity.ParseClaims(string(bytes.TrimSpace(out.Bytes()))); err != nil {
						errs <- errors.New("azmsi token printed no token: " + out.String())
					}
				}
			}()
		}
		for range procs {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
		b.StopTimer()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		upstream += s.Stats().TokenRequests - before
		stop()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(upstream)/float64(b.N), "upstream-reqs/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*procs), "ns/process")
}

// startBenchBroker runs a broker in front of s's IMDS on a Unix socket.
func startBenchBroker(b *testing.B, s *emulator.Server) (string, func()) {
	b.Helper()
	br, err := broker.New(broker.Options{Upstream: identity.Options{
		Endpoint:   s.IMDSEndpoint(),
		HTTPClient: httpClient(b, s),
		Getenv:     func(string) string { return "" },
	}})
	if err != nil {
		b.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "azmsi-bench-broker")
	if err != nil {
		b.Fatal(err)
	}
	sock := filepath.Join(dir, "b.sock")
	l, err := broker.ListenUnix(sock, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- br.Serve(l) }()
	return sock, func() {
		_ = br.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			b.Errorf("broker Serve: %v", err)
		}
		_ = os.RemoveAll(dir)
	}
}
