package dws

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
)

// The vector: the sandbox client key over a fixed content. The expected value
// was computed independently with
//
//	printf '<content>' | openssl dgst -sha256 -sign client.pem | base64 -w0 | (URL-encode, quote_plus)
const (
	vectorBody    = `{"authenticationRequestId":"KYCDESK-VECTOR-1","authenticationMethod":"OTP","authenticationType":"SMS","identityType":"MOBILENO","identityValue":"44-2044555666"}`
	vectorContent = "POST /ams/sandbox/api/v1/customers/initAuthentication\nSANDBOX_KYCDESK0001.1700000000000." + vectorBody
	vectorSig     = "eQAmzjgTBK%2FlLdWhA1SLL0thucyeLx8xtOK%2BjME%2FTbeJ5idjCwPHr%2BSUcq2v5sET3nXLmQg278gT3UAQDJHLkuUIdquBp%2Bi1i4X1zmntsvNxFGLdJpOsd9qeohZXpka41wGGgDsRBnWM9BvLwxIHH9X9eP%2FpAao9CN6LDCgM5oYUdBG0CZVlE5J2I7yXHVrwViVKtUZIruf%2F7ExnMY%2BvXVzHo28lQvR5iGhNhV63lT2MaZA2Er9OqUcZyTjZAHHhWKCzXDWB4pnxwL3jFLaIQovpLT9G7RBANFeTvP%2FRx4p6gMKMu7Hlk6OPk8gm7ezgbH6rOvt5R%2B%2FT3aDKqigF%2Fw%3D%3D"
)

func TestSignContentForm(t *testing.T) {
	got := string(SignContent("POST", "/ams/sandbox/api/v1/customers/initAuthentication", SandboxClientID, "1700000000000", []byte(vectorBody)))
	if got != vectorContent {
		t.Fatalf("content:\n%q\nwant\n%q", got, vectorContent)
	}
}

