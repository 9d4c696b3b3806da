package cli

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/azmsi/azmsi/broker"
)

// DefaultBrokerSocket is where the CLI looks for a token broker when
// AZMSI_BROKER is not set: the socket of the documented systemd unit
// (`azmsi broker --socket /run/azmsi/azmsi.sock`, docs/broker.md).
const DefaultBrokerSocket = "/run/azmsi/azmsi.sock"

// brokerProbeTimeout bounds the connect that checks a broker is there: a
// local socket answers in microseconds, and a missing one must not slow
// every command down.
const brokerProbeTimeout = 250 * time.Millisecond

// brokerChoice is where this invocation gets its tokens from: a broker
// (Endpoint set) or the host's endpoint, and why.
type brokerChoice struct {
	Endpoint string `json:"endpoint,omitempty"` // the broker in use: unix:///path or http://127.0.0.1:PORT
	From     string `json:"from,omitempty"`     // "AZMSI_BROKER" or "the default socket"
	Tried    string `json:"tried,omitempty"`    // the broker looked for, when none is used
	Why      string `json:"why,omitempty"`      // why none is used
}

// chooseBroker decides, once per invocation, whether tokens come from a
// broker, so that a script calling azmsi many times asks the host's
// endpoint once (through the broker's cache) instead of every time:
//  1. --endpoint or --no-broker (or AZMSI_BROKER=off): no broker;
//  2. AZMSI_BROKER (unix:///path, /path or http://127.0.0.1:PORT): that
//     broker, if it answers;
//  3. AZURE_POD_IDENTITY_AUTHORITY_HOST names the endpoint: no broker;
//  4. a broker listening at DefaultBrokerSocket.
//
// When the broker does not answer, the host's endpoint is used.
func (f *Factory) chooseBroker() (brokerChoice, error) {
	if f.brokerChosen {
		return f.brokerChoice, nil
	}
	c, err := f.decideBroker()
	if err != nil {
		return brokerChoice{}, err
	}
	f.brokerChoice, f.brokerChosen = c, true
	if log := f.Logger(); log != nil {
		if c.Endpoint != "" {
			log.Debug("azmsi: tokens from the broker", "broker", c.Endpoint, "from", c.From)
		} else {
			log.Debug("azmsi: no broker; tokens from the host's endpoint", "tried", c.Tried, "why", c.Why)
		}
	}
	return c, nil
}

func (f *Factory) decideBroker() (brokerChoice, error) {
	switch {
	case f.cf.endpoint != "":
		return brokerChoice{Why: "--endpoint names the endpoint"}, nil
	case f.noBroker:
		return brokerChoice{Why: "--no-broker"}, nil
	}
	if v, ok := f.lookupEnv("AZMSI_BROKER"); ok && strings.TrimSpace(v) != "" {
		v = strings.TrimSpace(v)
		switch strings.ToLower(v) {
		case "off", "none", "0", "false", "no":
			return brokerChoice{Why: "AZMSI_BROKER=" + v}, nil
		}
		ep, network, addr, err := parseBrokerAddr(v)
		if err != nil {
			return brokerChoice{}, withHint(flagErrorf("AZMSI_BROKER %q: %v", v, err),
				"set it to unix:///run/azmsi/azmsi.sock, a socket path or http://127.0.0.1:PORT, or to off")
		}
		if f.brokerAnswers(network, addr) {
			return brokerChoice{Endpoint: ep, From: "AZMSI_BROKER"}, nil
		}
		return brokerChoice{Tried: ep, Why: "nothing answers at AZMSI_BROKER; tokens come from the host's endpoint"}, nil
	}
	if v, ok := f.lookupEnv("AZURE_POD_IDENTITY_AUTHORITY_HOST"); ok && strings.TrimSpace(v) != "" {
		return brokerChoice{Why: "AZURE_POD_IDENTITY_AUTHORITY_HOST names the endpoint"}, nil
	}
	path := f.BrokerSocket
	if path == "" {
		path = DefaultBrokerSocket
	}
	if f.brokerAnswers("unix", path) {
		return brokerChoice{Endpoint: "unix://" + path, From: "the default socket"}, nil
	}
	return brokerChoice{Tried: "unix://" + path, Why: "no broker listens at the default socket"}, nil
}

// parseBrokerAddr reads AZMSI_BROKER: a Unix socket (unix:///abs/path or
// /abs/path) or a loopback TCP address (http://127.0.0.1:PORT); a broker
// hands out tokens, so nothing else is ever used.
func parseBrokerAddr(v string) (endpoint, network, addr string, err error) {
	if strings.HasPrefix(v, "/") {
		return "unix://" + v, "unix", v, nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", "", "", fmt.Errorf("not a URL or a socket path")
	}
	switch strings.ToLower(u.Scheme) {
	case "unix":
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") || len(u.Path) < 2 {
			return "", "", "", fmt.Errorf("name the socket by its absolute path, as in unix:///run/azmsi/azmsi.sock")
		}
		return "unix://" + u.Path, "unix", u.Path, nil
	case "http":
		a, err := broker.LoopbackAddr(u.Host)
		if err != nil {
			return "", "", "", err
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			return "", "", "", fmt.Errorf("give the broker's base URL, http://127.0.0.1:PORT")
		}
		return "http://" + a, "tcp", a, nil
	}
	return "", "", "", fmt.Errorf("want unix:///path, /path or http://127.0.0.1:PORT")
}

// brokerAnswers reports whether something accepts connections at the
// broker's address. Nothing is sent. TCP goes through the test client's
// dialer when there is one (loopback-only in tests).
func (f *Factory) brokerAnswers(network, addr string) bool {
	if network == "unix" {
		fi, err := os.Stat(addr)
		if err != nil || fi.Mode()&fs.ModeSocket == 0 {
			return false
		}
	}
	dial := (&net.Dialer{}).DialContext
	if network == "tcp" && f.HTTPClient != nil {
		if t, ok := f.HTTPClient.Transport.(*http.Transport); ok && t.DialContext != nil {
			dial = t.DialContext
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), brokerProbeTimeout)
	defer cancel()
	c, err := dial(ctx, network, addr)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}
