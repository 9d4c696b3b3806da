package imdsv2

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Path is the platform-metadata route of IMDSv2.
const Path = "/metadata/identity/getplatformmetadata"

// CredAPIVersion is the cred-api-version MSAL.NET sends.
const CredAPIVersion = "2.0"

// maxBody caps the answer read: the document is a few hundred bytes.
const maxBody = 64 << 10

// Result is what the probe found.
type Result struct {
	// Offered: the VM answered 200 with a well-formed platform-metadata
	// document from a server naming itself IMDS.
	Offered bool `json:"offered"`
	// Status is the HTTP status (0 when nothing answered).
	Status int `json:"status,omitempty"`
	// Server is the Server header, clipped.
	Server string `json:"server,omitempty"`
	// Metadata is the document when Offered.
	Metadata *PlatformMetadata `json:"metadata,omitempty"`
	// Detail says in one sentence what the answer means.
	Detail string `json:"detail"`
}

// PlatformMetadata is the getplatformmetadata document (MSAL.NET's
// CsrMetadata): the identity's client and tenant, the VM's compute unit
// ids (put in the certificate request) and the attestation endpoint for
// KeyGuard keys.
type PlatformMetadata struct {
	ClientID            string `json:"clientId"`
	TenantID            string `json:"tenantId"`
	CUID                CUID   `json:"cuId"`
	AttestationEndpoint string `json:"attestationEndpoint"`
}

// CUID holds the VM's ids; at least one is present.
type CUID struct {
	VMID   string `json:"vmId,omitempty"`
	VMSSID string `json:"vmssId,omitempty"`
}

// ParseMetadata decodes and checks a platform-metadata document with the
// Server header it came with: every field MSAL.NET requires must be there,
// and the server must name itself IMDS (MSAL.NET's check; the header's
// real format beyond that is unverified, protocols-2026 U23-5).
func ParseMetadata(body []byte, server string) (*PlatformMetadata, error) {
	if !strings.Contains(strings.ToUpper(server), "IMDS") {
		return nil, fmt.Errorf("the Server header %q does not name IMDS, so the answer is not from the metadata service", clip(server))
	}
	var m PlatformMetadata
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, errors.New("the body is not a platform-metadata JSON object")
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"clientId", m.ClientID}, {"tenantId", m.TenantID}, {"attestationEndpoint", m.AttestationEndpoint}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if m.CUID.VMID == "" && m.CUID.VMSSID == "" {
		missing = append(missing, "cuId.vmId or cuId.vmssId")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the platform-metadata document lacks %s", strings.Join(missing, ", "))
	}
	for _, p := range []*string{&m.ClientID, &m.TenantID, &m.AttestationEndpoint, &m.CUID.VMID, &m.CUID.VMSSID} {
		*p = clip(*p)
	}
	return &m, nil
}

// Probe asks base (an IMDS base URL such as http://169.254.169.254) once,
// within timeout, through client (which decides where it may dial; it
// must not follow redirects). It never fails: what went wrong is in
// Result.Detail.
func Probe(ctx context.Context, client *http.Client, base string, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+Path+"?cred-api-version="+CredAPIVersion, nil)
	if err != nil {
		return Result{Detail: "cannot build the request: " + err.Error()}
	}
	req.Header.Set("Metadata", "true")
	req.Header.Set("x-ms-correlation-id", newGUID())
	resp, err := client.Do(req)
	if err != nil {
		return Result{Detail: "no answer: " + err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	r := Result{Status: resp.StatusCode, Server: clip(resp.Header.Get("Server"))}
	switch {
	case err != nil:
		r.Detail = "the answer broke off: " + err.Error()
	case resp.StatusCode == http.StatusOK:
		m, err := ParseMetadata(body, resp.Header.Get("Server"))
		if err != nil {
			r.Detail = "answered 200 but " + err.Error()
			break
		}
		r.Offered, r.Metadata = true, m
		r.Detail = "IMDSv2 is offered: certificate-bound (mTLS) tokens are possible here; azmsi keeps using IMDSv1 bearer tokens"
	case resp.StatusCode == http.StatusNotFound:
		r.Detail = "IMDSv1 only (404): bearer tokens, as azmsi uses them"
	default:
		r.Detail = fmt.Sprintf("answered %d: IMDSv2 availability unknown", resp.StatusCode)
	}
	return r
}

func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
