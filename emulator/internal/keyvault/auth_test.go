package keyvault

import (
	"net/url"
	"strings"
	"testing"
)

func TestChallengeWithoutToken(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, url, want string
	}{
		{"public", base + "/secrets/db-password/" + av,
			`Bearer authorization="https://login.microsoftonline.com/aaaaaaaa-0000-4000-8000-000000000001", resource="https://vault.azure.net"`},
		{"public port 443", "https://KV1.vault.azure.net:443/secrets" + av,
			`Bearer authorization="https://login.microsoftonline.com/aaaaaaaa-0000-4000-8000-000000000001", resource="https://vault.azure.net"`},
		{"loopback with port", "https://kv1.vault.localhost:8443/secrets/x" + av,
			`Bearer authorization="https://login.microsoftonline.com/aaaaaaaa-0000-4000-8000-000000000001", resource="https://vault.localhost:8443"`},
		{"loopback without port", "https://kv1.vault.localhost/secrets/x" + av,
			`Bearer authorization="https://login.microsoftonline.com/aaaaaaaa-0000-4000-8000-000000000001", resource="https://vault.localhost"`},
		{"no api-version still challenged", base + "/secrets/x", // the SDKs' first request must always get the challenge
			`Bearer authorization="https://login.microsoftonline.com/aaaaaaaa-0000-4000-8000-000000000001", resource="https://vault.azure.net"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("GET", c.url, "", nil)
			mustStatus(t, r, 401)
			if got := r.header.Get("WWW-Authenticate"); got != c.want {
				t.Errorf("WWW-Authenticate = %s\nwant %s", got, c.want)
			}
			if code, _ := r.errCode(t); code != "Unauthorized" {
				t.Errorf("code %q", code)
			}
			if msg := r.errMessage(t); msg != "AKV10000: Request is missing a Bearer or PoP token." {
				t.Errorf("message %q", msg)
			}
		})
	}
}

func TestChallengeNamesConfiguredAuthority(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Authority = "https://127.0.0.1:8443/" })
	r := e.do("PUT", base+"/secrets/x"+av, "", nil)
	want := `Bearer authorization="https://127.0.0.1:8443/aaaaaaaa-0000-4000-8000-000000000001", resource="https://vault.azure.net"`
	if got := r.header.Get("WWW-Authenticate"); got != want {
		t.Fatalf("got %s", got)
	}
}

// TestChallengePassesSDKVerification applies the rules the SDKs apply to
// a challenge (read from their sources: Go keyvault/internal compares
// URL.Host with the port, JS compares hostnames, Python compares netloc
// case-insensitively) to the emulator's challenge for both host forms.
func TestChallengePassesSDKVerification(t *testing.T) {
	e := newEnv(t)
	for _, vaultURL := range []string{"https://kv1.vault.azure.net", "https://kv1.vault.localhost:8443", "https://kv1.vault.localhost"} {
		r := e.do("GET", vaultURL+"/secrets/x/"+av, "", nil)
		hdr := r.header.Get("WWW-Authenticate")
		_, after, _ := strings.Cut(hdr, `resource="`)
		resource, _, _ := strings.Cut(after, `"`)
		res, err := url.Parse(resource)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := url.Parse(vaultURL)
		if !strings.HasSuffix(req.Host, "."+res.Host) {
			t.Errorf("%s: Go azsecrets would refuse resource %s", vaultURL, resource)
		}
		if !strings.HasSuffix(req.Hostname(), "."+res.Hostname()) {
			t.Errorf("%s: @azure/keyvault-secrets would refuse resource %s", vaultURL, resource)
		}
		if !strings.HasSuffix(strings.ToLower(req.Host), "."+strings.ToLower(res.Host)) {
			t.Errorf("%s: azure-keyvault-secrets would refuse resource %s", vaultURL, resource)
		}
		// Go reads the tenant as the 4th "/"-separated part of authorization.
		_, auth, _ := strings.Cut(hdr, `authorization="`)
		auth, _, _ = strings.Cut(auth, `"`)
		if parts := strings.Split(auth, "/"); len(parts) < 4 || parts[3] != tenant {
			t.Errorf("%s: tenant not at the 4th part of %s", vaultURL, auth)
		}
	}
}

func TestTokenRefusals(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, url, header, wantMsg string
	}{
		{"ARM audience", base + "/secrets/x" + av, "Bearer " + tokARM,
			"AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com/."},
		{"other tenant", base + "/secrets/x" + av, "Bearer " + tokOtherTen,
			"AKV10032: Invalid issuer. Expected one of https://sts.windows.net/aaaaaaaa-0000-4000-8000-000000000001/, found https://sts.windows.net/eeeeeeee-0000-4000-8000-000000000009/."},
		{"loopback audience on the public host", base + "/secrets/x" + av, "Bearer " + tokLoopback,
			"AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://vault.localhost:8443."},
		{"loopback audience for another port", "https://kv1.vault.localhost:9443/secrets/x" + av, "Bearer " + tokLoopback,
			"AKV10022: Invalid audience. Expected https://vault.localhost:9443, found: https://vault.localhost:8443."},
		{"not bearer", base + "/secrets/x" + av, "Basic Zm9vOmJhcg==",
			"AKV10001: The Authorization header must be 'Bearer <token>'."},
		{"unverifiable", base + "/secrets/x" + av, "Bearer " + tokBroken,
			"AKV10010: Token validation failed: the token [token] is not signed by a known key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.doHeader("GET", c.url, c.header)
			mustStatus(t, r, 401)
			if r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without a challenge")
			}
			if got := r.errMessage(t); got != c.wantMsg {
				t.Errorf("message %q\nwant    %q", got, c.wantMsg)
			}
			if strings.Contains(string(r.body), tokBroken) {
				t.Error("the token is echoed")
			}
		})
	}
}

