package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator"
)

func TestNewCmdGroupsCreateFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    GroupsCreateOptions
		wantErr string
	}{
		{args: []string{"rg", "-l", "eastus", "--tag", "a=b", "--tag", "c"}, want: GroupsCreateOptions{Location: "eastus", tags: map[string]string{"a": "b", "c": ""}}},
		{args: []string{"rg"}, wantErr: "--location is required"},
		{args: []string{"rg", "-l", "eastus", "--tag", "=v"}, wantErr: "want NAME=VALUE"},
		{args: []string{"a/b", "-l", "eastus"}, wantErr: "must not contain"},
		{args: []string{}, wantErr: "needs the resource group NAME"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ios, _, _, _ := TestIOStreams()
			f := NewFactory(ios)
			f.LookupEnv = func(string) (string, bool) { return "", false }
			var got *GroupsCreateOptions
			cmd := NewCmdGroupsCreate(f, func(o *GroupsCreateOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != ExitUsage {
					t.Fatalf("err = %v, want usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Location != tt.want.Location || len(got.tags) != len(tt.want.tags) {
				t.Fatalf("got %+v", got)
			}
			for k, v := range tt.want.tags {
				if got.tags[k] != v {
					t.Errorf("tag %s = %q, want %q", k, got.tags[k], v)
				}
			}
		})
	}
}

func TestNewCmdEmulatorFlags(t *testing.T) {
	ios, _, _, _ := TestIOStreams()
	var got *EmulatorOptions
	cmd := NewCmdEmulator(NewFactory(ios), func(o *EmulatorOptions) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.IMDSAddr != DefaultIMDSAddr || got.ARMAddr != DefaultARMAddr || got.StrictAPIVersions {
		t.Errorf("defaults: %+v", got)
	}
	cmd = NewCmdEmulator(NewFactory(ios), func(o *EmulatorOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--strict-api-versions"})
	if err := cmd.Execute(); err != nil || !got.StrictAPIVersions {
		t.Errorf("--strict-api-versions: %v %+v", err, got)
	}
	cmd = NewCmdEmulator(NewFactory(ios), func(o *EmulatorOptions) error { got = o; return nil })
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs([]string{"--tls-cert", "c.pem"})
	if err := cmd.Execute(); exitCode(err) != ExitUsage {
		t.Errorf("--tls-cert without --tls-key: %v", err)
	}
}

// `azmsi emulator` in-process: prints and writes the env, serves, stops
// on cancellation (SIGINT/SIGTERM cancel the same context in Main) and
// removes its env file.
func TestEmulatorCommand(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "emulator.env")
	ios, _, out, errOut := TestIOStreams()
	f := NewFactory(ios)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, f, []string{"emulator", "--imds-addr", "127.0.0.1:0", "--arm-addr", "127.0.0.1:0", "--env-file", envFile, "-q"})
	}()
	var data []byte
	for deadline := time.Now().Add(20 * time.Second); ; {
		var err error
		if data, err = os.ReadFile(envFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no env file; exit %d", <-done)
		}
		time.Sleep(10 * time.Millisecond)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	for _, k := range []string{"AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZMSI_ARM_ENDPOINT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"} {
		if !strings.HasPrefix(env[k], "http://127.0.0.1:") && !strings.HasPrefix(env[k], "https://127.0.0.1:") && !strings.HasPrefix(env[k], "/") {
			t.Errorf("%s = %q", k, env[k])
		}
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	contains(t, out.String(), "export AZURE_POD_IDENTITY_AUTHORITY_HOST="+env["AZURE_POD_IDENTITY_AUTHORITY_HOST"]+"\n")
	if _, err := os.Stat(envFile); !os.IsNotExist(err) {
		t.Errorf("env file not removed on stop: %v", err)
	}
}

func TestEmulatorCommandRefusesNonLoopback(t *testing.T) {
	r := (*testEnv)(nil).run(t, "emulator", "--imds-addr", "0.0.0.0:0", "--arm-addr", "-")
	wantCode(t, r, ExitUsage) // an argument error, as the README's table says
	contains(t, r.stderr, "loopback")
}

func TestEmulatorCommandBadConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(p, []byte(`{"identities": 3}`), 0o600)
	r := (*testEnv)(nil).run(t, "emulator", "--config", p, "--imds-addr", "127.0.0.1:0", "--arm-addr", "127.0.0.1:0")
	wantCode(t, r, ExitError)
	contains(t, r.stderr, "hint: see README.md")
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8079": "http://127.0.0.1:8079",
		"/tmp/a b/ca.pem":       "'/tmp/a b/ca.pem'",
		"it's":                  `'it'\''s'`,
		"":                      "''",
		"$(rm -rf /)":           "'$(rm -rf /)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadBody(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.json")
	os.WriteFile(p, []byte(` {"a":1} `), 0o600)
	for _, tc := range []struct {
		spec, stdin, want, err string
	}{
		{spec: `{"x":true}`, want: `{"x":true}`},
		{spec: "@" + p, want: `{"a":1}`},
		{spec: "-", stdin: "[1,2]\n", want: "[1,2]"},
		{spec: "@" + p + ".missing", err: "no such file"},
		{spec: "{", err: "not valid JSON"},
		{spec: "-", stdin: "", err: "not valid JSON"},
	} {
		got, err := readBody(tc.spec, strings.NewReader(tc.stdin))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%q: got %q, %v", tc.spec, got, err)
		}
	}
}

