// Package dws is kycdesk's Alipay DWS customer-authentication provider: a
// one-time password by SMS.
//
// # Flow
//
//  1. Launch sends initAuthentication (seed 001) with authenticationMethod
//     OTP, authenticationType SMS, identityType MOBILENO and the customer's
//     number as identityValue in the seed's "{countryCode}-{number}" form
//     (NormalizePhone). DWS answers authenticationId and an actionForm with
//     the masked number. The Launch carries both ids, the challenge and the
//     masked number (providers.MaskPhone) as Customer.
//  2. Trigger sends triggerChallenge (challengeId = authenticationId): DWS
//     sends the SMS. Resends wait ResendCooldown.
//  3. Verify sends verifyAuthentication with the code the customer reads out
//     in challengeData {challengeType SMS_OTP, otpValue}, together with
//     authenticationRequestId and DWS's authenticationId
//     (docs/ac/dws2/verifyauthentication, docs/ac/dws2/verifyandresume). A
//     code that is not OTPLength digits is refused before anything is sent
//     (CheckCode).
//
// Every body member is a JSON string. Requests are signed with RSA256
// (SHA256withRSA, PKCS#1 v1.5) over "POST <uri>\n<client-id>.<request-time>.<body>"
// and answers are verified the same way with the DWS platform public key
// when one is configured (DWS_PUBLIC_KEY_FILE); without it every Launch
// says plainly that answers are not verified.
//
// # Results and retries
//
// resultStatus S is success; F is a *providers.Error of KindRejected with
// the seed's meaning and further action for the code (Codes); U, HTTP 5xx
// or 429 and timeouts are retried inside the call, up to Client.Retries
// times with Client.Backoff between, with the same idempotency key and the
// byte-identical body (only Request-Time and Signature are fresh). If the
// outcome stays unknown the error is KindUnknown and says how to retry the
// same request later. REPEAT_REQ_INCONSISTENT is explained: the body
// changed under the same authenticationRequestId; launch anew with a new id.
//
// Status sends nothing: DWS documents no query API, and re-sending
// initAuthentication would need the personal number, which kycdesk does not
// keep. It reports what Trigger and Verify recorded on the Launch (pending
// until verified; approved, denied, or expired for an expired code), and
// expired after SessionTTL, kycdesk's own bound.
//
// # Unconfirmed choices (one named place each)
//
//   - Request-Time format: FormatRequestTime (epoch milliseconds).
//   - ChallengeData's members (challengeType SMS_OTP, otpValue), shown only by
//     example: the VerifyField…/ChallengeData… constants in challenge.go.
//   - The code's length: OTPLength (6, the example's).
//   - The id sent as verifyAuthentication's authenticationRequestId: VerifyRequestID.
//   - Wrong / expired / too many codes: CodeOTPIncorrect, CodeOTPExpired,
//     CodeVerifyTimesExceedLimit.
//   - authenticationType EMAIL is not offered (its identityType is not
//     documented); see the Unconfirmed note on the parameter.
//   - env members follow the seed's examples; their meanings the AMS Env model.
//   - SessionTTL (30 min) and ResendCooldown (30 s) are kycdesk's; DWS
//     documents neither.
//
// # Sandbox
//
// Descriptor().SandboxCredentials are SandboxClientID with the fixed
// sandbox key pairs in keys.go (sandbox only). The simulator (NewSimulator)
// answers at the real paths, checks signatures, client id, field rules and
// idempotency with its own code, signs its answers with the sandbox
// platform key, and shows the codes it "sends" on its SMS inbox page
// (SimPagePath, /sandbox/dws/) and through SimOptions.Logf. For sandbox
// client ids only, its triggerChallenge answer carries the code in
// SandboxCodeField (and its expiry in SandboxCodeExpiresField), a
// sandbox-only extension the client copies to Challenge.SandboxCode only in
// sandbox mode.
//
// Magic numbers: an identityValue whose number ends in
// SandboxSuffixUnknownOnce (0999) is answered U once per
// authenticationRequestId, then S on the retry; SandboxSuffixUnavailableOnce
// (0997) gets HTTP 503 once; SandboxSuffixAlwaysUnknown (0998) is always U;
// SandboxSuffixProcessFail (0996) and SandboxSuffixAccessDenied (0995) are
// refused with PROCESS_FAIL and ACCESS_DENIED. For example
// `kycdesk launch dws --set identityValue=+60123450999`.
package dws
