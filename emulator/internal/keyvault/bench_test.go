package keyvault

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkGetSecret is the data plane's own cost of one secret get
// (routing, auth decision, lookup, encoding), without TLS or the token's
// signature check.
func BenchmarkGetSecret(b *testing.B) {
	e := newEnv(b, func(o *Options) { o.Logger = nil }) // the emulator's default: discard
	e.set(base+"/secrets/db-password"+av, "s3cr3t")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", base+"/secrets/db-password/"+av, nil)
			req.Header.Set("Authorization", "Bearer "+tokUser)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}
