package resources

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/azmsi/azmsi/emulator/internal/armwire"
)

const (
	// maxBody is ARM's request size limit of 4 MB (unverified as exact).
	maxBody      = 4 << 20
	maxBodyDepth = 64
)

// readBody reads a request body before any lock is taken, so a slow client
// cannot hold one. The error is reported where the handler decodes.
func readBody(r *http.Request) ([]byte, *apiError) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, badContent("reading the body failed")
	}
	if len(data) > maxBody {
		// Status and code unverified.
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge", message: fmt.Sprintf(
			"The request content is larger than the limit of %d bytes.", maxBody)}
	}
	return data, nil
}

func badContent(detail string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidRequestContent", message: "The request content was invalid and could not be deserialized: '" + detail + "'."}
}

// resourceBody is a PUT or PATCH body; raw members tell "absent" from null.
type resourceBody struct {
	Location         json.RawMessage `json:"location"`
	Tags             json.RawMessage `json:"tags"`
	Kind             json.RawMessage `json:"kind"`
	ManagedBy        json.RawMessage `json:"managedBy"`
	SKU              json.RawMessage `json:"sku"`
	Identity         json.RawMessage `json:"identity"`
	Plan             json.RawMessage `json:"plan"`
	ExtendedLocation json.RawMessage `json:"extendedLocation"`
	Zones            json.RawMessage `json:"zones"`
	Properties       json.RawMessage `json:"properties"`
}

// decodeBody checks the body is one JSON object of valid UTF-8, not too
// deep, and decodes its members.
func decodeBody(data []byte, readErr *apiError) (*resourceBody, *apiError) {
	if readErr != nil {
		return nil, readErr
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, badContent("the body is empty; send a JSON object such as {\"location\":\"eastus\",\"properties\":{}}")
	}
	if !utf8.Valid(data) {
		return nil, badContent("the body is not valid UTF-8")
	}
	if data[0] != '{' {
		return nil, badContent("the body must be a JSON object")
	}
	if err := armwire.CheckDepth(data, maxBodyDepth); err != nil {
		return nil, badContent(err.Error())
	}
	var b resourceBody
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&b); err != nil {
		return nil, badContent("invalid JSON: " + clip(err.Error()))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badContent("unexpected data after the JSON object")
	}
	return &b, nil
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// optString decodes an optional string member.
func optString(name string, raw json.RawMessage) (string, *apiError) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", badContent(fmt.Sprintf("'%s' must be a string", name))
	}
	return s, nil
}

// canonical re-encodes an optional member that must be of kind ('{' object,
// '[' array): keys sorted, numbers as sent, HTML characters escaped as
// encoding/json does, so stored JSON is compact and stable.
func canonical(name string, raw json.RawMessage, kind byte) (json.RawMessage, *apiError) {
	if isNull(raw) {
		return nil, nil
	}
	what := map[byte]string{'{': "an object", '[': "an array"}[kind]
	if raw[0] != kind {
		return nil, badContent(fmt.Sprintf("'%s' must be %s", name, what))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badContent(fmt.Sprintf("'%s': %s", name, clip(err.Error())))
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, badContent(fmt.Sprintf("'%s': %s", name, clip(err.Error())))
	}
	return out, nil
}

// decodeTags decodes "tags": an object of string (or null, meaning "")
// values, checked against ARM's tag rules (protocols §12.7; limits
// unverified, §16 item 11).
func decodeTags(raw json.RawMessage) (map[string]string, *apiError) {
	if isNull(raw) {
		return nil, nil
	}
	var m map[string]*string
	if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, badContent("'tags' must be an object of string values")
	}
	if len(m) > 50 {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidTagCount", message: fmt.Sprintf(
			"The resource has %d tags; at most 50 are allowed.", len(m))}
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if k == "" || utf8.RuneCountInString(k) > 512 {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidTagNameLength", message: fmt.Sprintf(
				"The tag name '%s' is invalid: tag names must be 1 to 512 characters long.", clip(k))}
		}
		if strings.ContainsAny(k, "<>%&\\?/") || strings.IndexFunc(k, unicode.IsControl) >= 0 {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidTagNameCharacters", message: fmt.Sprintf(
				"The tag names '%s' have reserved characters '<,>,%%,&,\\,?,/' or control characters.", clip(k))}
		}
		val := ""
		if v != nil {
			val = *v
		}
		if utf8.RuneCountInString(val) > 256 {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidTagValueLength", message: fmt.Sprintf(
				"The value of tag '%s' is %d characters long; at most 256 are allowed.", clip(k), utf8.RuneCountInString(val))}
		}
		out[k] = val
	}
	return out, nil
}

// normalizeLocation: ARM answers "eastus" for "East US" (§16 item 10,
// unverified).
func normalizeLocation(loc string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(loc), " ", ""))
}

// mergePatch applies an RFC 7386 merge patch to a stored properties object:
// members set to null are removed, objects merge recursively, anything else
// replaces. Both are canonical JSON objects; so is the result.
func mergePatch(target, patch json.RawMessage) (json.RawMessage, *apiError) {
	var t, p map[string]any
	if len(target) > 0 {
		dec := json.NewDecoder(bytes.NewReader(target))
		dec.UseNumber()
		if dec.Decode(&t) != nil {
			t = nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(patch))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, badContent("'properties' must be an object")
	}
	out, err := json.Marshal(mergeValue(t, p))
	if err != nil {
		return nil, badContent("'properties': " + clip(err.Error()))
	}
	return out, nil
}

func mergeValue(target any, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, _ := target.(map[string]any)
	out := make(map[string]any, len(tm)+len(pm))
	for k, v := range tm {
		out[k] = v
	}
	for k, v := range pm {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = mergeValue(out[k], v)
	}
	return out
}

// stripProvisioningState removes properties.provisioningState (read-only;
// the store keeps the state beside the properties).
func stripProvisioningState(props json.RawMessage) json.RawMessage {
	if len(props) == 0 || !bytes.Contains(props, []byte("provisioningState")) {
		return props
	}
	dec := json.NewDecoder(bytes.NewReader(props))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return props
	}
	for k := range m {
		if strings.EqualFold(k, "provisioningState") {
			delete(m, k)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return props
	}
	return out
}

// identityTypes are the values of identity.type ARM accepts, in canonical
// spelling, case-insensitive.
var identityTypes = []string{"None", "SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned"}

func canonicalIdentityType(t string) (string, bool) {
	norm := strings.ToLower(strings.ReplaceAll(t, " ", ""))
	i := slices.IndexFunc(identityTypes, func(x string) bool { return strings.ToLower(strings.ReplaceAll(x, " ", "")) == norm })
	if i < 0 {
		return "", false
	}
	return identityTypes[i], true
}
