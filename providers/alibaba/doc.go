// Package alibaba is kycdesk's provider for Alibaba Cloud ID Verification
// eKYC (cloudauth-intl, API 2022-08-09): the Initialize parameter spec from
// the seed, ACS3-HMAC-SHA256 signing, the client (Initialize, CheckResult),
// the error-code table, and a sandbox simulator with a customer page.
//
// Where the sources disagree (ShowBlbumIcon / ShowAlbumIcon, 9- or 8-digit
// DocType codes, CheckResult before completion, MerchantUserId hashing,
// MetaInfo presets) the choice is made once, in decisions.go.
//
// Wire shape: POST / on cloudauth-intl[-vpc].<region>.aliyuncs.com, every
// parameter in the query string, an empty body, the V3 headers (host,
// x-acs-action, x-acs-version, x-acs-date, x-acs-signature-nonce,
// x-acs-content-sha256) signed in the Authorization header, and JSON
// answers {RequestId, Code, Message, Result}.
package alibaba
