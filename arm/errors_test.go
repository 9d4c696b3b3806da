package arm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestResponseErrorParsing(t *testing.T) {
	authz := `{"error":{"code":"AuthorizationFailed","message":"The client '11111111-1111-1111-1111-111111111111' with object id '22222222-2222-2222-2222-222222222222' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/read' over scope '/subscriptions/s1/resourcegroups/rg1' or the scope is invalid. If access was recently granted, please refresh your credentials."}}`
	for _, tc := range []struct {
		name     string
		status   int
		header   http.Header
		body     string
		code     string
		contains []string
	}{
		{"not found", 404, nil, `{"error":{"code":"ResourceGroupNotFound","message":"Resource group 'nope' could not be found."}}`,
			"ResourceGroupNotFound", []string{"404 Not Found (ResourceGroupNotFound): Resource group 'nope' could not be found.", "hint: check the resource group name"}},
		{"subscription", 404, nil, `{"error":{"code":"SubscriptionNotFound","message":"The subscription 'x' could not be found."}}`,
			"SubscriptionNotFound", []string{"hint: check the subscription ID"}},
		{"authz", 403, http.Header{"X-Ms-Request-Id": {"rid-1"}}, authz, "AuthorizationFailed", []string{
			"the managed identity (client ID 11111111-1111-1111-1111-111111111111, object ID 22222222-2222-2222-2222-222222222222) lacks permission for Microsoft.Resources/subscriptions/resourcegroups/read on /subscriptions/s1/resourcegroups/rg1 (ARM 403 AuthorizationFailed, request id rid-1)",
			"hint: assign the identity a role that grants Microsoft.Resources/subscriptions/resourcegroups/read at /subscriptions/s1/resourcegroups/rg1 or above; built-in roles that do: Owner, Contributor, User Access Administrator, Role Based Access Control Administrator, Reader, Managed Identity Operator, Key Vault Administrator, Key Vault Secrets Officer or Key Vault Reader"}},
		{"authz write, partial message", 403, nil, `{"error":{"code":"AuthorizationFailed","message":"does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/write'"}}`,
			"AuthorizationFailed", []string{"the managed identity lacks permission for Microsoft.Resources/subscriptions/resourcegroups/write on the requested scope", "hint: assign the identity a role that grants Microsoft.Resources/subscriptions/resourcegroups/write at the resource's scope or above; built-in roles that do: Owner or Contributor ("}},
		{"authz lock write", 403, nil, `{"error":{"code":"AuthorizationFailed","message":"does not have authorization to perform action 'Microsoft.Authorization/locks/write' over scope '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Authorization/locks/l1'"}}`,
			"AuthorizationFailed", []string{"lacks permission for Microsoft.Authorization/locks/write on /subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Authorization/locks/l1 (ARM 403", "built-in roles that do: Owner or User Access Administrator ("}},
		{"authz role assignment delete", 403, nil, `{"error":{"code":"AuthorizationFailed","message":"does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/delete'"}}`,
			"AuthorizationFailed", []string{"built-in roles that do: Owner, User Access Administrator or Role Based Access Control Administrator ("}},
		{"authz unparseable", 403, nil, `{"error":{"code":"AuthorizationFailed","message":"nope"}}`,
			"AuthorizationFailed", []string{"403 Forbidden (AuthorizationFailed): nope"}},
		{"audience", 401, nil, `{"error":{"code":"InvalidAuthenticationTokenAudience","message":"wrong audience"}}`,
			"InvalidAuthenticationTokenAudience", []string{"https://management.core.windows.net/"}},
		{"header code wins", 400, http.Header{"X-Ms-Error-Code": {"HeaderCode"}}, `{"error":{"code":"BodyCode","message":"m"}}`,
			"HeaderCode", []string{"(HeaderCode): m"}},
		{"top-level error object", 400, nil, `{"code":"Flat","message":"flat message"}`, "Flat", []string{"flat message"}},
		{"html", 502, http.Header{"Content-Type": {"text/html"}}, "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>",
			"", []string{"unexpected text/html response (a proxy or gateway?): 502 Bad Gateway"}},
		{"html no title", 502, nil, "<!DOCTYPE html><html><style>x{}</style><body>\n\n<p>Service   down</p></body></html>",
			"", []string{"Service down"}},
		{"text", 500, http.Header{"Content-Type": {"text/plain"}}, "upstream\x00 connect\x1b error \xff" + strings.Repeat("x", 500),
			"", []string{"unexpected text/plain response: upstream connect error", "…"}},
		{"empty", 500, nil, "", "", []string{"500 Internal Server Error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			e := newResponseError("GET", testURL("https://h/x"), tc.status, h, []byte(tc.body), "")
			if e.Code != tc.code {
				t.Errorf("code %q want %q", e.Code, tc.code)
			}
			msg := e.Error()
			for _, c := range tc.contains {
				if !strings.Contains(msg, c) {
					t.Errorf("message\n%s\nlacks %q", msg, c)
				}
			}
			if strings.Count(msg, "\n") > 1 || len(msg) > 900 {
				t.Errorf("message too long: %q", msg)
			}
		})
	}
}

