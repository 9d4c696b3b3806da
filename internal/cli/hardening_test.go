package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
	"github.com/azmsi/azmsi/internal/testenv"
)

// A subscription ID that is not one path segment must never reach a
// request path, wherever it comes from: on the rest command it turned a
// DELETE of one group into a DELETE of another.
func TestSubscriptionIDInjectionRefused(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	const evil = sub1 + "/resourcegroups/rg-data?"
	del := []string{"rest", "-X", "DELETE", "/subscriptions/{subscriptionId}/resourcegroups/rg-web", "--api-version", "2021-04-01"}

	stillThere := func(t *testing.T) {
		t.Helper()
		r := e.run(t, "groups", "exists", "rg-data", "--subscription", sub1)
		if r.stdout != "true\n" {
			t.Fatalf("rg-data was deleted: %s", r)
		}
		r = e.run(t, "groups", "exists", "rg-web", "--subscription", sub1)
		if r.stdout != "true\n" {
			t.Fatalf("rg-web was deleted: %s", r)
		}
	}

	t.Run("flag", func(t *testing.T) {
		for _, bad := range []string{evil, sub1 + "?x=", "..", sub1 + "#", sub1 + "%2F..", sub1 + " x", sub1 + "\\x"} {
			r := e.run(t, append(del, "--subscription", bad)...)
			wantCode(t, r, ExitUsage)
			contains(t, r.stderr, "is not a usable subscription ID")
		}
		stillThere(t)
	})
	t.Run("environment", func(t *testing.T) {
		env := &testEnv{srv: e.srv, env: map[string]string{
			"AZURE_POD_IDENTITY_AUTHORITY_HOST": e.srv.IMDSEndpoint(),
			"AZMSI_ARM_ENDPOINT":                e.srv.ARMEndpoint(),
			"AZURE_SUBSCRIPTION_ID":             evil,
		}}
		r := env.run(t, del...)
		wantCode(t, r, ExitUsage)
		contains(t, r.stderr, "AZURE_SUBSCRIPTION_ID")
		stillThere(t)
	})
	t.Run("instance metadata", func(t *testing.T) {
		base := testenv.LoopbackOnlyClient(e.srv.CACertPEM()).Transport
		vm := &testEnv{srv: e.srv, env: e.env, transport: instanceSubscription{base, evil}}
		r := vm.run(t, del...)
		wantCode(t, r, ExitError)
		contains(t, r.stderr, "instance metadata names subscription")
		contains(t, r.stderr, "hint: pass --subscription")
		stillThere(t)
	})
	t.Run("subscriptions show", func(t *testing.T) {
		r := e.run(t, "subscriptions", "show", sub1+"/resourcegroups")
		wantCode(t, r, ExitUsage)
	})
}

// instanceSubscription answers instance metadata with a chosen
// subscription ID, as a compromised or broken host could.
type instanceSubscription struct {
	base http.RoundTripper
	sub  string
}

func (i instanceSubscription) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.Path, "/metadata/instance") {
		return i.base.RoundTrip(r)
	}
	body := `{"subscriptionId":"` + strings.ReplaceAll(i.sub, `"`, ``) + `","name":"vm","location":"eastus"}`
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    r,
	}, nil
}

// An explicitly empty value is a usage error: read as "not given" it
// would act with the default (another subscription, another endpoint).
func TestEmptyFlagValuesRefused(t *testing.T) {
	for _, args := range [][]string{
		{"groups", "delete", "rg-web", "--yes", "--subscription", ""},
		{"groups", "list", "-s", " "},
		{"groups", "list", "--arm-endpoint", ""},
		{"token", "--endpoint", ""},
		{"token", "--scope", ""},
		{"token", "--resource", ""},
		{"rest", "/subscriptions", "--api-version", ""},
		{"rest", "/subscriptions", "--api-version", "2022-12-01", "--body", ""},
		{"groups", "list", "--tag", ""},
		{"groups", "list", "--query", ""},
		{"groups", "create", "rg-x", "-l", "eastus", "--tag", "a=b", "--tag", ""},
		{"emulator", "--env-file", ""},
		{"emulator", "--host", ""},
		{"broker", "--listen", ""},
		{"broker", "stats", "--socket", ""},
	} {
		r := (*testEnv)(nil).run(t, args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "was given an empty value") {
			t.Errorf("%q: want exit 2 and 'was given an empty value', got %s", args, r)
		}
	}
}

