package cli

import (
	"testing"
	"time"
)

func TestEmulatorRBACDelayFlag(t *testing.T) {
	var got *EmulatorOptions
	ios, _, _, _ := TestIOStreams()
	cmd := NewCmdEmulator(NewFactory(ios), func(o *EmulatorOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--rbac-delay", "30s"})
	if err := cmd.Execute(); err != nil || got.RBACDelay != 30*time.Second {
		t.Fatalf("err %v, options %+v", err, got)
	}
	r := (*testEnv)(nil).run(t, "emulator", "--rbac-delay", "-1s")
	wantCode(t, r, ExitUsage)
	contains(t, r.stderr, "durations must be positive")
}
