package providers

import "testing"

func TestCheckEndpoint(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://ivs.idenfy.com", true},
		{"https://cloudauth-intl.cn-hongkong.aliyuncs.com/", true},
		{"https://10.0.0.5:8443", true},
		{"http://127.0.0.1:8470", true},
		{"http://127.1.2.3", true},
		{"http://localhost:8470", true},
		{"http://[::1]:8470", true},
		{"http://ivs.idenfy.com", false},
		{"http://192.168.1.20:8470", false},
		{"http://0.0.0.0:8470", false},
		{"http://127.0.0.1.nip.io", false},
		{"http://localhost.example.com", false},
		{"ftp://ivs.idenfy.com", false},
		{"ws://127.0.0.1", false},
		{"ivs.idenfy.com", false},
		{"https://", false},
		{"", false},
		{"://x", false},
	} {
		msg := CheckEndpoint(tc.url)
		if (msg == "") != tc.ok {
			t.Errorf("CheckEndpoint(%q) = %q, want ok=%v", tc.url, msg, tc.ok)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":        true,
		"127.0.0.1":        true,
		"127.255.0.1":      true,
		"::1":              true,
		"0.0.0.0":          false,
		"::":               false,
		"10.0.0.1":         false,
		"192.168.1.20":     false,
		"example.com":      false,
		"127.0.0.1.nip.io": false,
		"":                 false,
		"[::1]":            false, // a bare host, not a bracketed one
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestBaseURLTrimsAndAllowsLANOnlyWhenNotSecure(t *testing.T) {
	base, u, err := BaseURL(" http://192.168.1.5:8470/ ", false)
	if err != nil || base != "http://192.168.1.5:8470" || u.Host != "192.168.1.5:8470" {
		t.Errorf("sandbox on the LAN: %q %v %v", base, u, err)
	}
	if _, _, err := BaseURL("http://192.168.1.5:8470", true); err != ErrPlainHTTP {
		t.Errorf("secure plain http beyond loopback: %v, want ErrPlainHTTP", err)
	}
	if _, _, err := BaseURL("ivs.idenfy.com", false); err != ErrNotHTTPURL {
		t.Errorf("no scheme: %v, want ErrNotHTTPURL", err)
	}
}
