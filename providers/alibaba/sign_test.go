package alibaba

import (
	"net/url"
	"testing"
)

// Vector A: the official V3 documentation example (reference/alibaba.md §3.2 A).
func TestSignVectorA(t *testing.T) {
	q := url.Values{
		"ImageId":  {"win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"},
		"RegionId": {"cn-shanghai"},
	}
	h := map[string][]string{
		"host":                  {"ecs.cn-shanghai.aliyuncs.com"},
		"x-acs-action":          {"RunInstances"},
		"x-acs-content-sha256":  {EmptyBodyHash},
		"x-acs-date":            {"2023-10-26T09:01:01Z"},
		"x-acs-signature-nonce": {"d410180a5abf7fe235dd9b74aca91fc0"},
		"x-acs-version":         {"2014-05-26"},
	}
	creq, sh := CanonicalRequest("POST", "/", q, h, EmptyBodyHash)
	if got, want := HashHex([]byte(creq)), "29622f5feb1e9fcaaa2e276a72889c975f7b16f00e02be1ca34965b18cd85015"; got != want {
		t.Fatalf("canonical request hash = %s, want %s\n%s", got, want, creq)
	}
	if sh != "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version" {
		t.Fatalf("signed headers = %s", sh)
	}
	if got, want := Sign("YourAccessKeySecret", StringToSign(creq)), "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"; got != want {
		t.Fatalf("signature = %s, want %s", got, want)
	}
	auth := Authorization("YourAccessKeyId", "YourAccessKeySecret", "POST", "/", q, h, EmptyBodyHash)
	want := "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"
	if auth != want {
		t.Fatalf("Authorization =\n%s\nwant\n%s", auth, want)
	}
}

// Vector B: openapi-util Test_GetAuthorization (§3.2 B): empty method and
// path, a repeated header spelled in two cases, an empty query value.
func TestSignVectorB(t *testing.T) {
	q := url.Values{"test": {"ok"}, "empty": {""}}
	h := map[string][]string{"x-acs-test": {"http"}, "x-acs-TEST": {"https"}}
	payload := "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23"
	creq, _ := CanonicalRequest("", "", q, h, payload)
	wantCreq := "\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n" + payload
	if creq != wantCreq {
		t.Fatalf("canonical request =\n%q\nwant\n%q", creq, wantCreq)
	}
	got := Authorization("acesskey", "secret", "", "", q, h, payload)
	want := "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
	if got != want {
		t.Fatalf("Authorization =\n%s\nwant\n%s", got, want)
	}
}

// Vector C: HexEncode(Hash("test")) (§3.2 C) and the empty-body hash.
func TestSignVectorC(t *testing.T) {
	if got := HashHex([]byte("test")); got != "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" {
		t.Fatalf("HashHex(test) = %s", got)
	}
	if got := HashHex(nil); got != EmptyBodyHash {
		t.Fatalf("HashHex(empty) = %s", got)
	}
}

// The Node @alicloud/openapi-client capture (§3.5): an Initialize request
// with a JSON MetaInfo and a ReturnUrl full of reserved characters, and the
// x-acs-credentials-provider header that Node signs too.
func TestSignNodeCapture(t *testing.T) {
	q := url.Values{
		"ProductCode":   {"eKYC"},
		"MerchantBizId": {"abc123"},
		"MetaInfo":      {`{"deviceType":"h5","ua":"Mozilla/5.0 (X11) *~"}`},
		"DocType":       {"00000006"},
		"ReturnUrl":     {"https://example.com/done?a=1&b=2 c"},
	}
	wantQuery := "DocType=00000006&MerchantBizId=abc123&MetaInfo=%7B%22deviceType%22%3A%22h5%22%2C%22ua%22%3A%22Mozilla%2F5.0%20%28X11%29%20%2A~%22%7D&ProductCode=eKYC&ReturnUrl=https%3A%2F%2Fexample.com%2Fdone%3Fa%3D1%26b%3D2%20c"
	if got := CanonicalQuery(q); got != wantQuery {
		t.Fatalf("canonical query =\n%s\nwant\n%s", got, wantQuery)
	}
	h := map[string][]string{
		"host":                       {"127.0.0.1:8765"},
		"x-acs-action":               {"Initialize"},
		"x-acs-version":              {"2022-08-09"},
		"x-acs-date":                 {"2026-11-21T23:16:06Z"},
		"x-acs-signature-nonce":      {"18923c40e61779452d075030ff9520c4"},
		"x-acs-content-sha256":       {EmptyBodyHash},
		"x-acs-credentials-provider": {"static_ak"},
		// Not signed: neither host, content-type nor x-acs-*.
		"accept":     {"application/json"},
		"user-agent": {"AlibabaCloud (darwin; x64) Node.js"},
	}
	got := Authorization("testid", "testsecret", "POST", "/", q, h, EmptyBodyHash)
	want := "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=797213fb7423d62d0ea28d9b034c1291456965b091ef6ef478c3cb5b2393bfc3"
	if got != want {
		t.Fatalf("Authorization =\n%s\nwant\n%s", got, want)
	}
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"a b":       "a%20b",
		"*":         "%2A",
		"~":         "~",
		"(!')":      "%28%21%27%29",
		"A-Z_a.z~0": "A-Z_a.z~0",
		"ü":         "%C3%BC",
		"+":         "%2B",
	} {
		if got := PercentEncode(in); got != want {
			t.Errorf("PercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}
