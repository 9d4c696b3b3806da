package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/broker"
	"github.com/azmsi/azmsi/identity"
	"github.com/azmsi/azmsi/internal/testenv"
)

// Canary secrets: if any of these strings shows up in a log line, an error,
// a panic or CLI output (other than `azmsi token`'s stdout, whose job is to
// print the token), a secret leaked.
const (
	canarySig    = "CANARYsigNATURExk7Q9w2"
	canaryHeader = "hdr-CANARY-5f3a0c7e"
	canaryKey    = "key-CANARY-9b2c41d8"
)

// canaryToken is a JWT-shaped token whose signature is the canary; its
// claims are harmless and may be shown (whoami prints them).
var canaryToken = func() string {
	enc := base64.RawURLEncoding.EncodeToString
	p, _ := json.Marshal(map[string]any{"aud": "https://management.azure.com/", "oid": "44444444-4444-4444-4444-aaaaaaaaaaaa",
		"appid": "44444444-4444-4444-4444-444444444444", "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"iss": "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/", "iat": 1, "nbf": 1, "exp": 4102444800})
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(p) + "." + canarySig
}()

// canaryWorld is a hostile set of endpoints: identity hosts that hand out
// the canary token, and (in echo mode) errors that echo every secret they
// were sent; an ARM that echoes the bearer token in its error bodies.
type canaryWorld struct {
	echo     atomic.Bool
	identity *httptest.Server
	arm      *httptest.Server
	keyDir   string
}

func newCanaryWorld(t *testing.T) *canaryWorld {
	w := &canaryWorld{keyDir: t.TempDir()}
	keyFile := filepath.Join(w.keyDir, "canary.key")
	if err := os.WriteFile(keyFile, []byte(canaryKey), 0o600); err != nil {
		t.Fatal(err)
	}
	secretsOf := func(r *http.Request) string {
		return fmt.Sprintf("header=%s auth=%s query=%s", r.Header.Get("X-IDENTITY-HEADER"), r.Header.Get("Authorization"), r.URL.RawQuery)
	}
	w.identity = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/arc/token" && r.Header.Get("Authorization") == "" {
			rw.Header().Set("WWW-Authenticate", "Basic realm="+keyFile)
			rw.WriteHeader(http.StatusUnauthorized)
			_, _ = rw.Write([]byte(`{"error":"unauthorized"}`))
			return
		}
		if w.echo.Load() {
			rw.Header().Set("x-ms-request-id", secretsOf(r))
			rw.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(rw).Encode(map[string]string{"error": "invalid_request", "error_description": "refused " + secretsOf(r)})
			return
		}
		if strings.HasPrefix(r.URL.Path, "/metadata/instance") {
			rw.WriteHeader(http.StatusBadRequest) // not retried, unlike 404
			_, _ = rw.Write([]byte(`{"error":"no instance metadata here"}`))
			return
		}
		_ = json.NewEncoder(rw).Encode(map[string]string{"access_token": canaryToken, "expires_in": "3600", "expires_on": fmt.Sprint(time.Now().Add(time.Hour).Unix()),
			"resource": r.URL.Query().Get("resource"), "token_type": "Bearer", "client_id": "44444444-4444-4444-4444-444444444444"})
	}))
	t.Cleanup(w.identity.Close)
	sub := "00000000-0000-0000-0000-000000000001"
	w.arm = httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		p := strings.ToLower(r.URL.Path)
		switch {
		case r.Method == http.MethodGet && p == "/subscriptions":
			fmt.Fprintf(rw, `{"value":[{"id":"/subscriptions/%s","subscriptionId":"%s","displayName":"One","state":"Enabled","tenantId":"t"}]}`, sub, sub)
		case r.Method == http.MethodGet && p == "/subscriptions/"+sub:
			fmt.Fprintf(rw, `{"id":"/subscriptions/%s","subscriptionId":"%s","displayName":"One","state":"Enabled","tenantId":"t"}`, sub, sub)
		case r.Method == http.MethodGet && p == "/subscriptions/"+sub+"/resourcegroups":
			fmt.Fprintf(rw, `{"value":[{"id":"/subscriptions/%s/resourceGroups/rg-ok","name":"rg-ok","location":"eastus","properties":{"provisioningState":"Succeeded"}}]}`, sub)
		case (r.Method == http.MethodGet || r.Method == http.MethodHead) && p == "/subscriptions/"+sub+"/resourcegroups/rg-ok":
			fmt.Fprintf(rw, `{"id":"/subscriptions/%s/resourceGroups/rg-ok","name":"rg-ok","location":"eastus","properties":{"provisioningState":"Succeeded"}}`, sub)
		case r.Method == http.MethodGet && strings.HasSuffix(p, "/expired"):
			rw.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+r.Header.Get("Authorization")+`"`)
			rw.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(rw, `{"error":{"code":"InvalidAuthenticationToken","message":"bad token %s"}}`, r.Header.Get("Authorization"))
		default:
			rw.Header().Set("x-ms-request-id", r.Header.Get("Authorization"))
			rw.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(rw, `{"error":{"code":"AuthorizationFailed","message":"%s may not %s","target":"%s"}}`, r.Header.Get("Authorization"), r.Method, r.Header.Get("Authorization"))
		}
	}))
	t.Cleanup(w.arm.Close)
	return w
}

