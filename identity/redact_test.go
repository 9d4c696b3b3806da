package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azmsi/azmsi/internal/testenv"
)

const canary = "eyJCANARY.c2VjcmV0LXRva2VuLXZhbHVl.c2ln"

func TestTokenFormattingRedacts(t *testing.T) {
	tok := Token{AccessToken: canary, Type: "Bearer", Resource: armRes, ExpiresOn: epoch0, RefreshOn: epoch0}
	outs := map[string]string{
		"%v": fmt.Sprintf("%v", tok), "%+v": fmt.Sprintf("%+v", tok), "%#v": fmt.Sprintf("%#v", tok),
		"%s": fmt.Sprintf("%s", tok), "%q": fmt.Sprintf("%q", tok), "%x": fmt.Sprintf("%x", tok),
		"String": tok.String(), "GoString": tok.GoString(), "Println": fmt.Sprintln(tok),
		"pointer %v": fmt.Sprintf("%v", &tok), "in struct %+v": fmt.Sprintf("%+v", struct{ T Token }{tok}),
		"in slice": fmt.Sprint([]Token{tok}),
	}
	for name, out := range outs {
		if strings.Contains(out, "CANARY") || !strings.Contains(out, "<redacted>") {
			t.Errorf("%s: %s", name, out)
		}
	}
	if want := "Token{Type:Bearer, Resource:" + armRes + ", ExpiresOn:2026-01-02T03:04:05Z, RefreshOn:2026-01-02T03:04:05Z, AccessToken:<redacted>}"; tok.String() != want {
		t.Errorf("String() = %s", tok.String())
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("got", slog.Any("t", tok), "t2", tok)
	if strings.Contains(buf.String(), "CANARY") || !strings.Contains(buf.String(), `"access_token":"<redacted>"`) {
		t.Errorf("slog: %s", buf.String())
	}
	buf.Reset()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("got", "t", tok)
	if strings.Contains(buf.String(), "CANARY") {
		t.Errorf("slog text: %s", buf.String())
	}
	// JSON keeps the token on purpose (the CLI prints it), documented on Token.
	b, _ := json.Marshal(tok)
	if !strings.Contains(string(b), canary) {
		t.Errorf("json.Marshal dropped the token: %s", b)
	}
}

// TestCanaryNeverLeaks drives successes, retries, refresh failures and
// malformed answers that all carry the canary, and checks logs and errors.
func TestCanaryNeverLeaks(t *testing.T) {
	logs := &testenv.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []string
	bodies := []struct {
		status int
		body   string
	}{
		{200, tokenBody(canary, "r", 3600)},
		{200, `{"access_token":"` + canary + `","expires_on":"garbage"}`},
		{200, `{"access_token":"` + canary + `"`},
		{200, `access_token=` + canary},
		{500, `{"error":"x","error_description":"` + canary + `"}`},
		{400, `{"error":"` + canary + `"}`},
		{403, `unreachable ` + canary},
	}
	for _, b := range bodies {
		for _, id := range []ID{{}, ClientID(testCID)} {
			srv := newFakeIMDS(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("x-ms-request-id", "rid")
				writeJSON(w, b.status, b.body)
			})
			clock := newFakeClock(true)
			c := newTestCred(t, srv.URL, clock, Options{ID: id, Logger: logger})
			tok, err := c.Token(context.Background(), "r")
			if err != nil {
				errs = append(errs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
			} else {
				logger.Info("token", "tok", tok, "cred", c)
				clock.Advance(time.Hour) // expire: next call fetches again and logs
				c.Token(context.Background(), "r")
			}
			errs = append(errs, fmt.Sprintf("%v %+v", c, c))
		}
	}
	if !strings.Contains(logs.String(), "identity request") || !strings.Contains(logs.String(), "status=500") {
		t.Fatalf("no request logged: %s", logs.String())
	}
	for _, s := range append(errs, logs.String()) {
		if strings.Contains(s, "CANARY") || strings.Contains(s, "c2VjcmV0LXRva2VuLXZhbHVl") {
			t.Fatalf("canary leaked: %s", s)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\n\n\tb", "a b"},
		{"x\x00y", "x?y"},
		{"tok eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig end", "tok <redacted> end"},
		{strings.Repeat("a", 100), strings.Repeat("a", 80) + "…"},
		{"\xff", "?"},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in, 80); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