// A repeated identity flag is refused: keeping the last would act as an
// identity the user may not have meant.
func TestRepeatedIdentityFlagRefused(t *testing.T) {
	for _, fl := range []string{"--client-id", "--object-id"} {
		r := (*testEnv)(nil).run(t, "token", fl, contributorID, fl, readerID)
		wantCode(t, r, ExitUsage)
		contains(t, r.stderr, "given more than once")
	}
}

// Error messages repeat a huge input only in part.
func TestHugeInputsClipped(t *testing.T) {
	huge := strings.Repeat("a", 100<<10)
	for _, args := range [][]string{
		{"groups", "show", huge + "/x"},
		{"groups", "list", "--subscription", huge + "/x"},
		{"token", "--resource", "https://x/" + huge},
		{"token", "--scope", huge + " b"},
		{"token", "--client-id", huge},
		{"groups", "list", "--query", "[" + huge},
	} {
		r := (*testEnv)(nil).run(t, args...)
		wantCode(t, r, ExitUsage)
		if len(r.stderr) > 5000 {
			t.Errorf("%.40q…: %d bytes of stderr", args, len(r.stderr))
		}
	}
	if got := clip(strings.Repeat("é", 300)); !strings.HasSuffix(got, "… (600 bytes)") || len(got) > maxEcho+20 {
		t.Errorf("clip: %q", got)
	}
}

func TestGroupNameOfDotsRefused(t *testing.T) {
	for _, name := range []string{".", "..", "..."} {
		r := (*testEnv)(nil).run(t, "groups", "create", name, "-l", "eastus")
		wantCode(t, r, ExitUsage)
		notContains(t, r.stderr, "contain '/'")
		contains(t, r.stderr, "is not usable")
	}
}

// `--tag NAME` (and NAME=) selects the groups having the tag, as in az.
func TestGroupsListTagNameOnly(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	for _, tag := range []string{"env", "env="} {
		r := e.run(t, "groups", "list", "--subscription", sub1, "--tag", tag, "--query", "[].name", "-o", "tsv")
		wantCode(t, r, ExitOK)
		if r.stdout != "rg-data\nrg-web\n" {
			t.Errorf("--tag %s: %q, want rg-data and rg-web", tag, r.stdout)
		}
	}
	r := e.run(t, "groups", "list", "--subscription", sub1, "--tag", "env=prod", "--query", "[].name", "-o", "tsv")
	if r.stdout != "rg-data\n" {
		t.Errorf("--tag env=prod: %s", r)
	}
}

// Cobra's usage errors are recognized by where they arise (before the
// command runs), not by their text: an error of the command itself that
// happens to read like one is not a usage error.
func TestUsageErrorsByHookNotText(t *testing.T) {
	for _, msg := range []string{"unknown flag: --x", "invalid argument \"x\"", "accepts 1 arg(s)", "required flag(s) \"a\" not set"} {
		var w bytes.Buffer
		if code := reportError(&w, nil, errors.New(msg)); code != ExitError {
			t.Errorf("%q from a command: exit %d, want %d", msg, code, ExitError)
		}
	}
	for _, args := range [][]string{
		{"groups", "frobnicate"},
		{"groups", "list", "--nope"},
		{"token", "--resource"},
		{"broker", "--upstream-rate", "x", "--listen", "127.0.0.1:0"},
		{"--debug=maybe", "version"},
	} {
		r := (*testEnv)(nil).run(t, args...)
		wantCode(t, r, ExitUsage)
		contains(t, r.stderr, "hint: run 'azmsi")
	}
}

