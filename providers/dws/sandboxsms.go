package dws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// SimSMSPath answers with the newest code the simulator "sent" for one
// authentication (?authenticationId=…): a console that reopens a pending
// session shows the sandbox's SMS again, since the code itself is never
// stored. Under SimPagePath, so only this machine or a client presenting
// the sandbox's token reads it, as the inbox.
const SimSMSPath = SimPagePath + "sms.json"

var _ providers.SandboxSMS = (*Client)(nil)

// maxSMSAnswer bounds the answer read from a sandbox.
const maxSMSAnswer = 4 << 10

// smsFor answers SimSMSPath: the newest SimSMS for the authentication,
// 404 when it sent none (another sandbox, one restarted since).
func (s *Simulator) smsFor(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	id := r.URL.Query().Get("authenticationId")
	if id == "" {
		http.Error(w, "authenticationId is required", http.StatusBadRequest)
		return
	}
	sms := s.Inbox()
	for i := len(sms) - 1; i >= 0; i-- {
		if sms[i].AuthenticationID == id {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(sms[i])
			return
		}
	}
	http.Error(w, "no code was sent for this authentication by this sandbox", http.StatusNotFound)
}

// sandboxSMS asks the sandbox again which code it sent for l (the newest)
// and when it expires, for a screen reopened from the store. Only in
// sandbox mode: the real DWS has no such page and sends the code to the
// customer's phone alone. ok is false when the sandbox sent none for l
// (it was restarted, or is another one).
func (c *Client) sandboxSMS(ctx context.Context, l *providers.Launch) (sms SimSMS, ok bool, err error) {
	if c.cfg.Mode != providers.ModeSandbox || l == nil || l.References[VerifyFieldAuthenticationID] == "" {
		return SimSMS{}, false, nil
	}
	u := c.baseURL + SimSMSPath + "?authenticationId=" + url.QueryEscape(l.References[VerifyFieldAuthenticationID])
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return SimSMS{}, false, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return SimSMS{}, false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSMSAnswer))
	switch {
	case err != nil:
		return SimSMS{}, false, err
	case resp.StatusCode == http.StatusNotFound:
		return SimSMS{}, false, nil
	case resp.StatusCode != http.StatusOK:
		return SimSMS{}, false, fmt.Errorf("the sandbox's SMS page answered %s", resp.Status)
	}
	if err := json.Unmarshal(body, &sms); err != nil {
		return SimSMS{}, false, fmt.Errorf("the sandbox's SMS page: %v", err)
	}
	sms.Code, sms.To = clean(sms.Code, 16), clean(sms.To, 32)
	sms.AuthenticationID = clean(sms.AuthenticationID, 64)
	return sms, sms.Code != "", nil
}

// SandboxSMS is l's challenge with the code the sandbox sent for it (a
// copy), and when that code went, for a code screen reopened from the
// store (providers.SandboxSMS). l's challenge as it is when the sandbox
// sent none, and always in live mode.
func (c *Client) SandboxSMS(ctx context.Context, l *providers.Launch) (ch *providers.Challenge, sentAt time.Time, err error) {
	if l == nil || l.Challenge == nil {
		return nil, time.Time{}, nil
	}
	sms, ok, err := c.sandboxSMS(ctx, l)
	if err != nil || !ok {
		return l.Challenge, time.Time{}, err
	}
	cp := *l.Challenge
	cp.SandboxCode = sms.Code
	if cp.CodeExpires.IsZero() || sms.ExpiresAt.After(cp.CodeExpires) {
		cp.CodeExpires = sms.ExpiresAt
	}
	return &cp, sms.SentAt, nil
}
