// Package imds is the Instance Metadata Service of the emulated VM: the
// managed-identity token endpoint, identity info, the instance document
// and its api-versions, and the OpenID configuration that points at the
// JWKS. Its token-query checks (SSRF headers, strict query, resource and
// selector) are exported for Azure Arc, which speaks the same protocol.
package imds

import (
	"time"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/stats"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// Deps is what the IMDS service needs from the server.
type Deps struct {
	Tokens    *tokens.Authority
	Config    func() *config.Config // the current configuration snapshot
	Stats     *stats.Counters
	RefreshIn time.Duration // sent as refresh_in when positive
	IMDSv2    bool          // serve the platform-metadata document (platform.go)
}

// Service serves the IMDS routes; the route table (package emulator)
// maps paths to its methods.
type Service struct {
	tokens    *tokens.Authority
	config    func() *config.Config
	stats     *stats.Counters
	refreshIn time.Duration
	v2        bool
}

// New returns the IMDS service over d.
func New(d Deps) *Service {
	return &Service{tokens: d.Tokens, config: d.Config, stats: d.Stats, refreshIn: d.RefreshIn, v2: d.IMDSv2}
}
