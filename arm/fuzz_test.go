package arm

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseErrorBody(f *testing.F) {
	f.Add(`{"error":{"code":"ResourceGroupNotFound","message":"Resource group 'x' could not be found."}}`, "application/json")
	f.Add(`{"error":{"code":"AuthorizationFailed","message":"The client 'c' with object id 'o' does not have authorization to perform action 'a/read' over scope '/s' or the scope is invalid."}}`, "")
	f.Add(`<html><title>502</title></html>`, "text/html")
	f.Add(`{"code":"x","details":[{"details":[{}]}]}`, "")
	f.Add("\xff\xfe\x00", "text/plain")
	f.Fuzz(func(t *testing.T, body, ct string) {
		h := http.Header{"Content-Type": {ct}}
		e := newResponseError("GET", testURL("https://h/x"), 400, h, []byte(body), "SECRETTOKEN123")
		msg := e.Error()
		if !utf8.ValidString(msg) {
			t.Fatalf("invalid UTF-8 in %q", msg)
		}
		if strings.Contains(e.Message, "SECRETTOKEN123") {
			t.Fatalf("secret in message")
		}
		if len(msg) > 3*(2000+1000) {
			t.Fatalf("message of %d bytes", len(msg))
		}
	})
}

func FuzzParseResourceID(f *testing.F) {
	f.Add("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/d")
	f.Add("/subscriptions/s/providers/Microsoft.Compute/locations/eastus/operations/op")
	f.Add("/providers/Microsoft.Management/managementGroups/mg")
	f.Add("/subscriptions//x")
	f.Add("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/providers/Microsoft.Authorization/locks/l")
	f.Add("/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/roleAssignments/ra/providers/A.B/c/d")
	f.Fuzz(func(t *testing.T, in string) {
		id, err := ParseResourceID(in)
		if err != nil {
			return
		}
		again, err := ParseResourceID(id.String())
		if err != nil || !again.Equal(id) || again.String() != id.String() {
			t.Fatalf("round trip %q → %q → %v %v", in, id.String(), again, err)
		}
		// Every ancestor is a valid ID whose text starts the ID's text, and
		// the chain ends.
		steps := 0
		for p, ok := id.Parent(); ok; p, ok = p.Parent() {
			if steps++; steps > 4*len(in)+4 {
				t.Fatalf("%q: Parent chain does not end", in)
			}
			if ps := p.String(); ps != "/" && !strings.HasPrefix(strings.ToLower(id.String()), strings.ToLower(ps)+"/") {
				t.Fatalf("%q: parent %q is not a prefix of %q", in, ps, id.String())
			}
		}
	})
}

func FuzzParseAuthorizationFailed(f *testing.F) {
	f.Add("The client 'c' with object id 'o' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/s1' or the scope is invalid.")
	f.Add("perform action 'a/read'")
	f.Add("perform action '' over scope ''")
	f.Add("action 'x\xff' scope '/\x00'")
	f.Add("")
	f.Fuzz(func(t *testing.T, msg string) {
		got, ok := ParseAuthorizationFailed(msg)
		if !ok {
			if got != (AuthorizationFailure{}) {
				t.Fatalf("not ok but %+v", got)
			}
			return
		}
		for _, s := range []string{got.ClientID, got.ObjectID, got.Action, got.Scope} {
			if strings.ContainsAny(s, "' \t\n") || !utf8.ValidString(s) || len(s) > 2048 {
				t.Fatalf("unusable piece %q from %q", s, msg)
			}
		}
		if got.Action == "" || (got.Scope != "" && !strings.HasPrefix(got.Scope, "/")) {
			t.Fatalf("%+v from %q", got, msg)
		}
		// What was parsed parses back the same from ARM's wording.
		again, ok := ParseAuthorizationFailed("The client '" + got.ClientID + "' with object id '" + got.ObjectID + "' does not have authorization to perform action '" + got.Action + "' over scope '" + got.Scope + "' or the scope is invalid.")
		if !ok || again.Action != got.Action || again.Scope != got.Scope {
			t.Fatalf("round trip of %+v gave %+v, %v", got, again, ok)
		}
	})
}
