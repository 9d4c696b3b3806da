package arm

import (
	"fmt"
	"strings"
)

// Cloud names an Azure cloud's ARM endpoint and the token audience ARM
// accepts there.
type Cloud struct {
	Name     string // canonical name, as IMDS azEnvironment spells it
	Endpoint string // ARM base URL, no trailing slash
	Audience string // resource to request the bearer token for
}

// The Azure clouds azmsi knows (protocols.md §4).
var (
	AzurePublicCloud = Cloud{
		Name:     "AzurePublicCloud",
		Endpoint: "https://management.azure.com",
		Audience: "https://management.core.windows.net/",
	}
	AzureUSGovernment = Cloud{
		Name:     "AzureUSGovernmentCloud",
		Endpoint: "https://management.usgovcloudapi.net",
		Audience: "https://management.core.usgovcloudapi.net/",
	}
	AzureChinaCloud = Cloud{
		Name:     "AzureChinaCloud",
		Endpoint: "https://management.chinacloudapi.cn",
		Audience: "https://management.core.chinacloudapi.cn/",
	}
)

var cloudNames = []struct {
	names []string
	cloud *Cloud
}{
	{[]string{"AzurePublicCloud", "AzureCloud", "public"}, &AzurePublicCloud},
	{[]string{"AzureUSGovernmentCloud", "AzureUSGovernment", "usgov"}, &AzureUSGovernment},
	{[]string{"AzureChinaCloud", "china"}, &AzureChinaCloud},
}

// CloudByName returns the cloud called name, compared case-insensitively.
// It accepts IMDS azEnvironment spellings ("AzurePublicCloud",
// "AZUREPUBLICCLOUD", "AzureUSGovernmentCloud", "AzureChinaCloud") and the
// short forms "public", "usgov" and "china".
func CloudByName(name string) (Cloud, error) {
	n := strings.TrimSpace(name)
	var valid []string
	for _, c := range cloudNames {
		for _, s := range c.names {
			if strings.EqualFold(n, s) {
				return *c.cloud, nil
			}
			valid = append(valid, s)
		}
	}
	if strings.EqualFold(n, "AzureGermanCloud") || strings.EqualFold(n, "german") {
		return Cloud{}, fmt.Errorf("arm: cloud %q is retired and not supported; valid names (case-insensitive): %s", name, strings.Join(valid, ", "))
	}
	return Cloud{}, fmt.Errorf("arm: unknown cloud %q; valid names (case-insensitive): %s", name, strings.Join(valid, ", "))
}
