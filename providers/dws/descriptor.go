package dws

import (
	"maps"
	"slices"
	"strings"

	"github.com/kycdesk/kycdesk/providers"
)

// Gateways (reference/dws.md §3: the AMS SDKs' EndPointConstants and the
// api_fund page's recommended "-global" domains). DWS's own host is not
// published; the AMS gateways are the documented ones.
const (
	GatewaySingapore    = "https://open-sea-global.alipay.com"
	GatewayNorthAmerica = "https://open-na-global.alipay.com"
	GatewayEurope       = "https://open-de-global.alipay.com"
)

// gateways maps the gateway option's accepted names to base URLs.
var gateways = map[string]string{
	"singapore":     GatewaySingapore,
	"sg":            GatewaySingapore,
	"sea":           GatewaySingapore,
	"asia":          GatewaySingapore,
	"north-america": GatewayNorthAmerica,
	"na":            GatewayNorthAmerica,
	"europe":        GatewayEurope,
	"eu":            GatewayEurope,
	"de":            GatewayEurope,
}

// GatewayURL resolves a gateway name (case-insensitive).
func GatewayURL(name string) (string, bool) {
	u, ok := gateways[strings.ToLower(strings.TrimSpace(name))]
	return u, ok
}

// GatewayNames lists the accepted gateway names, sorted.
func GatewayNames() []string {
	return slices.Sorted(maps.Keys(gateways))
}

// ResolveBaseURL turns the gateway option into a base URL; no (or an
// unknown) gateway gives Singapore. New refuses unknown names.
func ResolveBaseURL(options map[string]string) string {
	if u, ok := GatewayURL(options[OptionGateway]); ok {
		return u
	}
	return GatewaySingapore
}

func sandboxCredentials() map[string]string {
	return map[string]string{
		CredClientID:          SandboxClientID,
		CredPrivateKeyPEM:     SandboxClientPrivateKeyPEM,
		CredPlatformPublicKey: SandboxPlatformPublicKeyPEM,
	}
}

// Follow: the result is the verifyAuthentication answer the operator's
// Verify gets; Status sends nothing (DWS documents no query API), so there
// is nothing to poll or wait for.
var Follow = providers.FollowPolicy{ResultByVerify: true}

// Descriptor is the registry entry for DWS.
func Descriptor() providers.Descriptor {
	return providers.Descriptor{
		ID:            "dws",
		MainReference: "authenticationId",
		Follow:        &Follow,
		Name:          "Alipay DWS OTP",
		Summary:       "customer authentication by SMS code: initAuthentication, send code, the operator types it in",
		LiveURL:       GatewaySingapore,
		BaseURLEnv:    "KYCDESK_DWS_URL",
		Credentials: []providers.Credential{
			{Name: CredClientID, Env: "DWS_CLIENT_ID",
				Doc: "Client-Id from the Alipay Developer Center (ids starting SANDBOX_ use the /ams/sandbox/api path)"},
			{Name: CredPrivateKeyPEM, Env: "DWS_PRIVATE_KEY_FILE", Secret: true, File: true,
				Doc: "file holding your RSA private key (2048-bit; PEM, PKCS#8 or PKCS#1, or the bare base64 body) that signs requests"},
			{Name: CredPlatformPublicKey, Env: "DWS_PUBLIC_KEY_FILE", File: true, Optional: true,
				Doc: "file holding the DWS platform RSA public key that verifies answers; without it answers are not verified"},
		},
		SandboxCredentials: sandboxCredentials(),
		Spec:               Spec,
		New:                providers.Constructor(New),
		NewSimulator: func(o providers.SimOptions) providers.Simulator {
			return NewSimulator(o)
		},
		ResolveBaseURL: ResolveBaseURL,
		OptionsDoc: map[string]string{
			OptionGateway: "live gateway: singapore (sg, default, " + GatewaySingapore + "), north-america (na, " +
				GatewayNorthAmerica + "), europe (eu, de, " + GatewayEurope + "); base_url / KYCDESK_DWS_URL overrides it",
			OptionKeyVersion: "keyVersion in the Signature header (default 1, the key's version in the Developer Center)",
		},
	}
}
