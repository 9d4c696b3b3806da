package entra

import (
	"fmt"
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