// emulatorCmd runs `azmsi emulator` in-process until stop is called.
func emulatorCmd(t *testing.T, args ...string) (stop func() result) {
	t.Helper()
	ios, _, out, errOut := TestIOStreams()
	f := NewFactory(ios)
	f.Getenv = func(string) string { return "" }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, f, append([]string{"emulator", "--imds-addr", "127.0.0.1:0", "--arm-addr", "127.0.0.1:0", "-q"}, args...))
	}()
	var once bool
	var res result
	stop = func() result {
		if !once {
			once = true
			cancel()
			res = result{code: <-done, stdout: out.String(), stderr: errOut.String()}
		}
		return res
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitFile waits for path to hold content starting with prefix.
func waitFile(t *testing.T, path, prefix string) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && bytes.HasPrefix(b, []byte(prefix)) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never held %q", path, prefix)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// --env-file never overwrites nor deletes a file the emulator did not
// write, such as a project's .env.
func TestEmulatorEnvFileKeepsOthersFiles(t *testing.T) {
	dir := t.TempDir()
	t.Run("existing file refused", func(t *testing.T) {
		p := filepath.Join(dir, ".env")
		os.WriteFile(p, []byte("DATABASE_URL=postgres://x\n"), 0o600)
		r := emulatorCmd(t, "--env-file", p)()
		wantCode(t, r, ExitUsage)
		contains(t, r.stderr, "was not written by azmsi emulator")
		if b, _ := os.ReadFile(p); string(b) != "DATABASE_URL=postgres://x\n" {
			t.Fatalf(".env changed: %q", b)
		}
	})
	t.Run("directory refused", func(t *testing.T) {
		r := emulatorCmd(t, "--env-file", dir)()
		wantCode(t, r, ExitUsage)
		contains(t, r.stderr, "is not a regular file")
	})
	t.Run("own stale file replaced and removed", func(t *testing.T) {
		p := filepath.Join(dir, "stale.env")
		stale := envFileMark + "AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:1\n"
		os.WriteFile(p, []byte(stale), 0o600)
		stop := emulatorCmd(t, "--env-file", p)
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if b, _ := os.ReadFile(p); string(b) != stale {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("stale env file never replaced; %s", stop())
			}
		}
		waitFile(t, p, envFileMark+"AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:")
		wantCode(t, stop(), ExitOK)
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("own env file not removed on stop: %v", err)
		}
	})
	t.Run("file replaced while running is kept", func(t *testing.T) {
		p := filepath.Join(dir, "mine.env")
		stop := emulatorCmd(t, "--env-file", p)
		waitFile(t, p, envFileMark)
		os.WriteFile(p, []byte("MINE=1\n"), 0o600)
		wantCode(t, stop(), ExitOK)
		if b, _ := os.ReadFile(p); string(b) != "MINE=1\n" {
			t.Errorf("a file written by someone else was removed or changed: %q", b)
		}
	})
}

// A second emulator on the same --state directory is told which flag to
// change (there is no --state-dir).
func TestEmulatorStateLockedHint(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, "a.env")
	stop := emulatorCmd(t, "--state", filepath.Join(dir, "state"), "--env-file", env)
	waitFile(t, env, envFileMark)
	ios, _, _, errOut := TestIOStreams()
	f := NewFactory(ios)
	f.Getenv = func(string) string { return "" }
	code := Execute(context.Background(), f, []string{"emulator", "--imds-addr", "127.0.0.1:0", "--arm-addr", "127.0.0.1:0", "-q", "--state", filepath.Join(dir, "state")})
	r := result{code: code, stderr: errOut.String()}
	wantCode(t, r, ExitError)
	contains(t, r.stderr, "--state DIR")
	notContains(t, r.stderr, "--state-dir")
	wantCode(t, stop(), ExitOK)
}
