package resources

// Region is one location the emulator serves (GET …/locations).
type Region struct {
	Name                string // "eastus"
	DisplayName         string // "East US"
	RegionalDisplayName string // "(US) East US"
	Geography           string
	GeographyGroup      string
	Latitude, Longitude string // strings, as ARM sends them
	PhysicalLocation    string
	Paired              string // name of the paired region; "" if none
}

// DefaultRegions is a representative set of public-cloud regions. Names
// and display names follow ARM's; the coordinates and pairings are
// illustrative (unverified) — clients read names, not geography.
func DefaultRegions() []Region {
	return []Region{
		{"eastus", "East US", "(US) East US", "United States", "US", "37.3719", "-79.8164", "Virginia", "westus"},
		{"eastus2", "East US 2", "(US) East US 2", "United States", "US", "36.6681", "-78.3889", "Virginia", "centralus"},
		{"centralus", "Central US", "(US) Central US", "United States", "US", "41.5908", "-93.6208", "Iowa", "eastus2"},
		{"westus", "West US", "(US) West US", "United States", "US", "37.783", "-122.417", "California", "eastus"},
		{"westus2", "West US 2", "(US) West US 2", "United States", "US", "47.233", "-119.852", "Washington", "westcentralus"},
		{"westus3", "West US 3", "(US) West US 3", "United States", "US", "33.448376", "-112.074036", "Phoenix", "eastus"},
		{"westcentralus", "West Central US", "(US) West Central US", "United States", "US", "40.890", "-110.234", "Wyoming", "westus2"},
		{"northeurope", "North Europe", "(Europe) North Europe", "Europe", "Europe", "53.3478", "-6.2597", "Ireland", "westeurope"},
		{"westeurope", "West Europe", "(Europe) West Europe", "Europe", "Europe", "52.3667", "4.9", "Netherlands", "northeurope"},
		{"uksouth", "UK South", "(Europe) UK South", "United Kingdom", "Europe", "50.941", "-0.799", "London", "ukwest"},
		{"ukwest", "UK West", "(Europe) UK West", "United Kingdom", "Europe", "53.427", "-3.084", "Cardiff", "uksouth"},
		{"swedencentral", "Sweden Central", "(Europe) Sweden Central", "Sweden", "Europe", "60.67488", "17.14127", "Gävle", ""},
		{"southeastasia", "Southeast Asia", "(Asia Pacific) Southeast Asia", "Asia Pacific", "Asia Pacific", "1.283", "103.833", "Singapore", "eastasia"},
		{"eastasia", "East Asia", "(Asia Pacific) East Asia", "Asia Pacific", "Asia Pacific", "22.267", "114.188", "Hong Kong", "southeastasia"},
		{"japaneast", "Japan East", "(Asia Pacific) Japan East", "Japan", "Asia Pacific", "35.68", "139.77", "Tokyo, Saitama", ""},
		{"australiaeast", "Australia East", "(Asia Pacific) Australia East", "Australia", "Asia Pacific", "-33.86", "151.2094", "New South Wales", ""},
	}
}

// DisplayNames lists the regions' display names, the form provider
// resource types list their locations in.
func DisplayNames(rs []Region) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.DisplayName
	}
	return out
}
