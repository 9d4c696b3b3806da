package emulator

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
)

// controlRoute is one /_emulator route (controlRoutes in routes.go).
type controlRoute struct {
	path    string   // below /_emulator
	methods []string // accepted; nil: the handler checks for itself
	serve   http.HandlerFunc
}

// serveControl serves /_emulator/* on both listeners from controlRoutes.
// Control routes need no authentication: the emulator listens on loopback.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	sub := strings.TrimPrefix(httpx.CleanPath(r.URL.Path), "/_emulator")
	for _, c := range s.controlRoutes() {
		if c.path != sub {
			continue
		}
		if c.methods != nil && !slices.Contains(c.methods, r.Method) {
			w.Header().Set("Allow", strings.Join(c.methods, ", "))
			httpx.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed on /_emulator" + sub + "; use " + strings.Join(c.methods, " or ")})
			return
		}
		c.serve(w, r)
		return
	}
	httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "no control route /_emulator" + sub + " (have healthz, reset, config, stats, keys, faults)"})
}

func serveHealth(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) serveStats(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, s.Stats())
}

// serveReset restores the start configuration and ARM state (counters are
// kept).
func (s *Server) serveReset(w http.ResponseWriter, _ *http.Request) {
	if err := s.reset(); err != nil {
		httpx.WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": "reset failed: " + err.Error()})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

// serveConfig answers the current configuration (GET) or replaces it
// (POST, PUT: the body is configuration JSON).
func (s *Server) serveConfig(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		httpx.WriteJSON(w, http.StatusOK, s.config())
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxConfigSize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpx.WriteJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "configuration larger than 1 MiB"})
			return
		}
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "reading body: " + err.Error()})
		return
	}
	cfg, err := ParseConfig(body)
	if err != nil {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if err := s.loadConfig(cfg); err != nil {
		httpx.WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": "loading the configuration: " + err.Error()})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "loaded"})
}
