package azhttp

import (
	"runtime/debug"
	"sync"
)

// release is the azmsi version stamped at link time:
//
//	go build -ldflags "-X github.com/azmsi/azmsi/internal/azhttp.release=v1.2.3" ./cmd/azmsi
var release string

// Version is the azmsi version that every User-Agent and `azmsi version`
// report: the release stamped with -ldflags if any, else the module version
// the Go toolchain recorded (`go install …@v1.2.3` records v1.2.3; a build
// from a git checkout records a pseudo-version), else "dev".
func Version() string { return versionOnce() }

var versionOnce = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	return versionFrom(release, bi, ok)
})

func versionFrom(linked string, bi *debug.BuildInfo, ok bool) string {
	if linked != "" {
		return linked
	}
	if ok && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// UserAgent is "azmsi/<Version>", the product token every azmsi request
// starts its User-Agent with.
func UserAgent() string { return "azmsi/" + Version() }
