package ui

import (
	"context"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/providers"
)

// The DWS code screen: the same component as the QR result (resultModel,
// whose launch has a Challenge instead of a URL), its own requests (send
// a code, verify one) and its own view. Whether a code's authentication
// is over is the desk's decision (desk.ChallengeExpired).

// trigger sends a new code (t, ctrl+r), once at a time.
func (r *resultModel) trigger() tea.Cmd {
	if r.follow.Challenger() == nil || r.triggering {
		return nil
	}
	r.triggering = true
	gen, f := r.gen, r.follow
	ctx, wire := r.capturing(context.Background())
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		c, err := f.SendCode(ctx)
		return challengeMsg{gen: gen, challenge: c, err: err, wire: wire.Exchanges()}
	}
}

func (r *resultModel) verify(code string) tea.Cmd {
	if r.follow.Challenger() == nil || r.verifying {
		return nil
	}
	r.verifying = true
	gen, f := r.gen, r.follow
	ctx, wire := r.capturing(context.Background())
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		st, err := f.Verify(ctx, code)
		return verifyMsg{gen: gen, status: st, err: err, wire: wire.Exchanges()}
	}
}

// sandboxSMSMsg is the code a sandbox "sent" for a reopened session.
type sandboxSMSMsg struct {
	gen       int
	challenge *providers.Challenge
	sentAt    time.Time
}

// askSandboxSMS asks the sandbox again for the code it sent, when a
// pending sandbox session's code screen is reopened from the store (which
// never keeps the code): the screen then shows the simulated SMS as the
// first launch did. Nothing is asked in live mode.
func (r *resultModel) askSandboxSMS() tea.Cmd {
	c := r.launch.Challenge
	if c == nil || !c.Triggered || c.SandboxCode != "" || r.state.Final() || !r.ctx.sandboxCodeShown(c) || r.follow.Mode != providers.ModeSandbox {
		return nil
	}
	// A copy of the launch, taken here on the program's loop: the screen
	// goes on changing its own while the sandbox is asked.
	gen, f, l := r.gen, r.follow, *r.launch
	ch := *c
	l.Challenge = &ch
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ch, at, ok, _ := f.SandboxSMS(ctx, &l) // nothing to show when the sandbox cannot say
		if !ok {
			return nil
		}
		return sandboxSMSMsg{gen: gen, challenge: ch, sentAt: at}
	}
}

// gotSandboxSMS shows the code the sandbox says it sent, unless a new
// one was sent from this screen since.
func (r *resultModel) gotSandboxSMS(msg sandboxSMSMsg) {
	c := r.launch.Challenge
	if msg.gen != r.gen || c == nil || c.SandboxCode != "" || msg.challenge == nil {
		return
	}
	cp := *c
	cp.SandboxCode = msg.challenge.SandboxCode
	if !msg.challenge.CodeExpires.IsZero() {
		cp.CodeExpires = msg.challenge.CodeExpires
	}
	r.launch.Challenge = &cp
	if r.sentAt.IsZero() && !msg.sentAt.IsZero() {
		r.sentAt = msg.sentAt
	}
}

// challengeView draws the code screen: the phone, the code's age and
// lifetime, the sandbox's simulated SMS, the field, then the references.
func (r resultModel) challengeView() string {
	s := r.ctx.Styles
	c := r.launch.Challenge
	now := r.ctx.now()
	w := max(20, r.w)
	var b strings.Builder
	b.WriteString(modeTag(r.ctx, r.follow.Mode) + " " + s.Title.Render(r.entry.Desc.Name+" — one-time code") + "  " + r.stateView() + "\n")
	typ := clean(c.Type)
	if typ == "" {
		typ = "SMS"
	}
	b.WriteString(s.Subtle.Render("challenge ") + typ + s.Subtle.Render(" to ") + clean(c.RenderValue) + "\n")
	// What the operator acts on comes first; references and notes after,
	// where a small window cuts them.
	if r.state.Final() {
		switch r.state {
		case providers.StateApproved:
			b.WriteString("\n" + s.OK.Render("Verified: the customer proved control of the number.") + "\n")
		default:
			b.WriteString("\n" + s.Error.Render(wrap("Not verified: "+r.detail, w)) + "\n")
		}
		b.WriteString(wrapKeys(append([]string{"n starts the next session, esc goes back"}, r.wireHint()...), " · ", w) + "\n")
	} else {
		switch {
		case r.triggering:
			b.WriteString("sending the code…\n")
		case !r.sentAt.IsZero():
			line := "code sent " + age(now, r.sentAt) + " ago"
			if !c.CodeExpires.IsZero() {
				if left := c.CodeExpires.Sub(now); left > 0 {
					line += ", valid for " + human(left)
				} else {
					line = s.Error.Render("the code has expired: t (with the field empty) sends a new one")
				}
			}
			b.WriteString(s.Subtle.Render(line) + "\n")
		case r.reopened:
			b.WriteString(s.Warn.Render(wrap("Reopened from the store: if the customer has no valid code, t sends a new one.", w)) + "\n")
		}
		if c.SandboxCode != "" && r.ctx.sandboxCodeShown(c) {
			b.WriteString(s.Banner.Render("SANDBOX") + " the simulated SMS says: " + s.Title.Render(clean(c.SandboxCode)) + "\n")
		}
		b.WriteString("\nCode: " + r.input.View() + "\n")
		if r.verifying {
			b.WriteString("verifying…\n")
		}
		keys := append([]string{"enter verifies", "t (field empty) or ctrl+r sends a new code", "n next", "esc back"}, r.wireHint()...)
		b.WriteString(s.Subtle.Render(wrapKeys(keys, " · ", w)) + "\n")
	}
	if r.lastErr != "" {
		b.WriteString(s.Error.Render(wrap(clean(r.lastErr), w)) + "\n")
	}
	if r.flash != "" {
		b.WriteString(s.OK.Render(wrap(clean(r.flash), w)) + "\n")
	}
	b.WriteString("\n")
	for _, k := range sortedKeys(r.launch.References) {
		b.WriteString(wrap(s.Subtle.Render(k+" ")+clean(r.launch.References[k]), w) + "\n")
	}
	for _, n := range r.launch.Notes {
		b.WriteString(s.Subtle.Render(wrap(clean(n), w)) + "\n")
	}
	return b.String()
}

// wireHint names w on the code screen, which draws its own key line
// (none until there is an answer to show).
func (r resultModel) wireHint() []string {
	if len(r.wire.ex) == 0 {
		return nil
	}
	h := r.ctx.Keys.Wire.Help()
	return []string{h.Key + " " + h.Desc}
}
