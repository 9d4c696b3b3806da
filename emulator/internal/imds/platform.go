package imds

import (
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/httpx"
	"github.com/azmsi/azmsi/emulator/internal/tokens"
)

// imdsServer is the Server header MSAL.NET's test mocks send; MSAL.NET
// only checks that it contains "IMDS" (the real format is unverified,
// protocols-2026 U23-5).
const imdsServer = "IMDS/150.870.65.1854"

// PlatformAttestationEndpoint is the attestationEndpoint the emulator
// reports. Real hosts name an Azure Attestation instance (unverified,
// U23-6); the emulator serves no attestation, so the name is its own.
const PlatformAttestationEndpoint = "https://attestation.azmsi-emulator.localhost"

// PlatformMetadata serves IMDSv2's GET
// /metadata/identity/getplatformmetadata?cred-api-version=2.0
// (protocols-2026 §23.6) when Deps.IMDSv2 is set, and answers 404 as an
// IMDSv1-only VM does otherwise. Without the Metadata header it answers
// 400, which is how MSAL.NET's probe recognizes a v2 host. A selector
// (client_id, object_id, msi_res_id) names the identity whose clientId is
// reported; none means the default identity. Only the document is
// emulated: issuecredential and the mTLS token endpoint are not.
func (s *Service) PlatformMetadata(w http.ResponseWriter, r *http.Request) {
	if !s.v2 {
		httpx.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "Not found"})
		return
	}
	w.Header().Set("Server", imdsServer)
	if !checkHeaders(w, r, false) {
		return
	}
	q, bad := httpx.ParseQuery(r.URL.RawQuery)
	if bad != "" {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request. " + bad})
		return
	}
	if v := q.Get("cred-api-version"); v != "2.0" {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request. cred-api-version '" + httpx.Clip(v) + "' is not supported; use 2.0"})
		return
	}
	sel, val, badSel := SingleSelector(q, "client_id", "object_id", "msi_res_id")
	if badSel != "" {
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "Bad request. " + badSel})
		return
	}
	cfg := s.config()
	id, status, desc := tokens.Select(cfg, sel, val)
	if id == nil {
		httpx.WriteJSON(w, status, map[string]string{"error": desc})
		return
	}
	cu := map[string]string{"vmId": strings.ToLower(cfg.Instance.VMID)}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"clientId": id.ClientID, "tenantId": cfg.TenantID, "cuId": cu, "attestationEndpoint": PlatformAttestationEndpoint,
	})
}
