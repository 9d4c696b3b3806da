package arm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// idempotent reports whether repeating method cannot change the outcome.
// PATCH is not idempotent in general (a JSON merge patch may be, an
// "append" style patch is not), and POST never is.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// retryableStatus decides whether a response status is worth another try.
//
// For idempotent methods: 408, 429, 500, 502, 503, 504.
// For POST and PATCH only 429, and 503 carrying Retry-After: ARM throttling
// rejects the request before any processing ("a request sent before it
// elapses is not processed"), and a 503 with Retry-After is the server saying
// it did not take the request. A 500/502/504 may come after the operation ran,
// so repeating a non-idempotent request could apply it twice.
func retryableStatus(method string, status int, h http.Header) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusServiceUnavailable:
		return idempotent(method) || azhttp.HasRetryAfter(h)
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return idempotent(method)
	}
	return false
}

// retryableTransportError decides whether a failed round trip may be
// repeated. Only idempotent methods: after a connection reset we cannot know
// whether the server acted. Certificate failures and cancellation are final.
func retryableTransportError(ctx context.Context, method string, err error) bool {
	if err == nil || ctx.Err() != nil || !idempotent(method) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var (
		unknownCA *x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		certErr   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &certErr) || errors.As(err, &verifyErr) {
		return false
	}
	var ee *permanentError
	return !errors.As(err, &ee)
}

// permanentError marks a failure that repeating cannot fix (a bad request
// URL, an oversized body): never retried.
type permanentError struct{ error }

func (e *permanentError) Unwrap() error { return e.error }

// backoff is the delay before retry number attempt (0 = first retry):
// uniformly random in [0, min(maxDelay, base·2^attempt)] ("full jitter"),
// so that many clients throttled together do not come back together.
func backoff(attempt int, base, maxDelay time.Duration, rnd func() float64) time.Duration {
	ceil := maxDelay
	if attempt < 62 {
		if d := base << uint(attempt); d > 0 && d < maxDelay && d>>uint(attempt) == base {
			ceil = d
		}
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	return time.Duration(rnd() * float64(ceil))
}
