package idenfy

import (
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// ID is the provider id in the registry, the CLI and the session store.
const ID = "idenfy"

// LiveURL is iDenfy's API root (reference/idenfy.md §0, OpenAPI servers).
const LiveURL = "https://ivs.idenfy.com"

// BaseURLEnv overrides the endpoint.
const BaseURLEnv = "KYCDESK_IDENFY_URL"

// Environment variables holding the live credentials.
const (
	APIKeyEnv    = "IDENFY_API_KEY"
	APISecretEnv = "IDENFY_API_SECRET"
)

// The fixed credentials the sandbox simulator accepts (printed by
// `kycdesk sandbox`). They are not secrets and work nowhere else.
const (
	SandboxAPIKey    = "kycdesk-sandbox-key"
	SandboxAPISecret = "kycdesk-sandbox-secret"
)

// ManualRefreshInterval is the least time between two status requests the
// operator asks for on one session. iDenfy's data-retrieval page says not
// to poll /api/v2/status ("may restrict your access"); results come by
// webhook. 10 s is kycdesk's bound (issue 11), not iDenfy's.
const ManualRefreshInterval = 10 * time.Second

// Follow is how iDenfy results are followed: by the account-level webhook
// (set in iDenfy's dashboard, or the sandbox's --webhook-url), never by
// automatic polling; the operator may ask once per ManualRefreshInterval.
var Follow = providers.FollowPolicy{
	Callbacks:         true,
	AutoPoll:          false,
	MinManualInterval: ManualRefreshInterval,
}

// Descriptor is iDenfy's registry entry.
func Descriptor() providers.Descriptor {
	return providers.Descriptor{
		ID:         ID,
		Name:       "iDenfy",
		Summary:    "iDenfy KYC token (POST /api/v2/token): the customer scans the QR and completes document + selfie",
		LiveURL:    LiveURL,
		BaseURLEnv: BaseURLEnv,
		Credentials: []providers.Credential{
			{Name: "apiKey", Env: APIKeyEnv, Doc: "iDenfy API key (the HTTP Basic user name); from iDenfy's support or sales team"},
			{Name: "apiSecret", Env: APISecretEnv, Secret: true, Doc: "iDenfy API secret (the HTTP Basic password); never shown"},
		},
		SandboxCredentials: map[string]string{"apiKey": SandboxAPIKey, "apiSecret": SandboxAPISecret},
		Spec:               Spec,
		New:                New,
		NewSimulator:       NewSimulator,
		CustomerParam:      "clientId",
		// iDenfy bills repeated tokens for the same clientId ([002] tip).
		MainReference:   "scanRef",
		Follow:          &Follow,
		BillsEachLaunch: true,
	}
}
