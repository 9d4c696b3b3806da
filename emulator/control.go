package emulator

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

// controlHandler serves /_emulator/* on both listeners:
//
//	GET  /_emulator/healthz  {"status":"ok"}
//	POST /_emulator/reset    restore the start configuration and ARM state (counters are kept)
//	POST /_emulator/config   replace the configuration (body: config JSON)
//	GET  /_emulator/config   the current configuration
//	GET  /_emulator/stats    request counters (Stats)
//	GET  /_emulator/keys     JWKS of the token-signing key
//	GET, PUT, DELETE /_emulator/faults  fault injection (faults_control.go)
//
// Control routes need no authentication: the emulator listens on loopback.
func (s *Server) controlHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := strings.TrimPrefix(cleanPath(r.URL.Path), "/_emulator")
		allow := func(methods ...string) bool {
			for _, m := range methods {
				if r.Method == m {
					return true
				}
			}
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed on /_emulator" + route + "; use " + strings.Join(methods, " or ")})
			return false
		}
		switch route {
		case "/healthz":
			if allow(http.MethodGet, http.MethodHead) {
				writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
			}
		case "/stats":
			if allow(http.MethodGet) {
				writeJSON(w, http.StatusOK, s.Stats())
			}
		case "/faults":
			s.serveFaultsControl(w, r)
		case "/keys":
			if allow(http.MethodGet) {
				writeJSON(w, http.StatusOK, s.jwks())
			}
		case "/reset":
			if !allow(http.MethodPost) {
				return
			}
			if err := s.reset(); err != nil {
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "reset failed: " + err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
		case "/config":
			if !allow(http.MethodGet, http.MethodPost, http.MethodPut) {
				return
			}
			if r.Method == http.MethodGet {
				writeJSON(w, http.StatusOK, s.config())
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxConfigSize))
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "configuration larger than 1 MiB"})
					return
				}
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "reading body: " + err.Error()})
				return
			}
			cfg, err := ParseConfig(body)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			if err := s.loadConfig(cfg); err != nil {
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "loading the configuration: " + err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"status": "loaded"})
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no control route /_emulator" + route + " (have healthz, reset, config, stats, keys, faults)"})
		}
	})
}
