package emulator

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkVaultGetSecret: secret gets over the ARM listener's TLS with
// kept-alive connections and a real (cached) token check, in parallel.
// gets/s = 1e9 / (ns/op).
func BenchmarkVaultGetSecret(b *testing.B) {
	s, err := Start(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	e := &armEnv{s: s, client: s.HTTPClient(), base: s.ARMEndpoint()}
	t := &testing.T{}
	e.t = t
	policy := `{"tenantId":"` + defaultTID + `","sku":{"family":"A","name":"standard"},"enableRbacAuthorization":false,` +
		`"accessPolicies":[{"tenantId":"` + defaultTID + `","objectId":"` + sysObjectID + `","permissions":{"secrets":["get","set"]}}]}`
	r := kvDoB(b, s, "PUT", e.base+vaultARMID+"kv1"+kvAPI, e.token("vm-system"), `{"location":"westeurope","properties":`+policy+`}`)
	if r != http.StatusCreated {
		b.Fatalf("create vault: %d", r)
	}
	tok := e.tokenFor("vm-system", "https://vault.azure.net")
	url := s.VaultURL("kv1") + "secrets/db-password"
	if st := kvDoB(b, s, "PUT", url+kvAPI, tok, `{"value":"s3cr3t"}`); st != 200 {
		b.Fatalf("set: %d", st)
	}
	b.SetParallelism(8) // requests in flight, as many clients would have
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if st := kvDoB(b, s, "GET", url+"/"+kvAPI, tok, ""); st != 200 {
				b.Errorf("get: %d", st)
				return
			}
		}
	})
}

func kvDoB(b *testing.B, s *Server, method, url, token, body string) int {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		b.Error(err)
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
