package alibaba

// ACS3-HMAC-SHA256, the V3 signature of Alibaba Cloud OpenAPI, written from
// reference/alibaba.md §3.1 (darabonba-openapi DoRequest and
// openapi-util GetAuthorization) and checked against the published vectors
// of §3.2 and the Node capture of §3.5 (sign_test.go).
//
//	CanonicalRequest = METHOD \n "/" \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HexSHA256(body)
//	StringToSign     = "ACS3-HMAC-SHA256" \n HexSHA256(CanonicalRequest)
//	Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
//	Authorization    = ACS3-HMAC-SHA256 Credential=<AKID>,SignedHeaders=<a;b;c>,Signature=<hex>

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// Algorithm is the V3 signature algorithm name.
const Algorithm = "ACS3-HMAC-SHA256"

// EmptyBodyHash is HexSHA256 of an empty body, the x-acs-content-sha256 of
// every request kycdesk sends (all parameters travel in the query).
const EmptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// HashHex is the lower-case hex SHA-256 of data.
func HashHex(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// PercentEncode is the RFC 3986 encoding of the canonical query: Go's
// url.QueryEscape, then "+"→"%20", "*"→"%2A", "%7E"→"~". Only A-Z a-z 0-9
// - _ . ~ stay as they are.
func PercentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	e = strings.ReplaceAll(e, "%7E", "~")
	return e
}

// CanonicalQuery sorts the keys and joins k=PercentEncode(v) with "&"; an
// empty value gives "k=". Keys are not escaped (as the SDK does); a key with
// several values contributes one pair per value, values sorted.
func CanonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		if len(vals) == 0 {
			vals = []string{""}
		}
		sort.Strings(vals)
		for _, v := range vals {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(PercentEncode(v))
		}
	}
	return b.String()
}

// signedHeader reports whether a (lower-case) header name takes part in the
// signature: host, content-type and every x-acs-* header.
func signedHeader(name string) bool {
	return name == "host" || name == "content-type" || strings.HasPrefix(name, "x-acs-")
}

// CanonicalHeaders lower-cases the names of the headers that are signed
// (host, content-type, x-acs-*), trims the values, sorts, and returns the
// "name:value\n" block and the ";"-joined signed header list. Repeated
// headers (including names differing only in case) are joined with ","
// after sorting their values.
func CanonicalHeaders(headers map[string][]string) (canonical, signed string) {
	merged := map[string][]string{}
	for k, vs := range headers {
		lk := strings.ToLower(strings.TrimSpace(k))
		if !signedHeader(lk) {
			continue
		}
		for _, v := range vs {
			merged[lk] = append(merged[lk], strings.TrimSpace(v))
		}
	}
	names := make([]string, 0, len(merged))
	for k := range merged {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		vals := merged[n]
		sort.Strings(vals)
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(strings.Join(vals, ","))
		b.WriteByte('\n')
	}
	return b.String(), strings.Join(names, ";")
}

// CanonicalRequest builds the V3 canonical request and the signed header
// list. An empty path is "/". payloadHash is HexSHA256 of the body.
func CanonicalRequest(method, path string, query url.Values, headers map[string][]string, payloadHash string) (creq, signedHeaders string) {
	if path == "" {
		path = "/"
	}
	ch, sh := CanonicalHeaders(headers)
	creq = method + "\n" + path + "\n" + CanonicalQuery(query) + "\n" + ch + "\n" + sh + "\n" + payloadHash
	return creq, sh
}

// StringToSign is "ACS3-HMAC-SHA256\n" + HexSHA256(canonicalRequest).
func StringToSign(canonicalRequest string) string {
	return Algorithm + "\n" + HashHex([]byte(canonicalRequest))
}

// Sign is hex(HMAC-SHA256(secret, stringToSign)).
func Sign(secret, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// Authorization computes the Authorization header value for a request.
func Authorization(accessKeyID, secret, method, path string, query url.Values, headers map[string][]string, payloadHash string) string {
	creq, sh := CanonicalRequest(method, path, query, headers, payloadHash)
	return Algorithm + " Credential=" + accessKeyID + ",SignedHeaders=" + sh + ",Signature=" + Sign(secret, StringToSign(creq))
}
