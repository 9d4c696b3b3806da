package entra

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Faults are the workload-identity failures the emulator can produce on
// purpose. The zero value injects nothing. A Projector reads the file
// faults, an Endpoint the exchange faults; one value can be given to both.
type Faults struct {
	// ExpiredFile makes the projector write a token that expired ten
	// minutes ago (beyond Entra's clock-skew tolerance), as if the kubelet
	// had stopped long ago.
	ExpiredFile bool
	// RotationStopped makes the projector stop rewriting the file; the
	// token in it ages and finally expires.
	RotationStopped bool
	// WrongAudience makes the projector mint tokens for WrongAudienceValue
	// instead of api://AzureADTokenExchange, so no federated credential
	// matches them (AADSTS70021).
	WrongAudience bool
	// NoCredential makes the endpoint behave as if the identity had no
	// federated credential at all (AADSTS70021).
	NoCredential bool
	// Status, when 429 or 500-599, answers token requests with it in
	// Entra's error shape.
	Status int
	// StatusCount is how many token requests get Status, counted from
	// SetFaults; zero means every request while the fault is set.
	StatusCount int
	// RetryAfter is the Retry-After of Status answers; zero means 1s.
	RetryAfter time.Duration
}

// WrongAudienceValue is the audience of tokens minted under WrongAudience.
const WrongAudienceValue = "api://wrong-audience"

// expiredBy is how long before now the ExpiredFile token expired: more than
// the five minutes of skew Entra is assumed to allow (unverified, U19-11).
const expiredBy = 10 * time.Minute

// Validate reports a Status that is not 429 or 5xx, or negative counts.
func (f Faults) Validate() error {
	if f.Status != 0 && f.Status != 429 && (f.Status < 500 || f.Status > 599) {
		return fmt.Errorf("entra: fault status %d: only 429 and 500-599 can be injected (4xx answers come from real checks)", f.Status)
	}
	if f.StatusCount < 0 {
		return fmt.Errorf("entra: fault status count %d is negative; use 0 for every request", f.StatusCount)
	}
	if f.RetryAfter < 0 {
		return fmt.Errorf("entra: fault retry-after %s is negative", f.RetryAfter)
	}
	return nil
}

// MaxFaultSpec bounds a fault spec (it may arrive over HTTP).
const MaxFaultSpec = 512

// ParseFaults parses a comma-separated spec such as
//
//	expiredfile,rotationstopped,wrongaudience,nocredential,429=3,retryafter=2s
//
// Items: expiredfile, rotationstopped, wrongaudience and nocredential switch
// those faults on; a status (429 or 500-599) answers token requests with it,
// "=N" for the next N requests only; retryafter=DURATION sets its
// Retry-After. The empty spec means no faults.
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	if len(spec) > MaxFaultSpec {
		return f, fmt.Errorf("workload fault spec is %d bytes; at most %d are accepted", len(spec), MaxFaultSpec)
	}
	if strings.TrimSpace(spec) == "" {
		return f, nil
	}
	seen := map[string]bool{}
	for i, raw := range strings.Split(spec, ",") {
		item := strings.ToLower(strings.TrimSpace(raw))
		bad := func(format string, a ...any) error {
			return fmt.Errorf("workload fault spec item %d %q: %s", i+1, clip(item), fmt.Sprintf(format, a...))
		}
		key, val, hasVal := strings.Cut(item, "=")
		if key == "" {
			return Faults{}, bad("empty; remove the extra comma")
		}
		if seen[key] {
			return Faults{}, bad("given twice")
		}
		seen[key] = true
		flag := func(dst *bool) error {
			if hasVal {
				return bad("takes no value")
			}
			*dst = true
			return nil
		}
		var err error
		switch key {
		case "expiredfile":
			err = flag(&f.ExpiredFile)
		case "rotationstopped":
			err = flag(&f.RotationStopped)
		case "wrongaudience":
			err = flag(&f.WrongAudience)
		case "nocredential":
			err = flag(&f.NoCredential)
		case "retryafter":
			d, perr := time.ParseDuration(val)
			if !hasVal || perr != nil || d < 0 || d > time.Hour {
				return Faults{}, bad("expected retryafter=DURATION, e.g. 2s (at most 1h)")
			}
			f.RetryAfter = d
		default:
			code, cerr := strconv.Atoi(key)
			if cerr != nil || len(key) != 3 {
				return Faults{}, bad("unknown item; expected expiredfile, rotationstopped, wrongaudience, nocredential, a status (429 or 5xx, optionally =COUNT) or retryafter=DURATION")
			}
			if f.Status != 0 {
				return Faults{}, bad("only one status can be injected at a time")
			}
			f.Status = code
			if hasVal {
				n, nerr := strconv.Atoi(val)
				if nerr != nil || n < 1 || n > 1_000_000 {
					return Faults{}, bad("the count must be a whole number from 1 to 1000000")
				}
				f.StatusCount = n
			}
		}
		if err != nil {
			return Faults{}, err
		}
	}
	if err := f.Validate(); err != nil {
		return Faults{}, err
	}
	return f, nil
}
