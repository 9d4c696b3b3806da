package config

import (
	"strings"
	"testing"
)

func TestHostSettings(t *testing.T) {
	const secret = "fixed-secret-0123456789"
	withHosts := func(h map[string]any) []byte {
		return mutate(t, func(m map[string]any) { m["hosts"] = h })
	}
	c, err := Parse(withHosts(map[string]any{
		"appservice":    map[string]any{"address": "127.0.0.1:41056", "secret": secret},
		"servicefabric": map[string]any{"address": "[::1]:2377", "secret": secret, "certificate": "sf.pem"},
		"cloudshell":    map[string]any{"address": "localhost:0"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Hosts["appservice"] != (HostSettings{Address: "127.0.0.1:41056", Secret: secret}) || c.Hosts["servicefabric"].Certificate != "sf.pem" {
		t.Fatalf("hosts = %+v", c.Hosts)
	}
	cp := c.Clone()
	cp.Hosts["appservice"] = HostSettings{}
	if c.Hosts["appservice"].Secret != secret {
		t.Fatal("Clone shares the hosts map")
	}
	for _, tt := range []struct {
		name  string
		hosts map[string]any
		want  string
	}{
		{"unknown host", map[string]any{"lambda": map[string]any{}}, `hosts: "lambda" is not a host with settings`},
		{"imds", map[string]any{"imds": map[string]any{"address": "127.0.0.1:1"}}, `"imds" is not a host with settings`},
		{"address without port", map[string]any{"appservice": map[string]any{"address": "127.0.0.1"}}, "hosts.appservice.address: \"127.0.0.1\" is not host:port"},
		{"port not a number", map[string]any{"arc": map[string]any{"address": "127.0.0.1:http"}}, "hosts.arc.address"},
		{"port too large", map[string]any{"arc": map[string]any{"address": "127.0.0.1:70000"}}, "0 to 65535"},
		{"no host", map[string]any{"arc": map[string]any{"address": ":80"}}, "has no host"},
		{"short secret", map[string]any{"appservice": map[string]any{"secret": "short"}}, "hosts.appservice.secret: must be 16 to 256 characters, got 5"},
		{"secret with space", map[string]any{"azureml": map[string]any{"secret": "0123456789 abcdef"}}, "visible ASCII"},
		{"cloud shell has no secret", map[string]any{"cloudshell": map[string]any{"secret": secret}}, "cloudshell has no secret"},
		{"certificate elsewhere", map[string]any{"appservice": map[string]any{"certificate": "x.pem"}}, "only servicefabric takes a certificate"},
		{"unknown field", map[string]any{"appservice": map[string]any{"port": 1}}, "unknown field"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(withHosts(tt.hosts))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "0123456789 abcdef") {
				t.Fatalf("the secret is in the error: %v", err)
			}
		})
	}
}
