package arm

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/config"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// armChallenge builds the WWW-Authenticate header ARM sends with a 401
// (protocols §12.3). description must not contain a double quote.
func armChallenge(description string) string {
	return `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="` + description + `"`
}

// challengeDescription is the error_description per 401 code. Only the
// missing-header text is observed (azcore tests); the others are modelled
// on it.
func challengeDescription(code string) string {
	switch code {
	case "AuthenticationFailed":
		return "The authentication failed because of missing 'Authorization' header."
	case "AuthenticationFailedInvalidHeader":
		return "The authentication failed because of invalid 'Authorization' header."
	case "ExpiredAuthenticationToken":
		return "The access token expiry UTC time is earlier than current UTC time."
	case "InvalidAuthenticationTokenAudience":
		return "The access token has been obtained for wrong audience or resource."
	case "InvalidAuthenticationTokenTenant":
		return "The access token is from the wrong issuer."
	}
	return "The access token is invalid."
}

func writeUnauthorized(w http.ResponseWriter, code, message string) {
	w.Header().Set("WWW-Authenticate", armChallenge(challengeDescription(code)))
	writeARMError(w, http.StatusUnauthorized, code, message)
}

// authenticate checks the bearer token; on failure it has written the 401.
// Neither the header nor the token is ever logged or echoed.
func (a *Service) authenticate(w http.ResponseWriter, r *http.Request) (*tokens.Verified, bool) {
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
		writeUnauthorized(w, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
		return nil, false
	}
	scheme, raw, found := strings.Cut(strings.TrimSpace(vals[0]), " ")
	raw = strings.TrimSpace(raw)
	if len(vals) > 1 || !found || !strings.EqualFold(scheme, "Bearer") || raw == "" || strings.ContainsAny(raw, " \t") {
		writeUnauthorized(w, "AuthenticationFailedInvalidHeader", "Authentication failed. The 'Authorization' header is provided in an invalid format.")
		return nil, false
	}
	tok, terr := a.tokens.Verify(raw)
	if terr != nil {
		code := terr.Code
		if code == "" {
			code = "InvalidAuthenticationToken"
		}
		writeUnauthorized(w, code, terr.Message)
		return nil, false
	}
	return tok, true
}

// callerIdentity finds the token's identity in cfg (the configuration ARM
// currently serves), by object id, so a token minted before a config reload
// maps to the identity of the new config or to none.
func callerIdentity(cfg *config.Config, tok *tokens.Verified) *config.Identity {
	if tok == nil || cfg == nil {
		return nil
	}
	oid := ""
	if tok.Identity != nil {
		oid = tok.Identity.ObjectID
	}
	if oid == "" {
		oid, _ = tok.Claims["oid"].(string)
	}
	if oid == "" {
		return nil
	}
	return cfg.IdentityByObjectID(oid)
}

// principal returns the client (app) id and object id named in ARM's
// AuthorizationFailed message.
func (req *Request) principal() (appID, objectID string) {
	if req.tok != nil {
		appID, _ = req.tok.Claims["appid"].(string)
		objectID, _ = req.tok.Claims["oid"].(string)
		if id := req.tok.Identity; id != nil {
			if appID == "" {
				appID = id.ClientID
			}
			if objectID == "" {
				objectID = id.ObjectID
			}
		}
	}
	return appID, objectID
}

// forbid writes ARM's 403 AuthorizationFailed for action over scope.
func forbid(req *Request, action, scope string) {
	appID, oid := req.principal()
	req.header().Set("x-ms-failure-cause", "gateway")
	req.fail(http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		appID, oid, action, scope))
}
