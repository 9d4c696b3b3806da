package broker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSocketMode is the file mode of the broker's Unix socket: owner
// and group may connect. The socket's permissions are the access control.
const DefaultSocketMode fs.FileMode = 0o660

// LoopbackAddr checks that addr is a loopback address ("127.0.0.1:PORT",
// "[::1]:PORT" or "localhost:PORT") and returns it with localhost spelled
// 127.0.0.1. The broker listens only there (whoever can connect gets
// tokens), and clients of its stats route connect only there.
func LoopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("broker: address %q: %v; expected 127.0.0.1:PORT", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("broker: address %q: bad port %q", addr, port)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	} else if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("broker: address %q is not loopback; the broker hands tokens to whoever connects, so it is only ever on 127.0.0.1, ::1 or a Unix socket", addr)
	}
	return net.JoinHostPort(host, port), nil
}

// ListenTCP listens on addr, which must be a loopback address (see
// LoopbackAddr; port 0 picks one). Anything else is refused.
func ListenTCP(addr string) (net.Listener, error) {
	a, err := LoopbackAddr(addr)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", a)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	return l, nil
}

// ListenUnix listens on a Unix socket at path with file mode mode (0 →
// DefaultSocketMode). The socket is created under a temporary name, given
// its mode, then renamed into place, so it is never reachable with looser
// permissions. A stale socket at path (nothing listening) is replaced; a
// live one or any other file is an error. Closing the listener removes
// the socket.
func ListenUnix(path string, mode fs.FileMode) (net.Listener, error) {
	if mode == 0 {
		mode = DefaultSocketMode
	}
	if mode&^fs.ModePerm != 0 {
		return nil, fmt.Errorf("broker: socket mode %#o has bits beyond permissions", mode)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("broker: %s exists and is not a socket; remove it or choose another --socket path", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("broker: something is already listening on %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("broker: removing the stale socket: %w", err)
		}
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d.tmp", filepath.Base(path), os.Getpid()))
	_ = os.Remove(tmp)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	l.SetUnlinkOnClose(false)
	fail := func(err error) (net.Listener, error) {
		l.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	return &unixListener{UnixListener: l, path: path}, nil
}

// limitListener accepts a connection only while fewer than cap(slots) are
// open. At the limit it closes the connection idle longest (kept alive
// between requests: its client reconnects when it needs to); with none
// idle, new clients wait in the kernel's backlog.
type limitListener struct {
	net.Listener
	slots    chan struct{}
	open     *atomic.Int64
	done     chan struct{} // closed by Close
	once     sync.Once
	idleNote chan struct{} // a connection went idle (buffered, 1)

	mu   sync.Mutex
	idle map[net.Conn]time.Time // connections between requests, since when
}

func newLimitListener(l net.Listener, n int, open *atomic.Int64) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, n), open: open, done: make(chan struct{}),
		idleNote: make(chan struct{}, 1), idle: map[net.Conn]time.Time{}}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		select {
		case l.slots <- struct{}{}:
			return l.accept()
		default:
		}
		if l.closeOldestIdle() {
			continue
		}
		select {
		case l.slots <- struct{}{}:
			return l.accept()
		case <-l.idleNote:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
}

func (l *limitListener) accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	l.open.Add(1)
	return &limitConn{Conn: c, release: sync.OnceFunc(func() { l.open.Add(-1); <-l.slots })}, nil
}

// connState is the http.Server's ConnState hook: it keeps the set of idle
// connections.
func (l *limitListener) connState(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	if st == http.StateIdle {
		l.idle[c] = time.Now()
	} else {
		delete(l.idle, c)
	}
	l.mu.Unlock()
	if st == http.StateIdle {
		select {
		case l.idleNote <- struct{}{}:
		default:
		}
	}
}

// closeOldestIdle closes the connection idle longest, freeing its slot.
func (l *limitListener) closeOldestIdle() bool {
	l.mu.Lock()
	var oldest net.Conn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	delete(l.idle, oldest)
	l.mu.Unlock()
	if oldest == nil {
		return false
	}
	_ = oldest.Close()
	return true
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn frees its slot once, on Close.
type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// unixListener removes its socket file on Close.
type unixListener struct {
	*net.UnixListener
	path string
	once sync.Once
}

func (u *unixListener) Close() error {
	err := u.UnixListener.Close()
	u.once.Do(func() { os.Remove(u.path) })
	return err
}

// Serve answers requests on l until Close or Shutdown; it then returns
// http.ErrServerClosed. Connections accepted on a Unix socket are trusted
// as far as the socket's file mode let them in; TCP peers must be loopback.
func (b *Broker) Serve(l net.Listener) error {
	unix := l.Addr().Network() == "unix"
	lim := newLimitListener(l, b.maxConns, &b.openConns)
	srv := &http.Server{
		Handler: b,
		// Requests are small GETs (a body is refused unread): a client
		// gets 10 s to send its headers and 30 s for the whole request.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		IdleTimeout:       2 * time.Minute,
		ConnState:         lim.connState,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelWarn),
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			if unix {
				return context.WithValue(ctx, unixConn{}, true)
			}
			return ctx
		},
	}
	b.mu.Lock()
	if b.closed {
		// Close won the race with a Serve started alongside it: the
		// same outcome as a Close just after, as with net/http.
		b.mu.Unlock()
		l.Close()
		return http.ErrServerClosed
	}
	b.servers[srv] = struct{}{}
	b.mu.Unlock()
	err := srv.Serve(lim)
	if errors.Is(err, http.ErrServerClosed) {
		return http.ErrServerClosed
	}
	return err
}
