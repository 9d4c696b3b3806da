package faults

import (
	"errors"
	"net"
	"sync"
	"time"
)

// gateListener is a listener that can stop listening and start again on the
// same address, to emulate an endpoint that is not up yet (the down fault):
// while down, nothing is bound, so clients get "connection refused" exactly
// as from a service that has not started. http.Server sees one listener
// throughout; an accept goroutine per bound listener hands connections over.
type gateListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}

	mu     sync.Mutex
	cur    net.Listener // nil while down
	closed bool
	wg     sync.WaitGroup
	onErr  func(error)
}

func newGateListener(ln net.Listener, onErr func(error)) *gateListener {
	g := &gateListener{addr: ln.Addr(), conns: make(chan net.Conn), done: make(chan struct{}), onErr: onErr}
	g.cur = ln
	g.startLocked(ln)
	return g
}

func (g *gateListener) startLocked(ln net.Listener) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					continue
				}
				if errors.Is(err, net.ErrClosed) {
					return
				}
				// EMFILE and the like: back off briefly unless closed.
				select {
				case <-g.done:
					return
				case <-time.After(5 * time.Millisecond):
				}
				g.mu.Lock()
				stale := g.cur != ln
				g.mu.Unlock()
				if stale {
					return
				}
				continue
			}
			select {
			case g.conns <- c:
			case <-g.done:
				_ = c.Close()
				return
			}
		}
	}()
}

// Accept returns the next connection from whichever listener is bound.
func (g *gateListener) Accept() (net.Conn, error) {
	select {
	case c := <-g.conns:
		return c, nil
	case <-g.done:
		return nil, net.ErrClosed
	}
}

// Close stops listening for good and waits for the accept goroutines.
func (g *gateListener) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	close(g.done)
	if g.cur != nil {
		_ = g.cur.Close()
		g.cur = nil
	}
	g.mu.Unlock()
	g.wg.Wait()
	return nil
}

func (g *gateListener) Addr() net.Addr { return g.addr }

// setDown unbinds (down=true) or binds again (down=false). Binding may fail
// if another process took the port meanwhile; the caller retries.
func (g *gateListener) setDown(down bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	switch {
	case down && g.cur != nil:
		err := g.cur.Close()
		g.cur = nil
		return err
	case !down && g.cur == nil:
		ln, err := net.Listen("tcp", g.addr.String())
		if err != nil {
			return err
		}
		g.cur = ln
		g.startLocked(ln)
	}
	return nil
}

// Gate wraps a family's raw listener (before any TLS) so the down fault can
// unbind it. The current spec's down window is applied at once.
func (fi *Injector) Gate(family string, ln net.Listener) net.Listener {
	g := newGateListener(ln, func(err error) {
		fi.logger.Error("fault injection: rebinding the listener failed; retrying", "family", family, "err", err)
	})
	fi.mu.Lock()
	fi.gates[family] = append(fi.gates[family], g)
	fi.applyDownLocked()
	fi.mu.Unlock()
	return g
}

// downPoll is how often the poller checks the server clock for the end of a
// down window (the clock may be fake, so no timer can be used).
const downPoll = 10 * time.Millisecond

// applyDownLocked brings each gated family down or up for the current spec
// and starts the poller while a window is open. fi.mu is held.
func (fi *Injector) applyDownLocked() {
	if fi.closed {
		return
	}
	if fi.refreshDownLocked() && fi.poll == nil {
		stop := make(chan struct{})
		fi.poll = stop
		fi.wg.Add(1)
		go fi.pollDown(stop)
	}
}

// refreshDownLocked binds or unbinds every gate for the current time and
// reports whether a window is still open (or a rebind failed).
func (fi *Injector) refreshDownLocked() (pending bool) {
	now := fi.now()
	for fam, gs := range fi.gates {
		down := false
		if fi.spec != nil {
			if ff, ok := fi.spec.Families[fam]; ok && ff.Down > 0 && now.Before(fi.since.Add(ff.Down)) {
				down = true
			}
		}
		for _, g := range gs {
			if err := g.setDown(down); err != nil && !down {
				g.onErr(err)
				pending = true
			}
		}
		pending = pending || down
	}
	return pending
}

// pollDown re-evaluates down windows until none is open or stop closes.
func (fi *Injector) pollDown(stop chan struct{}) {
	defer fi.wg.Done()
	t := time.NewTicker(downPoll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		fi.mu.Lock()
		if fi.poll != stop {
			fi.mu.Unlock()
			return
		}
		if !fi.refreshDownLocked() {
			fi.poll = nil
			fi.mu.Unlock()
			return
		}
		fi.mu.Unlock()
	}
}

// Close stops the poller and waits for it; the gates are closed by their
// http.Servers.
func (fi *Injector) Close() {
	fi.mu.Lock()
	fi.closed = true
	if fi.poll != nil {
		close(fi.poll)
		fi.poll = nil
	}
	fi.mu.Unlock()
	fi.wg.Wait()
}
