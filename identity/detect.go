package identity

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Host names accepted by Options.Host and reported by Detect and
// SourceInfo.Host.
const (
	HostIMDS           = "imds"           // Azure VM, VM scale set, AKS node
	HostAppService     = "appservice"     // App Service, Functions (2019-08-01)
	HostContainerApps  = "containerapps"  // Container Apps: App Service's 2019-08-01 protocol
	HostAppService2017 = "appservice2017" // App Service legacy protocol (2017-09-01)
	HostCloudShell     = "cloudshell"     // Azure Cloud Shell
	HostArc            = "arc"            // Azure Arc-enabled server (himds)
	HostServiceFabric  = "servicefabric"  // Service Fabric application
	HostAzureML        = "azureml"        // Azure Machine Learning compute
	HostWorkload       = "workload"       // AKS workload identity (federated token exchanged at Entra ID)
)

// Hosts lists every host name Options.Host accepts, in detection order.
func Hosts() []string {
	return []string{HostServiceFabric, HostContainerApps, HostAppService, HostAppService2017, HostAzureML, HostCloudShell, HostArc, HostWorkload, HostIMDS}
}

// Environment variables read by detection (protocols.md §2.1).
const (
	envIdentityEndpoint = "IDENTITY_ENDPOINT"
	envIdentityHeader   = "IDENTITY_HEADER"
	envSFThumbprint     = "IDENTITY_SERVER_THUMBPRINT"
	envIMDSEndpoint     = "IMDS_ENDPOINT"
	envMSIEndpoint      = "MSI_ENDPOINT"
	envMSISecret        = "MSI_SECRET"
	envMLDefaultClient  = "DEFAULT_IDENTITY_CLIENT_ID"
	envAppSiteName      = "APPSETTING_WEBSITE_SITE_NAME"
	envSiteName         = "WEBSITE_SITE_NAME"
	// Container Apps' built-in variables (Learn container-apps/environment-variables):
	// an app has CONTAINER_APP_NAME, a job CONTAINER_APP_JOB_NAME.
	envContainerAppName    = "CONTAINER_APP_NAME"
	envContainerAppJobName = "CONTAINER_APP_JOB_NAME"
	envIdentityAPIVersion  = "IDENTITY_API_VERSION"
	// EnvArcKeyDir is azmsi's own variable naming the folder Arc key files
	// must live in, the fallback for Options.ArcKeyDir (the emulator sets it
	// so a laptop accepts the emulator's key folder).
	EnvArcKeyDir = "AZMSI_ARC_KEY_DIR"
)

// hostDisplayName is the name reported in SourceInfo.Name and errors.
var hostDisplayName = map[string]string{
	HostIMDS:           "IMDS",
	HostAppService:     "App Service",
	HostContainerApps:  "Container Apps",
	HostAppService2017: "App Service (2017-09-01)",
	HostCloudShell:     "Cloud Shell",
	HostArc:            "Azure Arc",
	HostServiceFabric:  "Service Fabric",
	HostAzureML:        "Azure ML",
	HostWorkload:       "Workload identity",
}

// Detection is the host Detect chose and why. It holds no secret: variables
// are named, never quoted.
type Detection struct {
	Host     string   // one of the Host* constants
	Name     string   // display name, e.g. "App Service"
	Evidence []string // variables (non-empty) and files that led to the choice
	Reason   string   // one sentence, e.g. "IDENTITY_ENDPOINT and IDENTITY_HEADER are set, IDENTITY_SERVER_THUMBPRINT is not"
}

