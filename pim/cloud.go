package pim

import "strings"

// Cloud holds every endpoint pimtray talks to in one Azure cloud. Tests and the demo point
// all of them at the fake Azure.
type Cloud struct {
	Name string `json:"name"`
	// AuthorityHost is the identity platform: "https://login.microsoftonline.com/".
	AuthorityHost string `json:"authorityHost"`
	// Graph is Microsoft Graph's base, without version: "https://graph.microsoft.com".
	Graph string `json:"graph"`
	// ARM is Azure Resource Manager's base: "https://management.azure.com".
	ARM string `json:"arm"`
	// GraphAudience and ARMAudience are the token resources (scope prefix); empty means Graph / ARM.
	GraphAudience string `json:"graphAudience,omitempty"`
	ARMAudience   string `json:"armAudience,omitempty"`
}

var (
	AzurePublic = Cloud{Name: "AzurePublic", AuthorityHost: "https://login.microsoftonline.com/",
		Graph: "https://graph.microsoft.com", ARM: "https://management.azure.com"}
	AzureGovernment = Cloud{Name: "AzureGovernment", AuthorityHost: "https://login.microsoftonline.us/",
		Graph: "https://graph.microsoft.us", ARM: "https://management.usgovcloudapi.net"}
	AzureChina = Cloud{Name: "AzureChina", AuthorityHost: "https://login.chinacloudapi.cn/",
		Graph: "https://microsoftgraph.chinacloudapi.cn", ARM: "https://management.chinacloudapi.cn"}
)

// CloudByName finds a well-known cloud by name (case-insensitive; "public", "usgov", "china" also work).
func CloudByName(name string) (Cloud, bool) {
	switch strings.ToLower(name) {
	case "", "azurepublic", "public", "azurecloud":
		return AzurePublic, true
	case "azuregovernment", "usgov", "usgovernment", "azureusgovernment":
		return AzureGovernment, true
	case "azurechina", "china", "azurechinacloud":
		return AzureChina, true
	}
	return Cloud{}, false
}

// GraphScope is the scope for a Graph token with every permission consented: "{graph}/.default".
func (c Cloud) GraphScope() string { return aud(c.GraphAudience, c.Graph) + "/.default" }

// ARMScope is the scope for an ARM token: "{arm}/.default".
func (c Cloud) ARMScope() string { return aud(c.ARMAudience, c.ARM) + "/.default" }

func aud(a, base string) string {
	if a != "" {
		return strings.TrimRight(a, "/")
	}
	return strings.TrimRight(base, "/")
}
