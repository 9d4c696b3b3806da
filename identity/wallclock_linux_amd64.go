package identity

import (
	"syscall"
	"time"
)

// wallNow reads the wall clock for the cached-token check. On linux/amd64
// syscall.Gettimeofday calls the vDSO directly and reads one clock, about
// half the cost of time.Now, which reads the wall and the monotonic clock
// through the runtime (on the benchmark's KVM guest ~100 ns, most of a
// cached Token call). The check compares against ExpiresOn and RefreshOn,
// which are wall times, so neither the monotonic reading nor more than
// microsecond resolution is needed.
func wallNow() time.Time {
	var tv syscall.Timeval
	if syscall.Gettimeofday(&tv) != nil {
		return time.Now()
	}
	return time.Unix(tv.Sec, tv.Usec*1000)
}
