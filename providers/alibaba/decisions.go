package alibaba

// Doc-version decisions.
//
// This is the one place where kycdesk chooses between Alibaba sources that
// disagree or are silent. Params that depend on a choice carry a short
// Unconfirmed note pointing here (D1…D6). Sources: the seed
// (reference/seeds/000_32919602e3ec2a8b.txt, the Initialize page the user
// asked for) and reference/alibaba.md (SDK model, other doc versions).
//
// D1  ShowAlbumIcon on the wire. The seed's table spells the parameter
//     "ShowBlbumIcon"; the official SDKs (Go, Python, Java, C#, TypeScript:
//     initialize_request_model, query["ShowAlbumIcon"] in
//     InitializeWithOptions) send "ShowAlbumIcon". The SDK names come from
//     the API's own metadata and are what Alibaba's gateway maps, so the
//     seed's spelling is read as a typo of "Album". kycdesk sends
//     ShowAlbumIcon and accepts ShowBlbumIcon (any case) as input for the same
//     parameter; giving both with different values is refused. The sandbox
//     accepts either spelling from other clients.
//
// D2  DocType digits. The seed says "an 8-digit number" and then prints
//     Macao as 000000011 and Taiwan as 000000012 (9 digits). The SDK model
//     says 8 digits; the Japanese return-field page prints Taiwan as
//     00000012; every code known to work is 8 digits. kycdesk sends the
//     8-digit codes 00000011 and 00000012 and accepts the seed's 9-digit
//     spellings as aliases (Param.Aliases, docTypeAliases below). The Macao
//     code is verified by no official page (alibaba.md §1.4); if live
//     Alibaba refuses 00000011 with InvalidParameter, this table is what to
//     change. The sandbox accepts both spellings.
//
// D3  CheckResult before the customer finishes. The current status-code
//     page for this API lists ProcessNotCompleted (HTTP 404) and the current
//     SDK model documents Passed as Y or N only; an older doc version also
//     lists Passed "P" (pending). The sandbox answers ProcessNotCompleted
//     (404); the client reads both ProcessNotCompleted and Passed "P" as
//     pending.
//
// D4  Abandon in the sandbox. A real customer who gives up produces no
//     verdict: the TransactionId simply becomes invalid after 30 minutes.
//     The sandbox's Abandon button brings that moment forward: CheckResult
//     then answers TransactionIdInvalid (HTTP 400), which the client reports
//     as state unknown with an explanation. Deny gives Passed "N" with
//     SubCode 206, the one non-200 SubCode the seed names (Device Guard
//     judged the environment risky); Alibaba's SubCode table was not found
//     (alibaba.md §2), so kycdesk explains only 200 and 206.
//
// D5  MerchantUserId is sent desensitised: the lower-case hex HMAC-SHA256
//     of what the operator typed under the session store's customer key,
//     because the seed "strongly recommends" desensitising it by hashing,
//     and a plain hash of a phone number is reversed in a second by trying
//     numbers. It is stable for a given key (every desk sharing a store
//     sends the same value). The hash is computed when the request is built, so the
//     values keep what was typed and every retry sends the same hash. The
//     local switch kycdeskSendUserIdAsTyped (never sent) sends the value
//     unchanged. The typed value is marked Personal (it may be a phone
//     number or e-mail address, the seed's own examples) and so is never
//     stored; Launch.Customer is the value as sent.
//
// D6  MetaInfo. The seed requires the result of getMetaInfo() run in the
//     customer's browser, "passed through unmodified"; at a desk the session
//     is created before the customer's phone has opened anything, so that
//     value cannot exist yet (alibaba.md §5 found no official guidance for a
//     QR hand-off). kycdesk offers presets shaped like the documented
//     examples (the web SDK's {bioMetaInfo, deviceType, ua}); the default is
//     the mobile H5 preset because the customer scans the QR with a phone
//     and the server picks the mobile or PC flow from deviceType. A real
//     getMetaInfo() result can be pasted instead. With SecurityLevel 02
//     Device Guard may judge a preset risky (SubCode 206); use 01 while
//     testing, as the seed advises.
//     Where a phone can reach kycdesk (kycdesk serve --public-url), the
//     preset is not used at all: the desk's QR opens the relay
//     (server/relay.go, desk/relay.go), whose page runs getMetaInfo() on
//     the phone and only then calls Initialize, as the documented
//     sequence has it (alibaba.md §5.1). The preset stays where no relay
//     can exist (the local console, the CLI, a serve without a public
//     URL); IsPreset names it, launches record it (metaInfoSource preset)
//     and say PresetNote.
//
// D7  TransactionUrl hosts. No page found states the host of the
//     TransactionUrl that Initialize returns (the seed's example is cut at
//     "http…", alibaba.md §1.3). The documented eKYC web hosts are the
//     H5 SDK's CDN hkwebcdn.yuncloudauth.com (alibaba.md §5) and the
//     Alibaba Cloud domains of the API itself (aliyuncs.com, alibabacloud.com,
//     aliyun.com). A TransactionUrl elsewhere is not turned into a QR code
//     unless allowed_url_hosts under [alibaba] names its host (the banner
//     shows it). If live Alibaba answers another host, that setting is the
//     workaround and HostedURLHosts below is what to change.

// HostedURLHosts is the host family a TransactionUrl must belong to (D7,
// unconfirmed).
var HostedURLHosts = []string{"yuncloudauth.com", "aliyuncs.com", "alibabacloud.com", "aliyun.com"}

const (
	// wireAlbumIcon is the name sent (D1); seedAlbumIcon is the seed's
	// spelling, accepted as input.
	wireAlbumIcon = "ShowAlbumIcon"
	seedAlbumIcon = "ShowBlbumIcon"
)

// docTypeAliases maps the seed's 9-digit spellings to the 8-digit codes
// that are sent (D2).
var docTypeAliases = map[string]string{
	"000000011": "00000011",
	"000000012": "00000012",
}

const (
	unconfirmedAlbum    = "Alibaba's Initialize API page spells it ShowBlbumIcon, the SDKs ShowAlbumIcon; ShowAlbumIcon is sent and both are accepted"
	unconfirmedDocType  = "Alibaba's Initialize API page prints Macao and Taiwan with 9 digits; the 8-digit codes are sent and both are accepted; the Macao code is unverified"
	unconfirmedUserID   = "sent as a keyed HMAC-SHA256 (the session store's customer key) unless kycdeskSendUserIdAsTyped is true"
	unconfirmedMetaInfo = PresetNote + ": where no relay reaches the customer's phone (kycdesk serve --public-url), a preset stands in for getMetaInfo()"
)
