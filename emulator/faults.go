package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/faults"
	"github.com/azmsi/azmsi/emulator/internal/httpx"
)

// The fault types live in internal/faults; these are the public names.
type (
	// Faults is a parsed fault-injection spec (see ParseFaults and
	// docs/reliability.md). The zero value injects nothing.
	Faults = faults.Faults
	// FamilyFaults are the faults of one endpoint family.
	FamilyFaults = faults.FamilyFaults
)

// FaultFamilies are the endpoint families a spec may name: "imds", the other
// identity hosts, and "arm".
var FaultFamilies = faults.Families

// MaxFaultSpec bounds the spec length (it arrives over HTTP too).
const MaxFaultSpec = faults.MaxSpec

// ParseFaults parses a spec such as
//
//	imds:500=0.3,imds:429=0.1,arm:503=0.2,arm:latency=50ms,imds:down=5s,seed=42
//
// Items are comma separated; each is seed=N or FAMILY:KIND=VALUE where
// FAMILY is one of FaultFamilies and KIND is a status code (rate), reset,
// truncate, html or wrongid (rates in [0,1]), or latency, 410window, down or
// retryafter (Go durations). The empty spec means no faults.
func ParseFaults(spec string) (*Faults, error) { return faults.Parse(spec) }

// MustParseFaults is ParseFaults for specs known to be valid (tests,
// examples); it panics on error.
func MustParseFaults(spec string) *Faults { return faults.MustParse(spec) }

// FaultStatus is the body of GET /_emulator/faults.
type FaultStatus struct {
	// Spec is the installed spec in canonical form ("" when none).
	Spec string `json:"spec"`
	// Injected counts injected faults per "family:kind" since start.
	Injected map[string]int64 `json:"injected"`
}

// Faults returns the installed fault spec (nil when none).
func (s *Server) Faults() *Faults { return s.faults.Current() }

// SetFaults replaces the fault spec at run time (nil clears it). Windows
// (410window, down) start now on the server clock; counters are kept.
func (s *Server) SetFaults(f *Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.faults.Set(f)
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
		httpx.WriteJSON(w, http.StatusOK, FaultStatus{Spec: s.faults.Current().String(), Injected: s.faults.Counters()})
	case http.MethodPut, http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxFaultSpec+64))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				httpx.WriteJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "fault spec larger than 4 KiB"})
				return
			}
			httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "reading body: " + err.Error()})
			return
		}
		spec := strings.TrimSpace(string(body))
		if strings.HasPrefix(spec, "{") {
			var v struct {
				Spec *string `json:"spec"`
			}
			if err := json.Unmarshal(body, &v); err != nil || v.Spec == nil {
				httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": `expected the spec as text or as {"spec":"imds:500=0.3,seed=1"}`})
				return
			}
			spec = *v.Spec
		}
		f, err := ParseFaults(spec)
		if err != nil {
			httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s.faults.Set(f)
		httpx.WriteJSON(w, http.StatusOK, FaultStatus{Spec: s.faults.Current().String(), Injected: s.faults.Counters()})
	case http.MethodDelete:
		s.faults.Set(nil)
		httpx.WriteJSON(w, http.StatusOK, FaultStatus{Spec: "", Injected: s.faults.Counters()})
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		httpx.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed on /_emulator/faults; use GET, PUT or DELETE"})
	}
}
