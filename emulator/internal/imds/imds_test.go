package imds

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/stats"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

func newService(t *testing.T) *Service {
	t.Helper()
	cfg := config.Default()
	key, err := tokens.LoadOrCreateKey("")
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func() *config.Config { return cfg }
	st := &stats.Counters{}
	auth := tokens.New(tokens.Deps{Key: key, Clock: func() time.Time { return time.Date(2025, 11, 26, 12, 0, 0, 0, time.UTC) }, Lifetime: time.Hour, Config: snapshot, Stats: st, Logger: slog.New(slog.DiscardHandler)})
	return New(Deps{Tokens: auth, Config: snapshot, Stats: st, RefreshIn: 30 * time.Minute})
}

func get(h http.HandlerFunc, target string, header bool) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if header {
		r.Header.Set("Metadata", "true")
	}
	w := httptest.NewRecorder()
	h(w, r)
	return w
}

func TestToken(t *testing.T) {
	s := newService(t)
	w := get(s.Token, "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&client_id=33333333-3333-3333-3333-333333333333", true)
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if body["client_id"] != "33333333-3333-3333-3333-333333333333" || body["refresh_in"] != float64(1800) || body["expires_in"] != "3600" {
		t.Errorf("token body %v", body)
	}
	if w := get(s.Token, "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x", false); w.Code != 400 {
		t.Errorf("without Metadata: %d", w.Code)
	}
	if s.stats.TokenRequests.Load() != 2 {
		t.Errorf("token requests %d, want 2", s.stats.TokenRequests.Load())
	}
}

func TestInstanceLeaf(t *testing.T) {
	s := newService(t)
	w := get(s.Instance, "/metadata/instance/compute/location?api-version=2021-02-01&format=text", true)
	if w.Code != 200 || w.Body.String() != "eastus" {
		t.Errorf("location: %d %q", w.Code, w.Body)
	}
	if w := get(s.Instance, "/metadata/instance/compute/nope?api-version=2021-02-01", true); w.Code != 404 {
		t.Errorf("missing node: %d", w.Code)
	}
}
