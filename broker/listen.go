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
	srv := &http.Server{
		Handler:           b,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
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
		b.mu.Unlock()
		l.Close()
		return ErrClosed
	}
	b.servers[srv] = struct{}{}
	b.mu.Unlock()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return http.ErrServerClosed
	}
	return err
}