func TestLoopbackAcceptsBothAudiences(t *testing.T) {
	e := newEnv(t)
	for _, tok := range []string{tokLoopback, tokOwner} {
		r := e.do("PUT", "https://kv1.vault.localhost:8443/secrets/s1"+av, tok, map[string]any{"value": "v"})
		mustStatus(t, r, 200)
		id, _ := r.json(t)["id"].(string)
		if !strings.HasPrefix(id, "https://kv1.vault.localhost:8443/secrets/s1/") {
			t.Errorf("id %q does not use the loopback host", id)
		}
	}
}

func TestRBACRefusals(t *testing.T) {
	e := newEnv(t)
	e.set(base+"/secrets/db-password"+av, "s3cr3t")

	// A Reader (control plane only) reading a secret.
	r := e.do("GET", base+"/secrets/db-password/"+av, tokReader, nil)
	mustStatus(t, r, 403)
	if code, inner := r.errCode(t); code != "Forbidden" || inner != "ForbiddenByRbac" {
		t.Fatalf("codes %q/%q", code, inner)
	}
	lines := strings.Split(r.errMessage(t), "\r\n")
	want := []string{
		"Caller is not authorized to perform action on resource.",
		"If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
		"Caller: appid=cccccccc-0000-4000-8000-000000000003;oid=dddddddd-0000-4000-8000-000000000005;iss=https://sts.windows.net/aaaaaaaa-0000-4000-8000-000000000001/",
		"Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'",
		"Resource: '/subscriptions/bbbbbbbb-0000-4000-8000-000000000002/resourcegroups/rg1/providers/microsoft.keyvault/vaults/kv1/secrets/db-password'",
		"Assignment: (not found)",
		"DenyAssignmentId: null",
		"DecisionReason: 'DeniedWithNoValidRBAC' ",
		"Vault: kv1;location=westeurope",
		"",
	}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("message lines:\n%q\nwant\n%q", lines, want)
	}

	// Secrets User reads and lists but may not write.
	mustStatus(t, e.do("GET", base+"/secrets/db-password"+av, tokUser, nil), 200)
	mustStatus(t, e.do("GET", base+"/secrets"+av, tokUser, nil), 200)
	r = e.do("PUT", base+"/secrets/db-password"+av, tokUser, map[string]any{"value": "x"})
	mustStatus(t, r, 403)
	if !strings.Contains(r.errMessage(t), "Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'") {
		t.Errorf("set refusal does not name setSecret: %s", r.errMessage(t))
	}
	for _, c := range []struct{ method, path, action string }{
		{"DELETE", "/secrets/db-password", ActionDelete},
		{"PATCH", "/secrets/db-password/", ActionUpdate},
		{"POST", "/deletedsecrets/db-password/recover", ActionRecover},
		{"DELETE", "/deletedsecrets/db-password", ActionPurge},
	} {
		r := e.do(c.method, base+c.path+av, tokUser, nil)
		mustStatus(t, r, 403)
		if !strings.Contains(r.errMessage(t), "Action: '"+c.action+"'") {
			t.Errorf("%s %s: refusal does not name %s", c.method, c.path, c.action)
		}
	}

	// Scopes asked: the secret for secret operations, the vault for lists.
	e.authz.asked = nil
	e.do("GET", base+"/secrets/db-password"+av, tokUser, nil)
	e.do("GET", base+"/secrets"+av, tokUser, nil)
	want = []string{ActionGetSecret + " @ " + vaultID + "/secrets/db-password", ActionReadMetadata + " @ " + vaultID}
	if strings.Join(e.authz.asked, "|") != strings.Join(want, "|") {
		t.Errorf("asked %q\nwant %q", e.authz.asked, want)
	}
}

func TestRBACWithoutAuthorizerRefuses(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Authorizer = nil })
	r := e.do("GET", base+"/secrets"+av, tokOwner, nil)
	mustStatus(t, r, 403)
}

func TestAccessPolicies(t *testing.T) {
	e := newEnv(t)
	pol := "https://kvpol.vault.azure.net"
	mustStatus(t, e.do("PUT", pol+"/secrets/a"+av, tokOwner, map[string]any{"value": "1"}), 200) // "all"
	mustStatus(t, e.do("GET", pol+"/secrets/a"+av, tokUser, nil), 200)                           // "Get" (case-insensitive)
	r := e.do("GET", pol+"/secrets"+av, tokUser, nil)
	mustStatus(t, r, 403)
	if code, inner := r.errCode(t); code != "Forbidden" || inner != "AccessDenied" {
		t.Fatalf("codes %q/%q", code, inner)
	}
	want := "The user, group or application 'appid=cccccccc-0000-4000-8000-000000000003;oid=dddddddd-0000-4000-8000-000000000006;iss=https://sts.windows.net/aaaaaaaa-0000-4000-8000-000000000001/' does not have secrets list permission on key vault 'kvpol;location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287"
	if got := r.errMessage(t); got != want {
		t.Errorf("message %q", got)
	}
	// RBAC grants do not count on an access-policy vault.
	mustStatus(t, e.do("GET", pol+"/secrets/a"+av, tokReader, nil), 403)
}
