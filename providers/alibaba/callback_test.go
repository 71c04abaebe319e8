package alibaba

import (
	"net/url"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
)

func TestCallbackURLByMode(t *testing.T) {
	live, err := New(providers.Config{Mode: providers.ModeLive, BaseURL: "https://cloudauth-intl.cn-hongkong.aliyuncs.com",
		Credentials: map[string]string{CredAccessKeyID: "id", CredAccessKeySecret: "secret"}})
	if err != nil {
		t.Fatal(err)
	}
	sb := sandboxClient(t, "http://127.0.0.1:1")
	refused := func(c *Client, u string) bool {
		v := validValues()
		v.Set("CallbackUrl", u)
		r, _ := providers.Problems(c.Validate(v))
		for _, e := range r {
			if e.Field == "CallbackUrl" {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		url           string
		sandbox, live bool // refused?
	}{
		{"https://desk.example.com/callbacks/alibaba", false, false},
		{"http://127.0.0.1:8471/callbacks/alibaba", false, true},
		{"http://localhost:8471/callbacks/alibaba", false, true},
		{"http://desk.example.com/callbacks/alibaba", true, true},
		{"ftp://127.0.0.1/x", true, true},
	} {
		if got := refused(sb, tc.url); got != tc.sandbox {
			t.Errorf("sandbox %s: refused=%v", tc.url, got)
		}
		if got := refused(live, tc.url); got != tc.live {
			t.Errorf("live %s: refused=%v", tc.url, got)
		}
	}
}

func TestPrepareSetsCallback(t *testing.T) {
	key := []byte("receiver-key")
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1",
		Callback: &providers.CallbackTarget{BaseURL: "http://127.0.0.1:8471/", Key: key}})
	if err != nil {
		t.Fatal(err)
	}
	v := c.Prepare(validValues())
	biz := v.Get("MerchantBizId")
	if v.Get("CallbackUrl") != "http://127.0.0.1:8471/callbacks/alibaba" || v.Get("CallbackToken") != CallbackToken(key, biz) || len(v.Get("CallbackToken")) != 32 {
		t.Fatalf("%v", v)
	}
	// Prepared values stay as they are (review → launch → retry).
	if again := c.Prepare(v); again.Get("CallbackToken") != v.Get("CallbackToken") || again.Get("MerchantBizId") != biz {
		t.Fatal("Prepare changed prepared values")
	}
	if r, _ := providers.Problems(c.Validate(v)); len(r) > 0 {
		t.Fatal(r)
	}
	// Another session, another token.
	if w := c.Prepare(validValues()); w.Get("CallbackToken") == v.Get("CallbackToken") {
		t.Fatal("same token for two sessions")
	}
	// The operator's own CallbackUrl is kept, and no token is invented.
	own := validValues()
	own.Set("CallbackUrl", "https://example.com/cb")
	if p := c.Prepare(own); p.Get("CallbackUrl") != "https://example.com/cb" || p.Has("CallbackToken") {
		t.Fatalf("%v", p)
	}
	// Without a receiver nothing is set.
	if p := sandboxClient(t, "http://127.0.0.1:1").Prepare(validValues()); p.Has("CallbackUrl") || p.Has("CallbackToken") {
		t.Fatalf("%v", p)
	}
	// The token is kept out of the journal with the personal fields.
	if p, _ := Spec().Lookup("CallbackToken"); !p.Personal {
		t.Fatal("CallbackToken would be journaled")
	}
}

func TestParseCallback(t *testing.T) {
	key := []byte("k")
	tok := CallbackToken(key, "BIZ1")
	q, _ := url.ParseQuery("callbackToken=" + tok + "&transactionId=shaxxxx&passed=Y&subCode=200")
	c, err := ParseCallback(q)
	if err != nil || c.TransactionID != "shaxxxx" || c.Passed != "Y" || c.SubCode != "200" || !CheckCallback(key, "BIZ1", c) {
		t.Fatalf("%+v %v", c, err)
	}
	if CheckCallback(key, "BIZ2", c) || CheckCallback([]byte("other"), "BIZ1", c) || CheckCallback(nil, "BIZ1", c) {
		t.Fatal("token accepted for another session or key")
	}
	// The seed's list spells it subcode.
	q, _ = url.ParseQuery("callbackToken=x&transactionId=t&passed=N&subcode=206")
	if c, err := ParseCallback(q); err != nil || c.SubCode != "206" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"transactionId=t", "callbackToken=x", "callbackToken=x&transactionId=" + strings.Repeat("a", 200)} {
		q, _ := url.ParseQuery(bad)
		if _, err := ParseCallback(q); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	q, _ = url.ParseQuery("callbackToken=x&transactionId=t%1b%5B31m")
	if c, err := ParseCallback(q); err != nil || strings.ContainsRune(c.TransactionID, 0x1b) {
		t.Fatalf("%+v %v", c, err)
	}
}

// Every CheckResult of one AccessKey at one endpoint waits on the same
// bucket, whichever client (session) asks.
func TestCheckResultShareOneBucket(t *testing.T) {
	a, b := sandboxClient(t, "http://127.0.0.1:1"), sandboxClient(t, "http://127.0.0.1:1")
	other := sandboxClient(t, "http://127.0.0.1:2")
	la := providers.AccountLimits.Limiter(ID+"/"+ActionCheckResult, a.LimitKey(), Follow.AccountQPS)
	if la != providers.AccountLimits.Limiter(ID+"/"+ActionCheckResult, b.LimitKey(), Follow.AccountQPS) {
		t.Fatal("two clients of one account have two buckets")
	}
	if la == providers.AccountLimits.Limiter(ID+"/"+ActionCheckResult, other.LimitKey(), Follow.AccountQPS) {
		t.Fatal("another endpoint shares the bucket")
	}
	if Follow.AccountQPS <= 0 || Follow.AccountQPS >= 10 {
		t.Fatalf("AccountQPS %v must stay below the documented 10", Follow.AccountQPS)
	}
}
