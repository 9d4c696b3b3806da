package keyvault

// latestAPIVersion is the newest stable data-plane version (sent by Go
// azsecrets v1.5.1 and @azure/keyvault-secrets 4.12.0).
const latestAPIVersion = "2026-04-01"

// apiVersions are the versions the emulator serves: the newest SDKs'
// (2026-04-01, 2025-07-01), the 7.x line older SDKs and the Azure CLI send
// (the newest Python default is unverified, so all of 7.x is accepted),
// and the previews in the spec.
var apiVersions = map[string]bool{
	"2016-10-01": true, "7.0": true, "7.1": true, "7.2": true, "7.3": true,
	"7.4": true, "7.5": true, "7.6": true, "2025-07-01": true, latestAPIVersion: true,
	"2026-05-01-preview": true, "2026-07-01-preview": true,
}