func TestSignFixedVector(t *testing.T) {
	key, err := ParsePrivateKey(SandboxClientPrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign(key, []byte(vectorContent))
	if err != nil {
		t.Fatal(err)
	}
	if sig != vectorSig {
		t.Fatalf("signature:\n%s\nwant\n%s", sig, vectorSig)
	}
	pub, err := ParsePublicKey(SandboxClientPublicKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(pub, []byte(vectorContent), vectorSig); err != nil {
		t.Fatal(err)
	}
}

// The client's own request, at a fixed time, carries exactly the vector.
func TestRequestMatchesVector(t *testing.T) {
	at := time.UnixMilli(1700000000000)
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:8470", Now: clocktest.New(at).Now})
	if err != nil {
		t.Fatal(err)
	}
	req, err := c.Request(context.Background(), vals(ParamAuthenticationRequestID, "KYCDESK-VECTOR-1", ParamIdentityValue, "+44 20 4455 5666"))
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodPost || req.URL.String() != "http://127.0.0.1:8470/ams/sandbox/api/v1/customers/initAuthentication" {
		t.Fatalf("request line %s %s", req.Method, req.URL)
	}
	body, _ := io.ReadAll(req.Body)
	if string(body) != vectorBody {
		t.Fatalf("body %s", body)
	}
	want := map[string]string{
		"Content-Type": "application/json; charset=UTF-8",
		"Client-Id":    SandboxClientID,
		"Request-Time": "1700000000000",
		"Signature":    "algorithm=RSA256,keyVersion=1,signature=" + vectorSig,
	}
	for k, v := range want {
		if got := req.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

func TestSignRoundTripAndTamper(t *testing.T) {
	key, _ := ParsePrivateKey(SandboxPlatformPrivateKeyPEM)
	pub, _ := ParsePublicKey(SandboxPlatformPublicKeyPEM)
	content := SignContent("POST", "/ams/api/v1/security/triggerChallenge", "2188120000000001", "2019-05-28T12:12:14+08:00", []byte(`{"result":{"resultStatus":"S"}}`))
	sig, err := Sign(key, content)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(sig, "+/=") {
		t.Fatalf("signature not URL-encoded: %s", sig)
	}
	if err := Verify(pub, content, sig); err != nil {
		t.Fatal(err)
	}
	tampered := append([]byte(nil), content...)
	tampered[len(tampered)-3] = 'F'
	if Verify(pub, tampered, sig) == nil {
		t.Fatal("tampered content verified")
	}
	other, _ := ParsePublicKey(SandboxClientPublicKeyPEM)
	if Verify(other, content, sig) == nil {
		t.Fatal("verified with the wrong key")
	}
	if Verify(pub, content, "%%%") == nil || Verify(pub, content, "not-base64!") == nil {
		t.Fatal("garbage signature accepted")
	}
}

func TestParseSignatureHeader(t *testing.T) {
	for _, h := range []string{
		"algorithm=RSA256,keyVersion=1,signature=abc%3D",
		"algorithm=RSA256, keyVersion=1, signature=abc%3D",
		"Algorithm=RSA256,KeyVersion=1,Signature=abc%3D",
	} {
		alg, kv, sig, err := ParseSignatureHeader(h)
		if err != nil || alg != "RSA256" || kv != "1" || sig != "abc%3D" {
			t.Errorf("%q → %q %q %q %v", h, alg, kv, sig, err)
		}
	}
	for _, h := range []string{"", "algorithm=RSA256", "garbage"} {
		if _, _, _, err := ParseSignatureHeader(h); err == nil {
			t.Errorf("%q accepted", h)
		}
	}
}

func TestParseKeyForms(t *testing.T) {
	key, err := ParsePrivateKey(SandboxClientPrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	der8, _ := x509.MarshalPKCS8PrivateKey(key)
	bare := base64.StdEncoding.EncodeToString(der8)
	for name, text := range map[string]string{"pkcs8": SandboxClientPrivateKeyPEM, "pkcs1": pkcs1, "bare base64": bare} {
		k, err := ParsePrivateKey(text)
		if err != nil || !k.Equal(key) {
			t.Errorf("%s: %v", name, err)
		}
	}
	pubPKCS1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}))
	if k, err := ParsePublicKey(pubPKCS1); err != nil || !k.Equal(&key.PublicKey) {
		t.Errorf("pkcs1 public: %v", err)
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)}))
	if _, err := ParsePrivateKey(smallPEM); err == nil || !strings.Contains(err.Error(), "2048") {
		t.Errorf("1024-bit key: %v", err)
	}
	// Errors never echo key material.
	broken := strings.Replace(SandboxClientPrivateKeyPEM, "MII", "ZZZ", 1)
	_, err = ParsePrivateKey(broken)
	if err == nil {
		t.Fatal("broken key accepted")
	}
	for _, line := range strings.Split(SandboxClientPrivateKeyPEM, "\n")[1:5] {
		if strings.Contains(err.Error(), line[:20]) {
			t.Fatalf("error leaks key material: %v", err)
		}
	}
	if _, err := ParsePrivateKey(""); err == nil {
		t.Fatal("empty key accepted")
	}
	if _, err := ParsePublicKey("not a key"); err == nil {
		t.Fatal("garbage public key accepted")
	}
}

func TestRequestTimeIsEpochMillis(t *testing.T) {
	at := time.Date(2023, 6, 1, 6, 12, 13, 871_000_000, time.UTC)
	if got := FormatRequestTime(at); got != "1685599933871" {
		t.Fatalf("FormatRequestTime = %s", got)
	}
}

func TestViewNeverShowsPrivateKey(t *testing.T) {
	for _, mode := range []providers.Mode{providers.ModeSandbox, providers.ModeLive} {
		c, err := New(providers.Config{Mode: mode, BaseURL: "https://open-sea-global.alipay.com", Credentials: map[string]string{
			CredClientID: "2188120000000001", CredPrivateKeyPEM: SandboxClientPrivateKeyPEM}})
		if err != nil {
			t.Fatal(err)
		}
		req, err := c.Request(context.Background(), vals(ParamIdentityValue, "1-4154567899", "env.terminalType", "APP"))
		if err != nil {
			t.Fatal(err)
		}
		text := providers.View(req, c.Secrets()).Text() + providers.Curl(req, c.Secrets(), "")
		if strings.Contains(text, "PRIVATE KEY") {
			t.Fatal("view shows the private key")
		}
		for _, line := range strings.Split(strings.TrimSpace(SandboxClientPrivateKeyPEM), "\n") {
			if !strings.HasPrefix(line, "-----") && strings.Contains(text, line) {
				t.Fatalf("view shows a private key line %q", line)
			}
		}
		if !strings.Contains(text, "/ams/api/v1/customers/initAuthentication") || !strings.Contains(text, `"1-4154567899"`) {
			t.Fatalf("view misses the request:\n%s", text)
		}
		if len(c.Secrets()) == 0 || c.Secrets()[0] != SandboxClientPrivateKeyPEM {
			t.Fatal("Secrets does not list the private key")
		}
	}
}
