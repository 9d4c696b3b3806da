//go:build !(linux && amd64)

package identity

import "time"

// wallNow reads the wall clock for the cached-token check; see
// wallclock_linux_amd64.go.
func wallNow() time.Time { return time.Now() }
