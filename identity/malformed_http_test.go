package identity

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
)

// An endpoint that answers with a malformed header is named for what it
// does, not as one dropping connections.
func TestMalformedHTTPAnswerNamed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				c.Write([]byte("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate Basic realm=/x.key\r\nContent-Length: 0\r\n\r\n"))
			}()
		}
	}()
	u := "http://" + l.Addr().String()
	c := newHostCred(t, map[string]string{"IDENTITY_ENDPOINT": u + "/metadata/identity/oauth2/token", "IMDS_ENDPOINT": u}, Options{})
	_, err = c.Token(context.Background(), armRes)
	if err == nil || !strings.Contains(err.Error(), "answers with malformed HTTP") || strings.Contains(err.Error(), "dropping connections") {
		t.Fatalf("err = %v", err)
	}
}
