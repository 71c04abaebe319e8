package desk

import (
	"context"
	"net/http"

	"github.com/kycdesk/kycdesk/providers"
)

// Draft is a launch being prepared: the values prepared and validated
// once, and the request built once from them. The review text, the
// dry-run, the copied curl and the request fingerprint the store keeps all come
// from this one request; Launch and Retry neither validate nor build again.
type Draft struct {
	Provider *Provider
	// Values are the prepared values (generated ids filled in).
	Values             providers.Values
	Refusals, Warnings []providers.FieldError
	// Request is the request a launch sends; nil when refused or when it
	// could not be built (Err).
	Request *http.Request
	Err     error
	// RetryOf is an outcome-unknown session this draft re-sends.
	RetryOf string
	// Profile names the desk profile the draft came from ("" = the
	// explorer); Label is the desk label typed with it (LabelKey).
	Profile, Label string
	// Confirmed: the operator saw the pending session of the same
	// customer (Desk.Duplicate) and launches anyway; the store records it
	// with who confirmed.
	Confirmed bool
}

// Draft prepares and validates v for p and, when nothing is refused,
// builds the request.
func (d *Desk) Draft(p *Provider, v providers.Values) *Draft {
	c := p.Client
	dr := &Draft{Provider: p, Values: c.Prepare(v)}
	dr.Refusals, dr.Warnings = providers.Problems(c.Validate(dr.Values))
	if len(dr.Refusals) > 0 {
		return dr
	}
	d.build(dr)
	return dr
}

// build builds the draft's one request.
func (d *Desk) build(dr *Draft) {
	dr.Request, dr.Err = dr.Provider.Client.Request(context.Background(), dr.Values)
	if dr.Err != nil {
		dr.Err, dr.Request = providers.AsError(dr.Err), nil
	}
}

// Problem is why the draft cannot be launched (a KindInvalid error naming
// the fields, or the build failure), or nil.
func (dr *Draft) Problem() error {
	if len(dr.Refusals) > 0 {
		return providers.Invalid(dr.Refusals)
	}
	return dr.Err
}

// View is the request as review and --dry-run show it, secrets masked.
func (dr *Draft) View() providers.RequestView {
	return providers.View(dr.Request, dr.Provider.Client.Secrets())
}

// Text is View as text.
func (dr *Draft) Text() string { return dr.View().Text() }

// Curl is the request as a curl command, secrets masked.
func (dr *Draft) Curl() string {
	return providers.Curl(dr.Request.Clone(context.Background()), dr.Provider.Client.Secrets(), dr.Provider.SecretEnv)
}
