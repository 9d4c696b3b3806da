package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// FaultStatus is the body of GET /_emulator/faults.
type FaultStatus struct {
	// Spec is the installed spec in canonical form ("" when none).
	Spec string `json:"spec"`
	// Injected counts injected faults per "family:kind" since start.
	Injected map[string]int64 `json:"injected"`
}

// Faults returns the installed fault spec (nil when none).
func (s *Server) Faults() *Faults { return s.faults.current() }

// SetFaults replaces the fault spec at run time (nil clears it). Windows
// (410window, down) start now on the server clock; counters are kept.
func (s *Server) SetFaults(f *Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.faults.set(f)
	return nil
}

// serveFaultsControl implements /_emulator/faults:
//
//	GET     the installed spec and the injected-fault counters
//	PUT     install a spec: the body is the spec text, or {"spec":"…"}
//	DELETE  remove every fault
func (s *Server) serveFaultsControl(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, FaultStatus{Spec: s.faults.current().String(), Injected: s.faults.counters()})
	case http.MethodPut, http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxFaultSpec+64))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "fault spec larger than 4 KiB"})
				return
			}
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "reading body: " + err.Error()})
			return
		}
		spec := strings.TrimSpace(string(body))
		if strings.HasPrefix(spec, "{") {
			var v struct {
				Spec *string `json:"spec"`
			}
			if err := json.Unmarshal(body, &v); err != nil || v.Spec == nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": `expected the spec as text or as {"spec":"imds:500=0.3,seed=1"}`})
				return
			}
			spec = *v.Spec
		}
		f, err := ParseFaults(spec)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s.faults.set(f)
		writeJSON(w, http.StatusOK, FaultStatus{Spec: s.faults.current().String(), Injected: s.faults.counters()})
	case http.MethodDelete:
		s.faults.set(nil)
		writeJSON(w, http.StatusOK, FaultStatus{Spec: "", Injected: s.faults.counters()})
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed on /_emulator/faults; use GET, PUT or DELETE"})
	}
}
