package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

func TestEmulatorFaultsFlag(t *testing.T) {
	r := (*testEnv)(nil).run(t, "emulator", "--faults", "imds:500=0.3,imds:700=0.1", "--imds-addr", "127.0.0.1:0", "--arm-addr", "-")
	wantCode(t, r, ExitUsage)
	contains(t, r.stderr, `--faults: fault spec item 2 "imds:700=0.1": unknown kind "700"`)

	r = (*testEnv)(nil).run(t, "emulator", "--help")
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "410window")

	dir := t.TempDir()
	envFile := filepath.Join(dir, "emulator.env")
	ios, _, _, errOut := TestIOStreams()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, NewFactory(ios), []string{"emulator", "--imds-addr", "127.0.0.1:0", "--arm-addr", "-",
			"--env-file", envFile, "-q", "--faults", "imds:503=1,seed=5"})
	}()
	var data []byte
	for deadline := time.Now().Add(20 * time.Second); ; {
		var err error
		if data, err = os.ReadFile(envFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no env file; exit %d: %s", <-done, errOut)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var imds string
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "AZURE_POD_IDENTITY_AUTHORITY_HOST="); ok {
			imds = v
		}
	}
	c := testenv.LoopbackOnlyClient(nil)
	resp, err := c.Get(imds + "/_emulator/faults")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	contains(t, string(body), `"spec":"imds:503=1,seed=5"`)
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
