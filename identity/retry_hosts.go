package identity

import (
	"net/http"
	"time"
)

// hostRetryPolicy is the policy of the local token services (App Service,
// Azure Arc, Azure ML, Cloud Shell): a few quick retries of 408, 429, 500,
// 502, 503 and 504 (as MSAL and azidentity do); 404 and 410 are final here,
// since only IMDS uses them for "try again".
func hostRetryPolicy() retryPolicy {
	return retryPolicy{
		retryStatus: func(code int) bool {
			switch code {
			case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
				http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
				return true
			}
			return false
		},
		maxRetries:  3,
		baseDelay:   time.Second,
		maxDelay:    10 * time.Second,
		connRetries: 1,
		connDelay:   connRetryDelay,
	}
}

// serviceFabricRetryPolicy follows the Service Fabric guidance
// (protocols.md §8): 429 and 5xx are retried with back-off ≈1, 3, 7, 15,
// 16 s; 404 (ManagedIdentityNotFound) never.
func serviceFabricRetryPolicy() retryPolicy {
	return retryPolicy{
		retryStatus: func(code int) bool {
			return code == http.StatusTooManyRequests || code >= 500 && code <= 599
		},
		maxRetries:  5,
		baseDelay:   time.Second,
		maxDelay:    16 * time.Second,
		connRetries: 1,
		connDelay:   connRetryDelay,
	}
}
