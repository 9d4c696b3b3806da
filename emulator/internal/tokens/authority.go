package tokens

import (
	"log/slog"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/stats"
)

// Deps is what an Authority needs from the server.
type Deps struct {
	Key      *SigningKey
	Clock    func() time.Time
	Lifetime time.Duration         // exp-iat of minted tokens
	Config   func() *config.Config // the current configuration snapshot
	Stats    *stats.Counters
	Logger   *slog.Logger
}

// Authority mints, caches and verifies tokens. It is safe for concurrent
// use.
type Authority struct {
	keys     *SigningKey
	now      func() time.Time
	lifetime time.Duration
	config   func() *config.Config
	stats    *stats.Counters
	logger   *slog.Logger

	tokens   *cache        // minted tokens handed out again (cache.go)
	verified verifiedCache // tokens whose signature was checked (verify_cache.go)
}

// New returns an Authority over d.
func New(d Deps) *Authority {
	return &Authority{
		keys: d.Key, now: d.Clock, lifetime: d.Lifetime, config: d.Config,
		stats: d.Stats, logger: d.Logger, tokens: newCache(),
	}
}

// ForgetIssued drops every cached minted token (after a configuration
// change: identities may be gone or different).
func (a *Authority) ForgetIssued() { a.tokens.clear() }

// Key is the signing key.
func (a *Authority) Key() *SigningKey { return a.keys }
