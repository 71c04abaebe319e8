package alibaba

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Callback is the GET Alibaba sends to CallbackUrl when a verification
// completes (seed 000, CallbackUrl; reference/alibaba.md §1.2):
// ?callbackToken=…&transactionId=…&passed=Y&subCode=200. Its passed and
// subCode are not trusted: a matching callback triggers one CheckResult,
// and that answer is what gets recorded.
type Callback struct {
	Token         string // callbackToken: the session's CallbackToken, when one was set
	TransactionID string // transactionId
	Passed        string // passed (Y / N), as sent
	SubCode       string // subCode, as sent
}

// maxCallbackValue bounds each callback parameter (TransactionId is 32 hex
// digits in practice; the token is 32 here).
const maxCallbackValue = 128

// ParseCallback reads a callback's query. transactionId and callbackToken
// are required (kycdesk always sets a CallbackToken with its CallbackUrl);
// every value is sanitized and bounded. The seed spells the parameter
// "subcode" in its list and "subCode" in its example; both are read.
func ParseCallback(q url.Values) (*Callback, error) {
	get := func(names ...string) (string, error) {
		for _, n := range names {
			if v := strings.TrimSpace(q.Get(n)); v != "" {
				if len(v) > maxCallbackValue {
					return "", fmt.Errorf("%s is longer than %d characters", n, maxCallbackValue)
				}
				return providers.SanitizeLine(v), nil
			}
		}
		return "", nil
	}
	c := &Callback{}
	var err error
	if c.TransactionID, err = get("transactionId"); err != nil {
		return nil, err
	}
	if c.Token, err = get("callbackToken"); err != nil {
		return nil, err
	}
	if c.Passed, err = get("passed"); err != nil {
		return nil, err
	}
	if c.SubCode, err = get("subCode", "subcode"); err != nil {
		return nil, err
	}
	switch {
	case c.TransactionID == "":
		return nil, fmt.Errorf("the callback has no transactionId")
	case c.Token == "":
		return nil, fmt.Errorf("the callback has no callbackToken")
	}
	return c, nil
}

// CallbackToken is the CallbackToken kycdesk sends for a session: derived
// from the receiver's key and the session's MerchantBizId (a random id
// generated per launch), so the token is unpredictable without the key and
// nothing secret is stored; the receiver recomputes it (CheckCallback). The
// token is still kept out of the session store (the CallbackToken parameter is
// marked Personal).
func CallbackToken(key []byte, merchantBizID string) string {
	return providers.DeriveCallbackToken(key, ID, merchantBizID)
}

// CheckCallback reports whether a callback's token is the one sent for the
// session with merchantBizID.
func CheckCallback(key []byte, merchantBizID string, c *Callback) bool {
	return c != nil && providers.CheckCallbackToken(key, ID, merchantBizID, c.Token)
}

// How kycdesk answers Alibaba's calls to CallbackUrl. Alibaba publishes no
// expected status code, signature or retry schedule for cloudauth-intl's
// callback (reference/alibaba.md §5.1); what it does publish:
//   - before Initialize it checks that CallbackUrl is reachable, and an
//     answer such as 400 fails the Initialize call;
//   - the callback is a GET carrying callbackToken, transactionId, passed
//     and subCode, whose result is then confirmed with CheckResult.
//
// So every GET is answered 200 with the same short body, whatever
// happened: a reachability check (no transactionId) changes nothing; an
// unknown transaction and a wrong token get the very answer a good
// callback gets, so a prober learns nothing about which transactions
// exist; a replayed valid token is answered too, but starts at most one
// CheckResult per session per ConfirmEvery.
const (
	CallbackAnswerStatus = 200
	CallbackAnswerBody   = "ok\n"
	// ConfirmEvery is the least time between two CheckResults started by
	// callbacks for one session (a replayed token, or Alibaba calling
	// again while the result is not ready).
	ConfirmEvery = time.Minute
)

// IsReachabilityCheck reports whether a GET on CallbackUrl is no callback
// at all: without a transactionId nothing can be looked up or recorded
// (Alibaba's check before Initialize, a monitor, a browser).
func IsReachabilityCheck(q url.Values) bool {
	return strings.TrimSpace(q.Get("transactionId")) == ""
}