// Hints describe the fix in library terms: arm is used without the CLI, so
// they never name an azmsi command; they name the subscription when the
// request URL has one.
func TestHintsAreLibraryAdvice(t *testing.T) {
	const u = "https://h/subscriptions/s1/resourcegroups/nope"
	for _, tc := range []struct {
		code, url string
		status    int
		want      string
	}{
		{"ResourceGroupNotFound", u, 404, "check the resource group name (case-insensitive) and that the group is in subscription s1"},
		{"ResourceGroupNotFound", "https://h/x", 404, "check the resource group name (case-insensitive) and the subscription"},
		{"SubscriptionNotFound", "https://h/subscriptions/s1", 404, "assign it one such as Reader at /subscriptions/s1"},
		{"InvalidSubscriptionId", "https://h/x", 400, "assign it one such as Reader at /subscriptions/{id}"},
		{"SomethingElse", u, 403, "assign it a role such as Reader (to read) or Contributor (to change)"},
		{"Conflict", u, 409, ""},
	} {
		e := newResponseError("GET", testURL(tc.url), tc.status, http.Header{"X-Ms-Error-Code": {tc.code}}, nil, "")
		h := e.Hint
		if tc.want == "" {
			if h != "" || strings.Contains(e.Error(), "hint:") {
				t.Errorf("%s: unexpected hint %q", tc.code, h)
			}
			continue
		}
		if !strings.Contains(h, tc.want) || !strings.HasSuffix(e.Error(), "\n  hint: "+h) {
			t.Errorf("%s %s: hint %q, want %q; Error %q", tc.code, tc.url, h, tc.want, e.Error())
		}
		if strings.Contains(h, "azmsi ") {
			t.Errorf("%s: hint names a CLI command: %q", tc.code, h)
		}
	}
}

func TestErrorDetailsAndIDs(t *testing.T) {
	body := `{"error":{"code":"DeploymentFailed","message":"m","target":"t","details":[{"code":"A","message":"a","details":[{"code":"B","message":"b"}]}],"additionalInfo":[{"type":"PolicyViolation","info":{"policy":"p"}}]}}`
	h := http.Header{"X-Ms-Request-Id": {"rid"}, "X-Ms-Correlation-Request-Id": {"cid"}}
	e := newResponseError("PUT", testURL("https://h/x"), 400, h, []byte(body), "")
	if e.Target != "t" || len(e.Details) != 1 || e.Details[0].Details[0].Code != "B" || e.AdditionalInfo[0].Type != "PolicyViolation" ||
		e.RequestID != "rid" || e.CorrelationID != "cid" || e.Method != "PUT" {
		t.Fatalf("%+v", e)
	}
}

// TestTokenNeverLeaks: a hostile proxy echoes the Authorization header in
// its error body; neither the error nor the debug log may contain the token.
func TestTokenNeverLeaks(t *testing.T) {
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/json":
			armError(w, 400, "Echo", "you sent "+auth)
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			w.Write([]byte("<html><title>" + auth + "</title></html>"))
		case "/nested":
			writeJSON(w, 400, `{"error":{"code":"X","message":"m","details":[{"code":"`+auth+`","message":"`+auth+`"}]}}`)
		case "/info":
			writeJSON(w, 400, `{"error":{"code":"X","message":"m","additionalInfo":[{"type":"`+auth+`","info":{"h":"`+auth+`"}}],"details":[{"code":"D","message":"d","additionalInfo":[{"type":"T","info":"`+auth+`"}]}]}}`)
		}
	}), func(o *Options) { o.MaxRetries = -1 })
	for _, p := range []string{"/json", "/html", "/nested", "/info"} {
		_, err := e.c.Do(context.Background(), "GET", p, "1", nil)
		var re *ResponseError
		if !errors.As(err, &re) {
			t.Fatalf("%s: %v", p, err)
		}
		all := err.Error() + re.Message + re.Code
		for _, d := range re.Details {
			all += d.Code + d.Message
			for _, in := range d.AdditionalInfo {
				all += in.Type + string(in.Info)
			}
		}
		for _, in := range re.AdditionalInfo {
			if !json.Valid(in.Info) {
				t.Errorf("%s: additionalInfo no longer JSON: %s", p, in.Info)
			}
			all += in.Type + string(in.Info)
		}
		if strings.Contains(all, canary) {
			t.Errorf("%s: token leaked into the error: %s", p, all)
		}
	}
	logs := e.logs.String()
	if strings.Contains(logs, canary) || strings.Contains(logs, "CANA") {
		t.Errorf("token leaked into logs:\n%s", logs)
	}
	if !strings.Contains(logs, "Bearer <redacted>") || !strings.Contains(logs, "status=400") || !strings.Contains(logs, "attempt=1") {
		t.Errorf("debug log lacks the request trace:\n%s", logs)
	}
	if s := (AccessToken{Token: canary}).String(); strings.Contains(s, canary) {
		t.Error("AccessToken.String leaks")
	}
}

