package emulator

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A body sent too slowly is cut off by the read deadline instead of
// holding the connection: the server answers or closes, and the client is
// not left waiting.
func TestSlowBodyCutOff(t *testing.T) {
	s := startIdentityServer(t, Options{ARMAddr: "-", readTimeout: 300 * time.Millisecond})
	c, err := net.Dial("tcp", strings.TrimPrefix(s.IMDSEndpoint(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Headers promise 1000 bytes; 10 arrive, then nothing.
	if _, err := io.WriteString(c, "POST /_emulator/config HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"tenant\":"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang detector, not a speed check
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("slow body answered %d, want 400", resp.StatusCode)
		}
		return
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept a slowly sent body's connection open")
	}
}

// A listener serves at most maxConns connections: one more is closed at
// once, and a freed slot is served again.
func TestConnectionLimit(t *testing.T) {
	s := startIdentityServer(t, Options{ARMAddr: "-", maxConns: 3})
	addr := strings.TrimPrefix(s.IMDSEndpoint(), "http://")
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	healthz := func(c net.Conn) (int, error) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET /_emulator/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		if code, err := healthz(c); err != nil || code != 200 {
			t.Fatalf("connection %d: %d %v", i+1, code, err)
		}
	}
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := healthz(extra); err == nil {
		t.Fatalf("a fourth connection was served (%d); the limit is 3", code)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the fourth connection hung instead of being closed")
	}
	extra.Close()
	held[0].Close()
	held = held[1:]
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		code, err := healthz(c)
		held = append(held, c)
		if err == nil && code == 200 {
			break
		}
		c.Close()
		held = held[:len(held)-1]
		if time.Now().After(deadline) {
			t.Fatal("a freed slot was never served again")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
