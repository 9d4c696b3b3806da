package entra

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseTokenForm: any body either parses into a request whose required
// fields are all present, or yields an Entra error with a 4xx status; never
// a panic, and the error never echoes the assertion.
func FuzzParseTokenForm(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "client_id=c&grant_type=client_credentials&scope=https%3A%2F%2Fmanagement.azure.com%2F.default+openid&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "grant_type=password")
	f.Add("application/x-www-form-urlencoded", "grant_type=%zz")
	f.Add("text/plain", "grant_type=client_credentials")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r, ferr := parseTokenForm(contentType, []byte(body))
		if ferr != nil {
			if ferr.Status < 400 || ferr.Status > 499 || ferr.Code == "" || ferr.AADSTS == 0 {
				t.Fatalf("bad error %+v", ferr)
			}
			if len(r.Assertion) > 8 && strings.Contains(ferr.Message, r.Assertion) {
				t.Fatalf("the error echoes the assertion: %s", ferr.Message)
			}
			return
		}
		if r.GrantType != GrantClientCredentials || r.ClientID == "" || r.Scope == "" || r.Assertion == "" || r.AssertionType != AssertionTypeJWTBearer {
			t.Fatalf("accepted an incomplete request %+v", r)
		}
		if res, serr := resourceOf(r.Scope); serr == nil && (res == "" || strings.Contains(res, " ")) {
			t.Fatalf("resource %q from scope %q", res, r.Scope)
		}
	})
}

// FuzzParseAssertion: any string either parses into an assertion with the
// claims the endpoint relies on, or is refused with an error that does not
// quote it; verifying a parsed assertion against a real key never panics.
func FuzzParseAssertion(f *testing.F) {
	iss, err := NewIssuer(issuerURL, nil)
	if err != nil {
		f.Fatal(err)
	}
	good, _, err := iss.Mint(workloadSA, MintOptions{IssuedAt: time.Unix(1767268800, 0)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJ4Iiwic3ViIjoieSIsImF1ZCI6ImEiLCJleHAiOjF9.c2ln")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJ4Iiwic3ViIjoieSIsImF1ZCI6WzFdLCJleHAiOiIxIn0.c2ln")
	f.Add("a.b")
	f.Add("")
	key, _ := iss.PublicKey(iss.URL(), iss.KeyID())
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := parseAssertion(raw)
		if err != nil {
			if len(raw) > 16 && strings.Contains(err.Error(), raw) {
				t.Fatalf("the error quotes the assertion: %v", err)
			}
			return
		}
		if a.Issuer == "" || a.Subject == "" || len(a.Audiences) == 0 || a.Expiry.IsZero() || a.KeyID == "" || len(a.sig) == 0 {
			t.Fatalf("accepted an assertion without the required claims: %+v", a)
		}
		if a.verify(key) == nil && raw != good {
			t.Fatalf("a mutated assertion verified: %q", raw)
		}
	})
}
