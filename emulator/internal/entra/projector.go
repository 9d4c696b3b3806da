package entra

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// minLifetime is Kubernetes' minimum expirationSeconds for projected
// tokens (10 minutes).
const minLifetime = 10 * time.Minute

// rotateAt is the share of the lifetime after which the kubelet rewrites a
// projected token (ServiceAccountTokenProjection: 80 % of the TTL, or 24 h).
const rotateAt = 0.8

// maxRotationAge is the kubelet's other bound: a token older than 24 h is
// rewritten whatever its TTL.
const maxRotationAge = 24 * time.Hour

// ProjectorOptions configure a Projector.
type ProjectorOptions struct {
	Issuer         *Issuer        // required
	Path           string         // required: the file AZURE_FEDERATED_TOKEN_FILE names
	ServiceAccount ServiceAccount // required: namespace and name
	Lifetime       time.Duration  // exp - iat; zero means DefaultLifetime; at least 10 minutes
	Clock          Clock          // nil means the wall clock
	Logger         *slog.Logger   // nil means discard; the token is never logged
}

// Projector stands in for the kubelet: it keeps a projected
// service-account token in a file, writing it atomically (a temporary file
// renamed over the old one, mode 0600) and rewriting it before it expires
// from a goroutine started by Start and stopped by Close.
type Projector struct {
	o ProjectorOptions

	mu      sync.Mutex
	faults  Faults
	issued  time.Time // iat of the token in the file
	expires time.Time
	written time.Time // when it was written (iat, except for an expired one)
	writes  int
	wakes   int // timer wake-ups the loop handled (tests wait on it)
	gen     int // SetFaults calls
	armed   int // gen when the loop last armed its timer

	kick     chan struct{} // wakes the rotation loop after SetFaults
	stop     chan struct{}
	done     chan struct{}
	started  bool
	stopOnce sync.Once
}

// NewProjector checks o. It writes nothing: call Write or Start.
func NewProjector(o ProjectorOptions) (*Projector, error) {
	if o.Issuer == nil {
		return nil, errors.New("entra: projector without an issuer")
	}
	if o.Path == "" {
		return nil, errors.New("entra: projector without a token file path; give the path AZURE_FEDERATED_TOKEN_FILE will name")
	}
	if err := o.ServiceAccount.validate(); err != nil {
		return nil, err
	}
	if o.Lifetime == 0 {
		o.Lifetime = DefaultLifetime
	}
	if o.Lifetime < minLifetime {
		return nil, fmt.Errorf("entra: projected token lifetime %s is below Kubernetes' minimum of 10m", o.Lifetime)
	}
	o.Clock = orWall(o.Clock)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Projector{
		o:    o,
		kick: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}, nil
}

// Path is the token file.
func (p *Projector) Path() string { return p.o.Path }

// Written reports the iat and exp of the token last written and how many
// times the file was written.
func (p *Projector) Written() (issued, expires time.Time, writes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.issued, p.expires, p.writes
}

// Write mints a token now (shaped by the current faults) and replaces the
// file with it.
func (p *Projector) Write() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writeLocked()
}

func (p *Projector) writeLocked() error {
	now := p.o.Clock.Now()
	mo := MintOptions{Lifetime: p.o.Lifetime, IssuedAt: now}
	if p.faults.ExpiredFile {
		mo.IssuedAt = now.Add(-p.o.Lifetime - expiredBy)
	}
	if p.faults.WrongAudience {
		mo.Audience = WrongAudienceValue
	}
	raw, exp, err := p.o.Issuer.Mint(p.o.ServiceAccount, mo)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(p.o.Path, []byte(raw)); err != nil {
		return err
	}
	p.issued, p.expires, p.written = mo.IssuedAt.Truncate(time.Second), exp, now
	p.writes++
	p.o.Logger.Debug("entra: projected token written", "path", p.o.Path, "exp", exp.UTC().Format(time.RFC3339))
	return nil
}

// writeFileAtomic writes data to a temporary file next to path with mode
// 0600 and renames it over path, so a reader sees the old token or the new
// one, never a part of either. The directory is created (0700) if missing.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("entra: creating the token folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("entra: writing the token file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil { // CreateTemp uses 0600 already; a umask cannot widen it, but say so
		return fmt.Errorf("entra: token file mode: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("entra: writing the token file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("entra: writing the token file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("entra: writing the token file: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("entra: replacing the token file: %w", err)
	}
	return nil
}

// SetFaults installs f. A change of ExpiredFile or WrongAudience rewrites
// the file at once so the fault is visible to the next reader; clearing
// RotationStopped lets the loop catch up (rewriting at once if overdue).
func (p *Projector) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	p.mu.Lock()
	old := p.faults
	p.faults = f
	p.gen++
	var err error
	if p.writes > 0 && (old.ExpiredFile != f.ExpiredFile || old.WrongAudience != f.WrongAudience) {
		err = p.writeLocked()
	}
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
	return err
}

// Start writes the token file and starts rotating it. Call Close to stop.
func (p *Projector) Start() error {
	p.mu.Lock()
	if p.started {
		p.mu.Unlock()
		return errors.New("entra: projector already started")
	}
	select {
	case <-p.stop:
		p.mu.Unlock()
		return errors.New("entra: projector closed")
	default:
	}
	if err := p.writeLocked(); err != nil {
		p.mu.Unlock()
		return err
	}
	p.started = true
	p.mu.Unlock()
	go p.rotate()
	return nil
}

// nextRotationLocked is when the kubelet would rewrite the current token:
// at 80 % of the lifetime after it was written, at most 24 h later.
func (p *Projector) nextRotationLocked() time.Time {
	wait := time.Duration(float64(p.o.Lifetime) * rotateAt)
	if wait > maxRotationAge {
		wait = maxRotationAge
	}
	return p.written.Add(wait)
}

func (p *Projector) rotate() {
	defer close(p.done)
	for {
		p.mu.Lock()
		// Armed under the lock, so a clock moved by another goroutine
		// sees the timer of the current state.
		timer := p.o.Clock.After(p.nextRotationLocked().Sub(p.o.Clock.Now()))
		p.armed = p.gen
		p.mu.Unlock()
		select {
		case <-p.stop:
			return
		case <-p.kick:
			continue // faults changed: recompute
		case <-timer:
		}
		p.mu.Lock()
		p.wakes++
		if !p.faults.RotationStopped && !p.o.Clock.Now().Before(p.nextRotationLocked()) {
			if err := p.writeLocked(); err != nil {
				p.o.Logger.Warn("entra: rotating the projected token failed", "path", p.o.Path, "err", err)
			}
		}
		stopped := p.faults.RotationStopped
		p.mu.Unlock()
		if stopped {
			// Wait for a fault change or Close rather than spinning on an
			// overdue deadline.
			select {
			case <-p.stop:
				return
			case <-p.kick:
			}
		}
	}
}

// Close stops the rotation goroutine and waits for it. The file stays. It
// is safe to call more than once, and before Start.
func (p *Projector) Close() error {
	p.stopOnce.Do(func() { close(p.stop) })
	p.mu.Lock()
	started := p.started
	p.mu.Unlock()
	if started {
		<-p.done
	}
	return nil
}
