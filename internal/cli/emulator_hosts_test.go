package cli

import (
	"strings"
	"testing"
)

// TestEmulatorHostAddressFlag: --host NAME=ADDR passes through; a
// non-loopback address is a usage error unless --allow-non-loopback.
func TestEmulatorHostAddressFlag(t *testing.T) {
	var got *EmulatorOptions
	ios, _, _, _ := TestIOStreams()
	cmd := NewCmdEmulator(NewFactory(ios), func(o *EmulatorOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--host", "appservice=127.0.0.1:41056", "--host", "servicefabric=[::1]:2377,arc"})
	if err := cmd.Execute(); err != nil || strings.Join(got.Hosts, " ") != "appservice=127.0.0.1:41056 servicefabric=[::1]:2377 arc" {
		t.Fatalf("err %v, hosts %v", err, got)
	}
	r := (*testEnv)(nil).run(t, "emulator", "--host", "appservice=0.0.0.0:41056")
	wantCode(t, r, ExitUsage)
	contains(t, r.stderr, `--host appservice "0.0.0.0:41056" is not a loopback address`)
	r = (*testEnv)(nil).run(t, "emulator", "--host", "lambda=127.0.0.1:1")
	wantCode(t, r, ExitUsage)
	contains(t, r.stderr, `is not a host the emulator knows`)

	got = nil
	cmd = NewCmdEmulator(NewFactory(ios), func(o *EmulatorOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--allow-non-loopback", "--host", "appservice=0.0.0.0:41056"})
	if err := cmd.Execute(); err != nil || got == nil {
		t.Fatalf("with --allow-non-loopback: %v", err)
	}
}