func (w *canaryWorld) client() *http.Client {
	return testenv.LoopbackOnlyClient(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.arm.Certificate().Raw}))
}

// hosts are the environments of each managed-identity host, all pointing
// at the canary world.
func (w *canaryWorld) hosts() map[string]map[string]string {
	base := map[string]string{"AZMSI_ARM_ENDPOINT": w.arm.URL, "AZMSI_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return map[string]map[string]string{
		"imds":       with("AZURE_POD_IDENTITY_AUTHORITY_HOST", w.identity.URL),
		"appservice": with("IDENTITY_ENDPOINT", w.identity.URL+"/msi/token", "IDENTITY_HEADER", canaryHeader),
		"arc":        with("IDENTITY_ENDPOINT", w.identity.URL+"/arc/token", "IMDS_ENDPOINT", w.identity.URL, identity.EnvArcKeyDir, w.keyDir),
	}
}

// leaks reports which canaries s contains.
func leaks(s string) []string {
	var out []string
	for _, c := range []string{canarySig, canaryHeader, canaryKey} {
		if strings.Contains(s, c) {
			out = append(out, c)
		}
	}
	return out
}

// TestSecretsNeverLeak runs every credential-using command (with and
// without --debug) and the library paths on every host with a secret, both
// when the endpoints succeed and when they echo the secrets back in errors,
// and fails if a canary appears anywhere but `azmsi token`'s stdout.
func TestSecretsNeverLeak(t *testing.T) {
	w := newCanaryWorld(t)
	commands := [][]string{
		{"token"}, {"token", "--resource", "https://vault.azure.net"}, {"whoami"}, {"doctor"},
		{"subscriptions", "list"}, {"subscriptions", "show"},
		{"groups", "list"}, {"groups", "show", "rg-ok"}, {"groups", "exists", "rg-ok"},
		{"groups", "create", "rg-new", "--location", "eastus", "--tag", "a=b"}, {"groups", "update", "rg-ok", "--tag", "a=b"},
		{"groups", "delete", "rg-ok", "--yes"},
		{"rest", "/subscriptions", "--api-version", "2022-12-01"},
		{"rest", "-X", "PUT", "/subscriptions/{subscriptionId}/resourcegroups/x", "--api-version", "2021-04-01", "--body", `{"location":"eastus"}`},
		{"rest", "/subscriptions/{subscriptionId}/expired", "--api-version", "2022-12-01"},
		{"resources", "list"}, {"resources", "list", "-g", "rg-ok"},
		{"resources", "show", "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ok/providers/Microsoft.KeyVault/vaults/kv1", "--api-version", "2024-11-01"},
		{"resources", "delete", "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ok/providers/Microsoft.KeyVault/vaults/kv1", "--api-version", "2024-11-01"},
		{"roles", "list"}, {"whoami", "--roles"},
	}
	runs, checked := 0, 0
	hosts := w.hosts()
	// A broker in front of the IMDS host, found through AZMSI_BROKER: its
	// log and stats are checked too.
	sock, brokerLog, b := startCanaryBroker(t, w)
	hosts["broker"] = with(hosts["imds"], "AZMSI_BROKER", "unix://"+sock)
	for host, env := range hosts {
		for _, echo := range []bool{false, true} {
			w.echo.Store(echo)
			for _, args := range commands {
				for _, debug := range []bool{false, true} {
					a := append([]string(nil), args...)
					if debug {
						a = append(a, "--debug")
					}
					r := runWith(t, env, w.client(), a...)
					runs++
					out := r.stderr
					if args[0] != "token" {
						out += r.stdout
					} else if !echo && r.code == ExitOK && !strings.Contains(r.stdout, canarySig) {
						t.Errorf("%s %v: token not printed (exit %d): %s", host, a, r.code, r)
					}
					checked += len(out)
					if l := leaks(out); l != nil {
						t.Errorf("host %s, echo=%v, azmsi %s: leaked %v\n%s", host, echo, strings.Join(a, " "), l, r)
					}
				}
			}
		}
	}

	// Library paths: debug logs, errors, formatting of tokens, credentials
	// and errors, on every host, success and echo.
	for host, env := range w.hosts() {
		for _, echo := range []bool{false, true} {
			w.echo.Store(echo)
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cred, err := identity.New(identity.Options{HTTPClient: w.client(), Logger: logger, Getenv: func(k string) string { return env[k] }, RetryBudget: time.Second})
			if err != nil {
				t.Fatalf("%s: %v", host, err)
			}
			tok, err := cred.Token(context.Background(), "https://management.azure.com/.default")
			var all strings.Builder
			fmt.Fprintf(&all, "%v %+v %#v %s %v %+v %#v\n", tok, tok, tok, cred, cred, err, err)
			if _, ierr := cred.Instance(context.Background()); ierr != nil {
				all.WriteString(ierr.Error())
			}
			ac, aerr := arm.New(arm.Options{Credential: arm.FromIdentity(cred), Endpoint: w.arm.URL, HTTPClient: w.client(), Logger: logger,
				MaxRetries: -1, Getenv: func(string) string { return "" }})
			if aerr != nil {
				t.Fatal(aerr)
			}
			for _, f := range []func() error{
				func() error {
					_, err := ac.GetResourceGroup(context.Background(), "00000000-0000-0000-0000-000000000001", "rg-ok")
					return err
				},
				func() error {
					_, _, err := ac.CreateOrUpdateResourceGroup(context.Background(), "00000000-0000-0000-0000-000000000001", "x", arm.ResourceGroup{Location: "eastus"})
					return err
				},
				func() error {
					_, err := ac.Do(context.Background(), "GET", "/subscriptions/00000000-0000-0000-0000-000000000001/expired", "2022-12-01", nil)
					return err
				},
			} {
				if err := f(); err != nil {
					fmt.Fprintf(&all, "%v %+v %#v\n", err, err, err)
				}
			}
			at, _ := arm.FromIdentity(cred).ARMToken(context.Background(), "https://management.azure.com/", false)
			fmt.Fprintf(&all, "%v %+v %#v %s\n", at, at, at, logs.String())
			_ = cred.Close()
			if !echo && tok.AccessToken != canaryToken {
				t.Errorf("%s: the library did not get the canary token (%v)", host, err)
			}
			if l := leaks(all.String()); l != nil {
				t.Errorf("library, host %s, echo=%v: leaked %v\n%s", host, echo, l, all.String())
			}
			checked += all.Len()
		}
	}
	stats, _ := json.Marshal(b.Stats())
	if b.Stats().ClientsServed == 0 {
		t.Error("the broker served no client: the broker host was not exercised")
	}
	if l := leaks(brokerLog.String() + string(stats)); l != nil {
		t.Errorf("broker log or stats leaked %v\n%s\n%s", l, brokerLog, stats)
	}
	checked += len(brokerLog.String()) + len(stats)
	t.Logf("%d CLI runs and 6 library scenarios, %d bytes of output checked: no canary", runs, checked)
}

// startCanaryBroker runs a broker (logging at debug level into the
// returned buffer) in front of the canary world's IMDS on a Unix socket.
func startCanaryBroker(t *testing.T, w *canaryWorld) (string, *testenv.SyncBuffer, *broker.Broker) {
	t.Helper()
	logs := &testenv.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := broker.New(broker.Options{Logger: logger, Upstream: identity.Options{
		Endpoint: w.identity.URL, HTTPClient: w.client(), Logger: logger, RetryBudget: time.Second,
		Getenv: func(string) string { return "" },
	}})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "b.sock")
	l, err := broker.ListenUnix(sock, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(l) }()
	t.Cleanup(func() {
		_ = b.Close()
		<-done
	})
	return sock, logs, b
}

// runWith runs azmsi in-process with exactly env and client.
func runWith(t *testing.T, env map[string]string, hc *http.Client, args ...string) result {
	t.Helper()
	ios, _, out, errOut := TestIOStreams()
	f := NewFactory(ios)
	f.Getenv = func(k string) string { return env[k] }
	f.LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	f.HTTPClient = hc
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Execute(ctx, f, args)
	return result{code, out.String(), errOut.String()}
}
