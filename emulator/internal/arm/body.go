package arm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"

	"github.com/azmsi/azmsi/emulator/internal/armwire"
)

const (
	MaxBody         = 1 << 20 // 1 MiB; real resource-group bodies are tiny
	maxARMBodyDepth = 32
)

// rgBody is a PUT or PATCH body. Raw fields distinguish "absent" from
// "null" or a value.
type rgBody struct {
	Location  *string         `json:"location"`
	Tags      json.RawMessage `json:"tags"`
	ManagedBy *string         `json:"managedBy"`
}

// readBody reads a PUT or PATCH body before serve takes a.mu, so a slow
// client cannot hold the lock; readARMBody reports any failure at the point
// where the handler decodes the body, after the checks that come first.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body failed: %v", err)
	}
	if len(data) > MaxBody {
		return nil, fmt.Errorf("the body is larger than %d bytes", MaxBody)
	}
	return data, nil
}

// readARMBody decodes the request's JSON body (read by readBody), refusing
// oversize or too deeply nested input with a message that says what to fix.
func readARMBody(req *Request, v any) error {
	data, err := req.body, req.bodyErr
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("the body is empty; send a JSON object such as {\"location\":\"eastus\"}")
	}
	if err := armwire.CheckDepth(data, maxARMBodyDepth); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

func badContent(req *Request, err error) {
	req.fail(http.StatusBadRequest, "InvalidRequestContent",
		"The request content was invalid and could not be deserialized: '"+err.Error()+"'.")
}

// decodeTags turns the raw "tags" member into a map. null means no tags.
func decodeTags(raw json.RawMessage) (map[string]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]*string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("'tags' must be an object of string values: %v", err)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v == nil {
			out[k] = ""
			continue
		}
		out[k] = *v
	}
	return out, nil
}

// validateTags applies ARM's tag rules (§12.7). Codes follow ARM's
// InvalidTag* family; exact codes for length and count are unverified.
func validateTags(tags map[string]string) (code, msg string, ok bool) {
	if len(tags) > 50 {
		// Maximum of 50 tags: unverified (§16 item 11).
		return "InvalidTagCount", fmt.Sprintf("The resource has %d tags; at most 50 are allowed.", len(tags)), false
	}
	for k, v := range tags {
		if k == "" || len([]rune(k)) > 512 {
			return "InvalidTagNameLength", fmt.Sprintf("The tag name '%s' is invalid: tag names must be 1 to 512 characters long.", k), false
		}
		if strings.ContainsAny(k, "<>%&\\?/") || strings.IndexFunc(k, unicode.IsControl) >= 0 {
			return "InvalidTagNameCharacters", fmt.Sprintf("The tag names '%s' have reserved characters '<,>,%%,&,\\,?,/' or control characters.", k), false
		}
		if len([]rune(v)) > 256 {
			return "InvalidTagValueLength", fmt.Sprintf("The value of tag '%s' is %d characters long; at most 256 are allowed.", k, len([]rune(v))), false
		}
	}
	return "", "", true
}

// validateGroupName applies §12.7 and returns ARM's message on failure.
// The invalid-characters text is observed; the length and trailing-period
// texts are unverified (§16 item 9).
func validateGroupName(name string) (string, bool) {
	n := len([]rune(name))
	if n < 1 || n > 90 {
		return fmt.Sprintf("The provided resource group name '%s' is invalid. The name must be between 1 and 90 characters long.", name), false
	}
	var bad []rune
	for _, r := range name {
		if r == '_' || r == '-' || r == '.' || r == '(' || r == ')' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			continue
		}
		if !containsRune(bad, r) {
			bad = append(bad, r)
		}
	}
	if len(bad) > 0 {
		return fmt.Sprintf("The provided resource group name '%s' has these invalid characters: '%s'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'.", name, string(bad)), false
	}
	if strings.HasSuffix(name, ".") {
		return fmt.Sprintf("The provided resource group name '%s' is invalid. The name cannot end with a period.", name), false
	}
	return "", true
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