func TestBodyCap(t *testing.T) {
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		chunk := []byte(strings.Repeat("a", 1<<20))
		for range 17 {
			w.Write(chunk)
		}
	}), nil)
	_, err := e.c.Do(context.Background(), "GET", "/big", "1", nil)
	if err == nil || !strings.Contains(err.Error(), "exceeds 16 MiB") || len(e.sleep.got()) != 0 {
		t.Fatalf("err %v waits %v", err, e.sleep.got())
	}
}

func TestSummaryAndHintApart(t *testing.T) {
	h := http.Header{"X-Ms-Request-Id": {"rid-7"}}
	body := `{"error":{"code":"ResourceGroupNotFound","message":"Resource group 'nope' could not be found."}}`
	e := newResponseError("GET", testURL("https://h/subscriptions/s1/resourcegroups/nope?api-version=2021-04-01"), 404, h, []byte(body), "")
	wantSummary := "arm: GET https://h/subscriptions/s1/resourcegroups/nope?api-version=2021-04-01: 404 Not Found (ResourceGroupNotFound): Resource group 'nope' could not be found. (request id rid-7)"
	wantHint := "check the resource group name (case-insensitive) and that the group is in subscription s1"
	if got := e.Summary(); got != wantSummary {
		t.Errorf("Summary:\n got %q\nwant %q", got, wantSummary)
	}
	if e.Hint != wantHint {
		t.Errorf("Hint %q, want %q", e.Hint, wantHint)
	}
	if got := e.Error(); got != wantSummary+"\n  hint: "+wantHint {
		t.Errorf("Error %q", got)
	}
	e.Hint = ""
	if got := e.Error(); got != wantSummary {
		t.Errorf("Error without a hint %q", got)
	}

	// AuthorizationFailed: the summary names the action and scope, the hint
	// the built-in roles that grant it.
	body = `{"error":{"code":"AuthorizationFailed","message":"The client 'c' with object id 'o' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/s1' or the scope is invalid."}}`
	e = newResponseError("PUT", testURL("https://h/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/x"), 403, http.Header{}, []byte(body), "")
	if want := "arm: the managed identity (client ID c, object ID o) lacks permission for Microsoft.Authorization/roleAssignments/write on /subscriptions/s1 (ARM 403 AuthorizationFailed)"; e.Summary() != want {
		t.Errorf("AuthorizationFailed summary %q, want %q", e.Summary(), want)
	}
	if want := "assign the identity a role that grants Microsoft.Authorization/roleAssignments/write at /subscriptions/s1 or above; built-in roles that do: Owner, User Access Administrator or Role Based Access Control Administrator (a role change can take a few minutes to apply)"; e.Hint != want {
		t.Errorf("AuthorizationFailed hint %q, want %q", e.Hint, want)
	}
}

func TestRequestKeepsEscapedSegments(t *testing.T) {
	var got string
	e := newTLSEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath() + "?" + r.URL.RawQuery
		writeJSON(w, 200, `{"name":"my group (1)","location":"eastus"}`)
	}), nil)
	if _, err := e.c.GetResourceGroup(context.Background(), "s1", "my group (1)"); err != nil {
		t.Fatal(err)
	}
	if want := "/subscriptions/s1/resourcegroups/my%20group%20%281%29?api-version=2021-04-01"; got != want {
		t.Fatalf("server saw %q, want %q", got, want)
	}
}
