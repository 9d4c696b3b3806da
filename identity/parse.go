package identity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/azmsi/azmsi/internal/azhttp"
)

// This file is the token-response parser shared by every source. It is
// tolerant in the ways real endpoints differ (protocols.md §1.2, §1.3,
// §15.4, §15.9) and strict where a wrong guess would hand out a bad token.

// tokenResponse is a parsed token response: the Token plus the selectors an
// endpoint may echo.
type tokenResponse struct {
	Token
	ClientID string // echoed client_id, if any
	ObjectID string // echoed object_id, if any
	MIResID  string // echoed msi_res_id or mi_res_id, if any
}

// wireToken holds every field raw, so that each can be either a JSON string
// or a JSON number (the IMDS swagger types every primitive as a string, other
// hosts send numbers).
type wireToken struct {
	AccessToken json.RawMessage `json:"access_token"`
	TokenType   json.RawMessage `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
	ExpiresOn   json.RawMessage `json:"expires_on"`
	RefreshIn   json.RawMessage `json:"refresh_in"`
	Resource    json.RawMessage `json:"resource"`
	ClientID    json.RawMessage `json:"client_id"`
	ObjectID    json.RawMessage `json:"object_id"`
	MsiResID    json.RawMessage `json:"msi_res_id"`
	MiResID     json.RawMessage `json:"mi_res_id"`
}

const (
	// maxLifetime bounds expires_in/refresh_in: anything larger is garbage
	// and would overflow time.Duration.
	maxLifetime = 10 * 365 * 24 * time.Hour
	// maxEpoch is 9999-12-31T23:59:59Z.
	maxEpoch = 253402300799
)

// expiresOnLayouts are the date strings App Service 2017-09-01 (Linux and
// Windows), Azure ML and MSAL's fallbacks produce, tried in order after a
// plain epoch. A missing offset means UTC. "1" and "2" accept one or two
// digits, so "01/02/…" and "1/2/…" both parse. Unlike Python peers we accept
// the doc sample "09/14/2017 00:00:00 PM +00:00" (as 12:00 UTC).
var expiresOnLayouts = []string{
	"1/2/2006 15:04:05 -07:00",
	"1/2/2006 3:04:05 PM -07:00",
	"1/2/2006 15:04:05",
	"1/2/2006 3:04:05 PM",
	"2006-01-02 15:04:05",
	time.RFC3339,
}

// parseTokenResponse decodes a token response received at now. Rules:
//   - access_token must be a non-empty string;
//   - token_type defaults to "Bearer";
//   - expires_on (epoch as string or number, or a date string) wins; when it is
//     present but unparseable the response is an error, not a guess;
//   - else expires_in (string or number) counts from now; neither → error;
//   - RefreshOn: refresh_in when given and before expiry, else half the
//     lifetime when the lifetime exceeds 2 h, else 5 minutes before expiry
//     (half the lifetime for tokens living under 5 minutes).
//
// Errors never quote the access token.
func parseTokenResponse(body []byte, now time.Time) (tokenResponse, error) {
	var w wireToken
	if err := json.Unmarshal(body, &w); err != nil {
		return tokenResponse{}, fmt.Errorf("token response is not a JSON object: %s", jsonErrorText(err))
	}
	var r tokenResponse
	at, ok, err := rawString(w.AccessToken)
	switch {
	case err != nil:
		return r, fmt.Errorf("token response field access_token: %v", err)
	case !ok || at == "":
		return r, errors.New("token response has no access_token")
	}
	r.AccessToken = at
	fields := []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{
		{"token_type", w.TokenType, &r.Type},
		{"resource", w.Resource, &r.Resource},
		{"client_id", w.ClientID, &r.ClientID},
		{"object_id", w.ObjectID, &r.ObjectID},
		{"msi_res_id", w.MsiResID, &r.MIResID},
	}
	for _, f := range fields {
		if *f.dst, _, err = rawString(f.raw); err != nil {
			return r, fmt.Errorf("token response field %s: %v", f.name, err)
		}
	}
	if r.MIResID == "" {
		if r.MIResID, _, err = rawString(w.MiResID); err != nil {
			return r, fmt.Errorf("token response field mi_res_id: %v", err)
		}
	}
	if r.Type == "" {
		r.Type = "Bearer"
	}

	exp, ok, err := parseExpiresOn(w.ExpiresOn)
	if err != nil {
		return r, fmt.Errorf("token response field expires_on: %v", err)
	}
	if !ok {
		secs, ok, err := rawInt(w.ExpiresIn)
		switch {
		case err != nil:
			return r, fmt.Errorf("token response field expires_in: %v", err)
		case !ok:
			return r, errors.New("token response has neither expires_on nor expires_in")
		case secs < 0 || time.Duration(secs) > maxLifetime/time.Second:
			return r, fmt.Errorf("token response field expires_in: %d seconds is out of range", secs)
		}
		exp = now.Add(time.Duration(secs) * time.Second)
	}
	r.ExpiresOn = exp

	var refreshIn time.Duration
	if secs, ok, err := rawInt(w.RefreshIn); err != nil {
		return r, fmt.Errorf("token response field refresh_in: %v", err)
	} else if ok && secs > 0 && time.Duration(secs) <= maxLifetime/time.Second {
		refreshIn = time.Duration(secs) * time.Second
	}
	r.RefreshOn = refreshOn(now, exp, refreshIn)
	return r, nil
}

// refreshOn applies the refresh rule shared with MSAL (protocols.md §10).
func refreshOn(now, exp time.Time, refreshIn time.Duration) time.Time {
	if refreshIn > 0 {
		if at := now.Add(refreshIn); at.Before(exp) {
			return at
		}
	}
	if life := exp.Sub(now); life > 2*time.Hour {
		return now.Add(life / 2)
	}
	at := exp.Add(-5 * time.Minute)
	if at.Before(now) {
		// Under 5 minutes of life: refresh at half of it, not at once, or
		// every call would start another refresh.
		return now.Add(max(exp.Sub(now), 0) / 2)
	}
	return at
}

// parseExpiresOn reads an absolute expiry: an epoch (string or number) or one
// of expiresOnLayouts. ok is false when the field is absent, null or "".
func parseExpiresOn(raw json.RawMessage) (t time.Time, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, false, nil
	}
	if raw[0] != '"' {
		n, err := parseNumber(string(raw))
		if err != nil {
			return time.Time{}, false, err
		}
		return epoch(n)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, false, errors.New("malformed string")
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false, nil
	}
	if n, err := parseNumber(s); err == nil {
		return epoch(n)
	}
	for _, layout := range expiresOnLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%q is neither epoch seconds nor a known date format (e.g. 01/02/2006 15:04:05 +00:00)", azhttp.Clip(s, 40))
}

func epoch(n int64) (time.Time, bool, error) {
	if n <= 0 || n > maxEpoch {
		return time.Time{}, false, fmt.Errorf("epoch %d is out of range", n)
	}
	return time.Unix(n, 0).UTC(), true, nil
}

// rawString reads a JSON string; null or absent → ok=false. Numbers are
// rejected: a numeric access_token or resource is malformed.
func rawString(raw json.RawMessage) (s string, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	if raw[0] != '"' {
		return "", false, fmt.Errorf("got a JSON %s, want a string", jsonKind(raw[0]))
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, errors.New("malformed string")
	}
	return s, true, nil
}

// rawInt reads an integer sent as a JSON number or a string of digits;
// absent, null and "" → ok=false.
func rawInt(raw json.RawMessage) (n int64, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false, errors.New("malformed string")
		}
		if s = strings.TrimSpace(s); s == "" {
			return 0, false, nil
		}
	} else if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, false, fmt.Errorf("got a JSON %s, want a number", jsonKind(raw[0]))
	}
	n, err = parseNumber(s)
	if err != nil {
		return 0, false, err
	}
	return n, true, nil
}

// parseNumber accepts an integer, or a whole-number decimal such as "3600.0".
func parseNumber(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%q is not a whole number", azhttp.Clip(s, 40))
	}
	return int64(f), nil
}

func jsonKind(first byte) string {
	switch first {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	}
	return "number"
}

// jsonErrorText describes a decoding error without quoting input: a type
// error names the field, a syntax error the offset.
func jsonErrorText(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end"):
		return "truncated JSON"
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Sprintf("got a JSON %s", te.Value)
		}
		return fmt.Sprintf("field %s is a JSON %s", te.Field, te.Value)
	}
	return "malformed JSON"
}
