package emulator

import (
	"net"
	"sync"
	"sync/atomic"
)

// connLimit is a listener that serves at most max connections at once: a
// connection accepted beyond that is closed at once (the client sees the
// connection closed without an answer) instead of queueing, so a flood of
// idle connections cannot exhaust the process.
type connLimit struct {
	net.Listener
	max  int64
	open atomic.Int64
}

func limitConns(ln net.Listener, max int) net.Listener {
	return &connLimit{Listener: ln, max: int64(max)}
}

func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			_ = c.Close()
			continue
		}
		return &countedConn{Conn: c, l: l}, nil
	}
}

// countedConn gives its slot back when closed, once.
type countedConn struct {
	net.Conn
	l    *connLimit
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// NetConn is the connection below the count (for the reset fault).
func (c *countedConn) NetConn() net.Conn { return c.Conn }
