package identity

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azmsi/azmsi/internal/testenv"
)

// TestHostSecretsNeverLeak drives every secret-bearing host through
// success, error bodies that echo the secret, and foreign answers, and
// checks that no error, debug log line or Source()/String() output holds
// the secret.
func TestHostSecretsNeverLeak(t *testing.T) {
	const secret = "SECRETCANARY-7f3a9c"
	echo := func(w http.ResponseWriter, r *http.Request, n int) {
		switch n % 4 {
		case 1:
			writeJSON(w, 400, `{"statusCode":400,"message":"bad header `+secret+`","correlationId":"x"}`)
		case 2:
			writeJSON(w, 403, `{"error":{"code":"Nope","message":"`+secret+`"}}`)
		case 3:
			w.WriteHeader(200)
			fmt.Fprint(w, "<html>"+secret+"</html>")
		default:
			writeJSON(w, 401, `{"error":"unauthorized","error_description":"`+secret+`"}`)
		}
	}
	logs := &testenv.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var outputs []string
	check := func(c *Credential) {
		for i := 0; i < 4; i++ {
			_, err := c.TokenWithOptions(context.Background(), armRes, TokenOptions{ForceRefresh: true})
			if err == nil {
				t.Fatal("expected an error")
			}
			outputs = append(outputs, err.Error(), fmt.Sprintf("%+v", err))
		}
		outputs = append(outputs, fmt.Sprintf("%+v %v %s", c.Source(), c, c.String()))
	}

	srv := newFakeIMDS(t, echo)
	check(newHostCred(t, map[string]string{"IDENTITY_ENDPOINT": srv.URL, "IDENTITY_HEADER": secret}, Options{Logger: logger}))
	check(newHostCred(t, map[string]string{"MSI_ENDPOINT": srv.URL, "MSI_SECRET": secret, "WEBSITE_SITE_NAME": "s"}, Options{Logger: logger}))
	check(newHostCred(t, map[string]string{"MSI_ENDPOINT": srv.URL, "MSI_SECRET": secret}, Options{Logger: logger}))

	sf, thumb, _ := fakeSF(t, echo)
	check(newHostCred(t, map[string]string{"IDENTITY_ENDPOINT": sf.URL, "IDENTITY_HEADER": secret, "IDENTITY_SERVER_THUMBPRINT": thumb}, Options{Logger: logger}))

	// Arc: the key itself is the secret; the agent echoes it after the challenge.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "k.key"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	arc := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", "Basic realm="+filepath.Join(dir, "k.key"))
			writeJSON(w, 401, `{}`)
			return
		}
		writeJSON(w, 401, `{"error":"invalid_key","error_description":"key `+secret+` is stale"}`)
	})
	check(newHostCred(t, map[string]string{"IDENTITY_ENDPOINT": arc.URL, "IMDS_ENDPOINT": arc.URL}, Options{Logger: logger, ArcKeyDir: dir}))

	all := strings.Join(outputs, "\n") + logs.String()
	if strings.Contains(all, "CANARY") {
		t.Fatalf("secret leaked:\n%s", all)
	}
	if !strings.Contains(all, "<redacted>") || !strings.Contains(logs.String(), "identity request") {
		t.Fatalf("test exercised nothing:\n%s", all)
	}
}