// Detect reports which managed-identity host this process runs on, from the
// environment (read through getenv; nil → os.Getenv) and the Arc agent's
// binary, without sending any request. The order (a variable counts only
// when non-empty) is MSAL Go's, refined for the 2017-09-01 protocol:
//
//  1. IDENTITY_ENDPOINT + IDENTITY_HEADER → Service Fabric when
//     IDENTITY_SERVER_THUMBPRINT is also set, else Container Apps when
//     CONTAINER_APP_NAME or CONTAINER_APP_JOB_NAME is set, else App Service
//     (both speak 2019-08-01);
//  2. else MSI_ENDPOINT → with MSI_SECRET: App Service (2017-09-01) when
//     APPSETTING_WEBSITE_SITE_NAME or WEBSITE_SITE_NAME is set, else Azure ML;
//     without MSI_SECRET: Cloud Shell;
//  3. else Azure Arc when IDENTITY_ENDPOINT + IMDS_ENDPOINT are set or the
//     himds agent is installed;
//  4. else AKS workload identity when AZURE_FEDERATED_TOKEN_FILE,
//     AZURE_CLIENT_ID and AZURE_TENANT_ID are all set (as azure-identity for
//     Python orders it);
//  5. else IMDS (named "Container Apps (through IMDS)" when Container
//     Apps' variables are there without IDENTITY_ENDPOINT: some
//     environments set only IDENTITY_HEADER, IDENTITY_SERVER_THUMBPRINT and
//     IDENTITY_API_VERSION and answer at the IMDS address, and every peer
//     client then uses IMDS; unverified, protocols-2026 U23-4).
func Detect(getenv func(string) string) Detection {
	if getenv == nil {
		getenv = os.Getenv
	}
	return detect(getenv, fileExists)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// detect is Detect with the file test injectable.
func detect(getenv func(string) string, exists func(string) bool) Detection {
	set := func(name string) bool { return strings.TrimSpace(getenv(name)) != "" }
	d := func(host, reason string, evidence ...string) Detection {
		return Detection{Host: host, Name: hostDisplayName[host], Evidence: evidence, Reason: reason}
	}
	switch {
	case set(envIdentityEndpoint) && set(envIdentityHeader) && set(envSFThumbprint):
		return d(HostServiceFabric, "IDENTITY_ENDPOINT, IDENTITY_HEADER and IDENTITY_SERVER_THUMBPRINT are set",
			envIdentityEndpoint, envIdentityHeader, envSFThumbprint)
	case set(envIdentityEndpoint) && set(envIdentityHeader) && (set(envContainerAppName) || set(envContainerAppJobName)):
		marker := envContainerAppName
		if !set(marker) {
			marker = envContainerAppJobName
		}
		return d(HostContainerApps, "IDENTITY_ENDPOINT and IDENTITY_HEADER are set (no IDENTITY_SERVER_THUMBPRINT) and "+marker+" marks Container Apps",
			envIdentityEndpoint, envIdentityHeader, marker)
	case set(envIdentityEndpoint) && set(envIdentityHeader):
		return d(HostAppService, "IDENTITY_ENDPOINT and IDENTITY_HEADER are set (no IDENTITY_SERVER_THUMBPRINT)",
			envIdentityEndpoint, envIdentityHeader)
	case set(envMSIEndpoint) && set(envMSISecret):
		for _, site := range []string{envAppSiteName, envSiteName} {
			if set(site) {
				return d(HostAppService2017, "MSI_ENDPOINT and MSI_SECRET are set (no IDENTITY_ENDPOINT/IDENTITY_HEADER) and "+site+" marks App Service",
					envMSIEndpoint, envMSISecret, site)
			}
		}
		if set(envMLDefaultClient) {
			return d(HostAzureML, "MSI_ENDPOINT and MSI_SECRET are set and DEFAULT_IDENTITY_CLIENT_ID marks Azure ML",
				envMSIEndpoint, envMSISecret, envMLDefaultClient)
		}
		return d(HostAzureML, "MSI_ENDPOINT and MSI_SECRET are set with no App Service variable: Azure ML (as MSAL Go decides; the 2017-09-01 protocol is the same for legacy App Service)",
			envMSIEndpoint, envMSISecret)
	case set(envMSIEndpoint):
		return d(HostCloudShell, "MSI_ENDPOINT is set without MSI_SECRET", envMSIEndpoint)
	case set(envIdentityEndpoint) && set(envIMDSEndpoint):
		return d(HostArc, "IDENTITY_ENDPOINT and IMDS_ENDPOINT are set", envIdentityEndpoint, envIMDSEndpoint)
	}
	for _, p := range himdsPaths(getenv) {
		if exists(p) {
			return d(HostArc, "the Azure Arc agent is installed ("+p+")", p)
		}
	}
	if set(envFederatedTokenFile) && set(envClientID) && set(envTenantID) {
		return d(HostWorkload, "AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID are set (AKS workload identity)",
			envFederatedTokenFile, envClientID, envTenantID)
	}
	if set(envContainerAppName) || set(envContainerAppJobName) {
		ev := []string{}
		for _, v := range []string{envContainerAppName, envContainerAppJobName, envIdentityHeader, envSFThumbprint, envIdentityAPIVersion, envPodIdentityHost} {
			if set(v) {
				ev = append(ev, v)
			}
		}
		det := d(HostIMDS, "Container Apps' variables are set without IDENTITY_ENDPOINT: its identity is served at the IMDS address, as every Azure SDK assumes", ev...)
		det.Name = "Container Apps (through IMDS)"
		return det
	}
	if set(envPodIdentityHost) {
		return d(HostIMDS, "no managed-identity host variable is set; AZURE_POD_IDENTITY_AUTHORITY_HOST points at an IMDS", envPodIdentityHost)
	}
	return d(HostIMDS, "no managed-identity host variable is set and no Arc agent is installed: Azure VM IMDS")
}

// himdsPaths are where the Arc agent's binary lives (protocols.md §2.2;
// MSAL Go and MSAL Python disagree on Windows, so both are checked).
func himdsPaths(getenv func(string) string) []string {
	switch runtime.GOOS {
	case "linux":
		return []string{"/opt/azcmagent/bin/himds"}
	case "windows":
		var out []string
		for _, v := range []string{"ProgramFiles", "ProgramData"} {
			if dir := getenv(v); dir != "" {
				out = append(out, filepath.Join(dir, "AzureConnectedMachineAgent", "himds.exe"))
			}
		}
		return out
	}
	return nil
}

// chooseHost decides the host: Options.Host when set, else IMDS when
// Options.Endpoint is set (an explicit IMDS address beats the
// environment), else Detect.
func chooseHost(o Options, getenv func(string) string) (host, reason string, err error) {
	if h := strings.ToLower(strings.TrimSpace(o.Host)); h != "" {
		if _, ok := hostDisplayName[h]; !ok {
			return "", "", fmt.Errorf("identity: unknown Options.Host %q; use one of %s", o.Host, strings.Join(Hosts(), ", "))
		}
		return h, "Options.Host is " + h, nil
	}
	if o.Endpoint != "" {
		return HostIMDS, "", nil
	}
	d := detect(getenv, fileExists)
	if d.Host == HostIMDS {
		return HostIMDS, "", nil // newIMDSSource explains its endpoint
	}
	return d.Host, d.Reason, nil
}
