package resources

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/azmsi/azmsi/emulator/internal/apiversion"
)

// Cloud describes the emulated cloud for GET /metadata/endpoints.
// resourceManager is always the host the request came to.
type Cloud struct {
	Name string // default "AzureCloud"
	// LoginEndpoint is the emulator's Entra ID endpoint ("https://127.0.0.1:8443/");
	// default: the host the request came to.
	LoginEndpoint string
	// Audiences are the ARM token audiences; default the public cloud's.
	Audiences []string
	// KeyVaultDNS is the Key Vault host suffix; default "vault.azure.net".
	KeyVaultDNS string
}

// cloudJSON is the cloud description. The whole contract is unverified
// (U20-6): fields are those Terraform's and the Azure CLI's readers use,
// all present because clients index them without checks. Services the
// emulator does not serve keep their public-cloud values; the emulator
// never contacts them.
type cloudJSON struct {
	Name                                  string         `json:"name"`
	Portal                                string         `json:"portal"`
	Authentication                        authentication `json:"authentication"`
	ResourceManager                       string         `json:"resourceManager"`
	Media                                 string         `json:"media"`
	Graph                                 string         `json:"graph"`
	GraphAudience                         string         `json:"graphAudience"`
	MicrosoftGraphResourceID              string         `json:"microsoftGraphResourceId"`
	Batch                                 string         `json:"batch"`
	SQLManagement                         string         `json:"sqlManagement"`
	VMImageAliasDoc                       string         `json:"vmImageAliasDoc"`
	Gallery                               string         `json:"gallery"`
	ActiveDirectoryDataLake               string         `json:"activeDirectoryDataLake"`
	AppInsightsResourceID                 string         `json:"appInsightsResourceId"`
	AppInsightsTelemetryChannelResourceID string         `json:"appInsightsTelemetryChannelResourceId"`
	AttestationResourceID                 string         `json:"attestationResourceId"`
	SynapseAnalyticsResourceID            string         `json:"synapseAnalyticsResourceId"`
	LogAnalyticsResourceID                string         `json:"logAnalyticsResourceId"`
	OSSRDBMSResourceID                    string         `json:"ossrDbmsResourceId"`
	OSSRDBMSResourceIDLower               string         `json:"ossrdbmsResourceId"`
	Suffixes                              suffixes       `json:"suffixes"`
}

type authentication struct {
	LoginEndpoint    string   `json:"loginEndpoint"`
	Audiences        []string `json:"audiences"`
	Tenant           string   `json:"tenant"`
	IdentityProvider string   `json:"identityProvider"`
}

type suffixes struct {
	Storage                             string `json:"storage"`
	KeyVaultDNS                         string `json:"keyVaultDns"`
	MHSMDNS                             string `json:"mhsmDns"`
	SQLServerHostname                   string `json:"sqlServerHostname"`
	ACRLoginServer                      string `json:"acrLoginServer"`
	AzureDataLakeStoreFileSystem        string `json:"azureDataLakeStoreFileSystem"`
	AzureDataLakeAnalyticsCatalogAndJob string `json:"azureDataLakeAnalyticsCatalogAndJob"`
	AzureFrontDoorEndpointSuffix        string `json:"azureFrontDoorEndpointSuffix"`
	StorageSyncEndpointSuffix           string `json:"storageSyncEndpointSuffix"`
	MySQLServerEndpoint                 string `json:"mysqlServerEndpoint"`
	PostgreSQLServerEndpoint            string `json:"postgresqlServerEndpoint"`
	MariaDBServerEndpoint               string `json:"mariadbServerEndpoint"`
	SynapseAnalytics                    string `json:"synapseAnalytics"`
	AttestationEndpoint                 string `json:"attestationEndpoint"`
}

// arrayBefore: api-versions older than this get the array form the Azure
// CLI reads (2019-05-01); from it on, the object form Terraform reads.
var arrayBefore = apiversion.MustParse("2022-09-01")

func (s *Service) metadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", message: fmt.Sprintf(
			"The requested resource does not support http method '%s'.", clip(r.Method))})
		return
	}
	v := r.URL.Query().Get("api-version")
	if v == "" {
		writeError(w, &apiError{status: http.StatusBadRequest, code: "MissingApiVersionParameter",
			message: "The api-version query parameter (?api-version=) is required for all requests."})
		return
	}
	pv, err := apiversion.Parse(v)
	if err != nil {
		writeError(w, &apiError{status: http.StatusBadRequest, code: "InvalidApiVersionParameter", message: fmt.Sprintf(
			"The api-version '%s' is invalid. The supported versions are '2022-09-01,2019-05-01'.", clip(v))})
		return
	}
	c := s.cloud(r)
	if pv.Compare(arrayBefore) < 0 {
		writeJSON(w, http.StatusOK, marshal([]cloudJSON{c}))
		return
	}
	writeJSON(w, http.StatusOK, marshal(c))
}

func (s *Service) cloud(r *http.Request) cloudJSON {
	o := s.o.Cloud
	arm := baseURL(r) + "/"
	login := o.LoginEndpoint
	if login == "" {
		login = arm
	}
	if !strings.HasSuffix(login, "/") {
		login += "/"
	}
	name := o.Name
	if name == "" {
		name = "AzureCloud"
	}
	aud := o.Audiences
	if len(aud) == 0 {
		aud = []string{"https://management.core.windows.net/", "https://management.azure.com/"}
	}
	kv := o.KeyVaultDNS
	if kv == "" {
		kv = "vault.azure.net"
	}
	return cloudJSON{
		Name: name, Portal: "https://portal.azure.com",
		Authentication:  authentication{LoginEndpoint: login, Audiences: aud, Tenant: "common", IdentityProvider: "AAD"},
		ResourceManager: arm, Media: "https://rest.media.azure.net", Graph: "https://graph.windows.net/",
		GraphAudience: "https://graph.windows.net/", MicrosoftGraphResourceID: "https://graph.microsoft.com/",
		Batch: "https://batch.core.windows.net/", SQLManagement: "https://management.core.windows.net:8443/",
		VMImageAliasDoc:                       "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
		Gallery:                               "https://gallery.azure.com/",
		ActiveDirectoryDataLake:               "https://datalake.azure.net/",
		AppInsightsResourceID:                 "https://api.applicationinsights.io",
		AppInsightsTelemetryChannelResourceID: "https://dc.applicationinsights.azure.com/v2/track",
		AttestationResourceID:                 "https://attest.azure.net",
		SynapseAnalyticsResourceID:            "https://dev.azuresynapse.net",
		LogAnalyticsResourceID:                "https://api.loganalytics.io",
		OSSRDBMSResourceID:                    "https://ossrdbms-aad.database.windows.net",
		OSSRDBMSResourceIDLower:               "https://ossrdbms-aad.database.windows.net",
		Suffixes: suffixes{Storage: "core.windows.net", KeyVaultDNS: kv, MHSMDNS: "managedhsm.azure.net",
			SQLServerHostname: "database.windows.net", ACRLoginServer: "azurecr.io",
			AzureDataLakeStoreFileSystem: "azuredatalakestore.net", AzureDataLakeAnalyticsCatalogAndJob: "azuredatalakeanalytics.net",
			AzureFrontDoorEndpointSuffix: "azurefd.net", StorageSyncEndpointSuffix: "afs.azure.net",
			MySQLServerEndpoint: "mysql.database.azure.com", PostgreSQLServerEndpoint: "postgres.database.azure.com",
			MariaDBServerEndpoint: "mariadb.database.azure.com", SynapseAnalytics: "dev.azuresynapse.net",
			AttestationEndpoint: "attest.azure.net"},
	}
}
