package alibaba

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// ID is the provider id in the registry, the CLI and the session store.
const ID = "alibaba"

// Follow is how Alibaba results are followed: by CallbackUrl (then one
// CheckResult) when a receiver is reachable; otherwise gentle CheckResult
// polling, every 5 s doubling to 60 s per session, under one token bucket
// per AccessKey of AccountQPS. The eKYC limit is 10 QPS per Alibaba Cloud
// account and API, shared by every RAM user and every desk
// (reference/alibaba.md §6); kycdesk keeps to 8 so other callers of the
// account keep some room. Launches (Initialize) queue on a bucket of their
// own at the same rate in the desk, since the limit is per API. The bucket is per
// AccessKeyId because the account id is not known to kycdesk.
var Follow = providers.FollowPolicy{
	Callbacks:          true,
	CallbackPerSession: true,
	AutoPoll:           true,
	PollInterval:       5 * time.Second,
	PollMaxInterval:    60 * time.Second,
	MinManualInterval:  2 * time.Second,
	AccountQPS:         8,
}

// API facts (alibaba.md §1.1, §3.1).
const (
	// APIVersion is x-acs-version.
	APIVersion = "2022-08-09"
	// LiveURL is the default endpoint: China (Hong Kong), public network.
	LiveURL = "https://cloudauth-intl.cn-hongkong.aliyuncs.com"
	// BaseURLEnv overrides the endpoint.
	BaseURLEnv = "KYCDESK_ALIBABA_URL"
	// DefaultRegion is where ProductCode eKYC is offered.
	DefaultRegion = "cn-hongkong"
)

// Sandbox credentials: fixed, public, accepted only by the simulator.
const (
	SandboxAccessKeyID     = "LTAI5tKycdeskSandbox0000"
	SandboxAccessKeySecret = "kycdeskSandboxSecretNotForLive"
)

// Option names (Config.Options).
const (
	OptionRegion   = "region"
	OptionEndpoint = "endpoint"
)

// Regions maps a region id to its public and VPC hosts (alibaba.md §1.1).
var Regions = map[string]struct{ Name, Public, VPC string }{
	"cn-hongkong":    {"China (Hong Kong)", "cloudauth-intl.cn-hongkong.aliyuncs.com", "cloudauth-intl-vpc.cn-hongkong.aliyuncs.com"},
	"ap-southeast-1": {"Singapore", "cloudauth-intl.ap-southeast-1.aliyuncs.com", "cloudauth-intl-vpc.ap-southeast-1.aliyuncs.com"},
	"ap-southeast-5": {"Jakarta", "cloudauth-intl.ap-southeast-5.aliyuncs.com", "cloudauth-intl-vpc.ap-southeast-5.aliyuncs.com"},
	"ap-southeast-3": {"Kuala Lumpur", "cloudauth-intl.ap-southeast-3.aliyuncs.com", "cloudauth-intl-vpc.ap-southeast-3.aliyuncs.com"},
}

func regionIDs() []string {
	return slices.Sorted(maps.Keys(Regions))
}

// ResolveBaseURL turns the region and endpoint options into the live base
// URL: region defaults to cn-hongkong, endpoint to public (or vpc, for a
// server inside the same Alibaba Cloud region). It returns "" for an
// unknown region or endpoint type; New reports which.
func ResolveBaseURL(options map[string]string) string {
	u, _ := resolve(options)
	return u
}

func resolve(options map[string]string) (string, *providers.Error) {
	region := strings.ToLower(strings.TrimSpace(options[OptionRegion]))
	if region == "" {
		region = DefaultRegion
	}
	r, ok := Regions[region]
	if !ok {
		return "", &providers.Error{Kind: providers.KindInvalid, Field: OptionRegion,
			Message: "unknown region " + providers.SanitizeLine(region),
			Action:  "use one of " + strings.Join(regionIDs(), ", ")}
	}
	switch strings.ToLower(strings.TrimSpace(options[OptionEndpoint])) {
	case "", "public":
		return "https://" + r.Public, nil
	case "vpc", "internal":
		return "https://" + r.VPC, nil
	}
	return "", &providers.Error{Kind: providers.KindInvalid, Field: OptionEndpoint,
		Message: "unknown endpoint type " + providers.SanitizeLine(options[OptionEndpoint]),
		Action:  "use public or vpc"}
}

// Descriptor is the registry entry.
func Descriptor() providers.Descriptor {
	return providers.Descriptor{
		ID:            ID,
		Follow:        &Follow,
		MainReference: "TransactionId",
		DeviceParam:   "MetaInfo",
		DeviceScript:  ScriptURL,
		DeviceMark:    MarkDevice,
		DeviceNote: func(meta string) string {
			if IsPreset(meta) {
				return PresetNote
			}
			return ""
		},
		// The customer recorded is the hash sent (D5), never the typed id.
		CustomerParam: "MerchantUserId",
		CustomerKey:   HashUserID,
		Name:          "Alibaba Cloud eKYC",
		Summary:       "ID Verification eKYC (Initialize 2022-08-09): document + liveness, single-use URL valid 30 minutes",
		LiveURL:       LiveURL,
		BaseURLEnv:    BaseURLEnv,
		Credentials: []providers.Credential{
			{Name: CredAccessKeyID, Env: "ALIBABA_CLOUD_ACCESS_KEY_ID",
				Doc: "AccessKey ID of a RAM user with the AliyunAntCloudAuthFullAccess policy"},
			{Name: CredAccessKeySecret, Env: "ALIBABA_CLOUD_ACCESS_KEY_SECRET", Secret: true,
				Doc: "AccessKey secret; signs every request (ACS3-HMAC-SHA256) and is never sent or shown"},
		},
		SandboxCredentials: map[string]string{
			CredAccessKeyID:     SandboxAccessKeyID,
			CredAccessKeySecret: SandboxAccessKeySecret,
		},
		Spec:         Spec,
		New:          providers.Constructor(New),
		NewSimulator: func(o providers.SimOptions) providers.Simulator { return NewSimulator(o) },
		ResolveBaseURL: func(options map[string]string) string {
			return ResolveBaseURL(options)
		},
		OptionsDoc: map[string]string{
			OptionRegion: "Alibaba Cloud region: cn-hongkong (default; the only region offering ProductCode eKYC), " +
				"ap-southeast-1 (Singapore), ap-southeast-5 (Jakarta), ap-southeast-3 (Kuala Lumpur)",
			OptionEndpoint: "public (default) or vpc: the internal endpoint cloudauth-intl-vpc.<region>.aliyuncs.com, " +
				"reachable only from a server in the same Alibaba Cloud region",
		},
	}
}