func TestOutputFormats(t *testing.T) {
	data := []map[string]any{{"name": "a\tb", "n": 1, "nested": map[string]any{"x": 1}}, {"name": "c\nd", "n": 2.5}}
	cols := []column{field("Name", "name"), field("N", "n"), field("X", "nested.x")}
	for _, tc := range []struct {
		format, query, want string
	}{
		{"table", "", "Name  N  X\n----  -  -\na b   1  1\nc d   2.5\n"}, // a line's last cell does not widen its column
		{"tsv", "", "a b\t1\t1\nc d\t2.5\t\n"},
		{"json", "[].n", "[\n  1,\n  2.5\n]\n"},
		{"tsv", "[].n", "1\n2.5\n"},
		{"table", "[0]", "N  Name\n-  ----\n1  a b\n"},        // generic columns: scalars only, sorted
		{"table", "[?n > `1`].name", "Result\n------\nc d\n"}, // az: scalars in a Result column
		// Multiselect hashes keep the query's order, as in az.
		{"tsv", "[].{z: n, a: name}", "1\ta b\n2.5\tc d\n"},
		{"table", "[].{z: n, a: name}", "Z    A\n-    -\n1    a b\n2.5  c d\n"},
		{"tsv", "[0].{\"b c\": name, a: n, n: nested}", "a b\t1\t\n"},
		// Multiselect lists are cells (tsv) and Column1… (table), not JSON.
		{"tsv", "[].[name, n]", "a b\t1\nc d\t2.5\n"},
		{"table", "[].[n, name]", "Column1  Column2\n-------  -------\n1        a b\n2.5      c d\n"},
		// tsv: a nested list is its length, a nested object empty.
		{"tsv", "[].[name, [n, n], nested]", "a b\t2\t\nc d\t2\t\n"},
		// table: nested values and id/type/etag are left out.
		{"table", "[0].{id: name, n: n, nested: nested}", "N\n-\n1\n"},
		// A plain object (not a hash): its keys sorted.
		{"tsv", "[1]", "2.5\tc d\n"},
	} {
		o := OutputOptions{Format: tc.format, Query: tc.query, allowed: []string{"table", "json", "tsv"}}
		if err := o.validate(); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := o.print(&b, data, cols); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s %q:\n%q\nwant\n%q", tc.format, tc.query, b.String(), tc.want)
		}
	}
}

// The emulator fixture is reused by the groups test helpers; make sure a
// Contributor's create shows up in a Reader's list (RBAC reads).
func TestReaderSeesContributorsGroup(t *testing.T) {
	e := startEmulator(t, emulator.Options{})
	wantCode(t, e.run(t, "groups", "create", "rg-shared", "-l", "eastus", "--client-id", contributorID), ExitOK)
	r := e.run(t, "groups", "list", "--client-id", readerID, "-o", "tsv", "--query", "[].name")
	wantCode(t, r, ExitOK)
	contains(t, r.stdout, "rg-shared\n")
}
