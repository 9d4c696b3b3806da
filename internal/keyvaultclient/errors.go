package keyvaultclient

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// Error is a refusal from Key Vault.
type Error struct {
	StatusCode int
	Code       string // error.code, e.g. Forbidden
	InnerCode  string // error.innererror.code, e.g. ForbiddenByRbac
	Message    string // the service's message, lines joined by "; "
	Op         string // what was attempted: "getting secret db-password from kv1"
}

func (e *Error) Error() string {
	code := e.Code
	if e.InnerCode != "" {
		code += "/" + e.InnerCode
	}
	s := fmt.Sprintf("%s: Key Vault answered %d %s", e.Op, e.StatusCode, code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if h := e.hint(); h != "" {
		s += " (" + h + ")"
	}
	return s
}

func (e *Error) hint() string {
	switch {
	case e.InnerCode == "ForbiddenByRbac":
		return "grant the identity a data role on the vault or the secret: Key Vault Secrets User to read, Key Vault Secrets Officer to write"
	case e.InnerCode == "AccessDenied":
		return "the vault uses access policies: add a policy for the identity with the secret permission named"
	case e.InnerCode == "SecretDisabled":
		return "the secret version is disabled; enable it or read another version"
	case e.StatusCode == http.StatusUnauthorized:
		return "the token was refused: check that the identity belongs to the vault's tenant"
	case e.Code == "SecretNotFound":
		return "check the vault and secret names; a deleted secret is listed by 'az keyvault secret list-deleted'"
	}
	return ""
}

// parseError reads Key Vault's error envelope from a failed response.
// The body of a failed response never holds a secret value.
func parseError(op string, status int, body []byte) *Error {
	e := &Error{StatusCode: status, Op: op}
	var env struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError *struct {
				Code string `json:"code"`
			} `json:"innererror"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error.Code != "" {
		e.Code = env.Error.Code
		if env.Error.InnerError != nil {
			e.InnerCode = env.Error.InnerError.Code
		}
		var lines []string
		for _, l := range strings.Split(strings.ReplaceAll(env.Error.Message, "\r\n", "\n"), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		e.Message = azhttp.Clip(strings.Join(lines, "; "), 600)
	} else {
		e.Code = http.StatusText(status)
	}
	return e
}
