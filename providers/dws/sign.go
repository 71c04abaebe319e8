package dws

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Signing, as the AMS digital-signature page describes it (reference/dws.md §3)
// and as the Java, Go and Python global-open-sdks implement it:
//
//	content   = "POST " + <uri> + "\n" + <client-id> + "." + <request-time> + "." + <body>
//	signature = urlEncode(base64(SHA256withRSA(content, merchantPrivateKey)))
//	header    = Signature: algorithm=RSA256,keyVersion=1,signature=<signature>
//
// Responses are verified over the same form with the Response-Time header in
// place of the request time and DWS's public key.

// SignatureAlgorithm is the only algorithm the current AMS pages list.
const SignatureAlgorithm = "RSA256"

// MinKeyBits is the smallest RSA key accepted (the AMS v2 page requires 2048-bit keys).
const MinKeyBits = 2048

// FormatRequestTime is the ONE place the Request-Time header is formatted.
//
// UNCONFIRMED: the AMS docs disagree. The current signature page and the Java
// and Go SDKs send epoch milliseconds ("1685599933871"); older pages, the v2
// page and the Python SDK send ISO 8601 ("2019-04-04T12:08:56.253+05:30").
// The notes conclude the gateway accepts both. kycdesk sends epoch
// milliseconds, as the current page and two of the three SDKs do.
func FormatRequestTime(t time.Time) string {
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// SignContent is the exact text that is signed (request) or verified
// (response, with the Response-Time value as timestamp).
func SignContent(method, uri, clientID, timestamp string, body []byte) []byte {
	var b strings.Builder
	b.Grow(len(method) + len(uri) + len(clientID) + len(timestamp) + len(body) + 4)
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(clientID)
	b.WriteByte('.')
	b.WriteString(timestamp)
	b.WriteByte('.')
	b.Write(body)
	return []byte(b.String())
}

// Sign returns the URL-encoded base64 SHA256withRSA (PKCS#1 v1.5) signature
// of content. PKCS#1 v1.5 is deterministic: the same key and content always
// give the same signature.
func Sign(key *rsa.PrivateKey, content []byte) (string, error) {
	sum := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), nil
}

// Verify checks a URL-encoded base64 signature (as found in a Signature header)
// over content.
func Verify(pub *rsa.PublicKey, content []byte, encoded string) error {
	unescaped, err := url.QueryUnescape(encoded)
	if err != nil {
		return fmt.Errorf("signature is not URL-encoded: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(unescaped)
	if err != nil {
		return fmt.Errorf("signature is not base64: %w", err)
	}
	sum := sha256.Sum256(content)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("signature does not match")
	}
	return nil
}

// SignatureHeader formats the Signature header value, exactly as the Java SDK
// does (no spaces).
func SignatureHeader(keyVersion, signature string) string {
	return "algorithm=" + SignatureAlgorithm + ",keyVersion=" + keyVersion + ",signature=" + signature
}

// ParseSignatureHeader extracts algorithm, keyVersion and signature from a
// Signature header. Spaces after commas are tolerated (the docs show them,
// the SDKs send none); names are matched case-insensitively.
func ParseSignatureHeader(h string) (algorithm, keyVersion, signature string, err error) {
	if strings.TrimSpace(h) == "" {
		return "", "", "", errors.New("no Signature header")
	}
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", "", "", fmt.Errorf("malformed Signature header part %q", truncate(part, 40))
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "algorithm":
			algorithm = strings.TrimSpace(v)
		case "keyversion":
			keyVersion = strings.TrimSpace(v)
		case "signature":
			signature = strings.TrimSpace(v)
		}
	}
	if signature == "" {
		return "", "", "", errors.New("the Signature header has no signature= part")
	}
	return algorithm, keyVersion, signature, nil
}

// ParsePrivateKey reads an RSA private key: PEM (PKCS#8 "PRIVATE KEY" or
// PKCS#1 "RSA PRIVATE KEY"), or the bare base64 PKCS#8/PKCS#1 body that the
// Alipay developer centre and the Java SDK use. Errors never include key material.
func ParsePrivateKey(text string) (*rsa.PrivateKey, error) {
	der, err := keyDER(text, "private")
	if err != nil {
		return nil, err
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the private key is a %T, not an RSA key (DWS signs with RSA256)", k)
		}
		key = rk
	} else if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		key = k
	} else {
		return nil, errors.New("the private key is neither PKCS#8 nor PKCS#1 RSA")
	}
	if key.N.BitLen() < MinKeyBits {
		return nil, fmt.Errorf("the private key has %d bits; DWS requires at least %d", key.N.BitLen(), MinKeyBits)
	}
	return key, nil
}

// ParsePublicKey reads an RSA public key: PEM ("PUBLIC KEY" X.509
// SubjectPublicKeyInfo or "RSA PUBLIC KEY" PKCS#1), or the bare base64 body.
func ParsePublicKey(text string) (*rsa.PublicKey, error) {
	der, err := keyDER(text, "public")
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("the public key is a %T, not an RSA key", k)
		}
		return rk, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("the public key is neither X.509 SubjectPublicKeyInfo nor PKCS#1 RSA")
}

func keyDER(text, what string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, fmt.Errorf("the %s key is empty", what)
	}
	if strings.Contains(text, "-----BEGIN") {
		block, _ := pem.Decode([]byte(text))
		if block == nil {
			return nil, fmt.Errorf("the %s key PEM cannot be decoded", what)
		}
		if strings.Contains(block.Type, "ENCRYPTED") || block.Headers["Proc-Type"] != "" {
			return nil, fmt.Errorf("the %s key is encrypted; give an unencrypted PEM", what)
		}
		return block.Bytes, nil
	}
	compact := strings.Join(strings.Fields(text), "")
	der, err := base64.StdEncoding.DecodeString(compact)
	if err != nil {
		return nil, fmt.Errorf("the %s key is neither PEM nor base64", what)
	}
	return der, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
