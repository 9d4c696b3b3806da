package config

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// HostSettings fixes what a non-IMDS host would otherwise pick at random
// on every start, so that the same environment lines (an env file, a
// compose file, a CI config) work on every start:
//
//	"hosts": {
//	  "appservice":    {"address": "127.0.0.1:41056", "secret": "…"},
//	  "servicefabric": {"address": "127.0.0.1:2377", "secret": "…", "certificate": "sf.pem"}
//	}
//
// They are read when the emulator starts; a configuration loaded later
// does not move listeners or change secrets.
type HostSettings struct {
	// Address is host:port to listen on (Options.Hosts' "name=addr" wins).
	Address string `json:"address,omitempty"`
	// Secret is the host's IDENTITY_HEADER or MSI_SECRET: 16–256 visible
	// ASCII characters.
	Secret string `json:"secret,omitempty"`
	// Certificate (Service Fabric) is a PEM file holding the certificate
	// and its private key; IDENTITY_SERVER_THUMBPRINT is its SHA-1.
	Certificate string `json:"certificate,omitempty"`
}

// Which settings each host has: every listener has an address; these take
// a secret; Service Fabric alone a certificate.
var (
	hostsWithAddress = []string{"appservice", "appservice2017", "azureml", "cloudshell", "arc", "servicefabric", "containerapps"}
	hostsWithSecret  = []string{"appservice", "appservice2017", "azureml", "servicefabric", "containerapps"}
)

// Secret bounds: long enough not to be guessed, short enough for a header.
const (
	minHostSecret = 16
	maxHostSecret = 256
)

func (c *Config) checkHosts() error {
	names := make([]string, 0, len(c.Hosts))
	for n := range c.Hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h, f := c.Hosts[n], "hosts."+n
		if !slices.Contains(hostsWithAddress, n) {
			return cfgErr("hosts", "%q is not a host with settings; use %s", n, strings.Join(hostsWithAddress, ", "))
		}
		if h.Address != "" {
			if err := CheckHostAddress(h.Address); err != nil {
				return cfgErr(f+".address", "%v", err)
			}
		}
		if h.Secret != "" {
			if !slices.Contains(hostsWithSecret, n) {
				return cfgErr(f+".secret", "%s has no secret", n)
			}
			if err := checkHostSecret(h.Secret); err != nil {
				return cfgErr(f+".secret", "%v", err)
			}
		}
		if h.Certificate != "" && n != "servicefabric" {
			return cfgErr(f+".certificate", "only servicefabric takes a certificate")
		}
		if strings.ContainsAny(h.Certificate, "\x00\r\n") {
			return cfgErr(f+".certificate", "is not a file name")
		}
	}
	return nil
}

// CheckHostAddress checks a listen address: host:port with a numeric port
// (0 picks one).
func CheckHostAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:41056)", clipValue(addr))
	}
	if len(addr) > 300 {
		return fmt.Errorf("%q is too long for an address", clipValue(addr))
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q: the port must be a number from 0 to 65535", clipValue(addr))
	}
	if host == "" {
		return fmt.Errorf("%q has no host; use 127.0.0.1:%s", clipValue(addr), clipValue(port))
	}
	return nil
}

// checkHostSecret: the value never appears in the error.
func checkHostSecret(s string) error {
	if len(s) < minHostSecret || len(s) > maxHostSecret {
		return fmt.Errorf("must be %d to %d characters, got %d", minHostSecret, maxHostSecret, len(s))
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("must be visible ASCII characters (no spaces or control characters)")
		}
	}
	return nil
}

func clipValue(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
