package tokens

import (
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/stats"
	"github.com/azmsi/azmsi/internal/testenv"
)

// Identities of the default configuration (internal/config/default.json).
const (
	sysObjectID = "11111111-1111-1111-1111-aaaaaaaaaaaa"
	conClientID = "22222222-2222-2222-2222-222222222222"
	conObjectID = "22222222-2222-2222-2222-aaaaaaaaaaaa"
	rdrClientID = "33333333-3333-3333-3333-333333333333"
	defaultTID  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

func newFakeClock() *testenv.FakeClock {
	return testenv.NewFakeClock(time.Date(2025, 11, 26, 12, 0, 0, 0, time.UTC))
}

// defaultConfig is a fresh copy of the emulator's default configuration.
func defaultConfig(testing.TB) *config.Config { return config.Default() }

// testAuthority is an Authority over a configuration the test can swap.
type testAuthority struct {
	*Authority
	cfg atomic.Pointer[config.Config]
}

// newTestAuthority serves the default configuration on clock (nil: time.Now)
// with a fresh in-memory key.
func newTestAuthority(t testing.TB, clock func() time.Time) *testAuthority {
	t.Helper()
	if clock == nil {
		clock = time.Now
	}
	key, err := LoadOrCreateKey("")
	if err != nil {
		t.Fatal(err)
	}
	ta := &testAuthority{}
	ta.cfg.Store(defaultConfig(t))
	ta.Authority = New(Deps{Key: key, Clock: clock, Lifetime: 24 * time.Hour, Config: ta.config,
		Stats: &stats.Counters{}, Logger: slog.New(slog.DiscardHandler)})
	return ta
}

func (ta *testAuthority) config() *config.Config { return ta.cfg.Load() }

func (ta *testAuthority) loadConfig(c *config.Config) error {
	ta.cfg.Store(c)
	ta.ForgetIssued()
	return nil
}
