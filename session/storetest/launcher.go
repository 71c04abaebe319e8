package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// launcher drives a Store the way a desk's launch pipeline does (intent
// before the request, outcome after; a retry's attempt), with none of the
// pipeline's own work (rate limits, codes, metrics): the suite tests what
// the store does with those calls.
type launcher struct {
	Store session.Store
	// Confirmed launches a live duplicate the store would refuse.
	Confirmed bool
	Now       clock.Func // nil: the system clock
	// Customer is the customer recorded; nil: providers.Customer under
	// the store's customer key.
	Customer func(providers.Descriptor, providers.Values) string
}

func (l *launcher) now() time.Time { return l.Now.Now() }

func (l *launcher) Launch(ctx context.Context, d providers.Descriptor, c providers.Client, mode providers.Mode,
	endpoint string, v providers.Values) (*session.Session, error) {
	req, err := c.Request(ctx, v)
	if err != nil {
		return nil, err
	}
	cust := providers.Customer(d, v, l.Store.CustomerKey())
	if l.Customer != nil {
		cust = l.Customer(d, v)
	}
	sc := providers.NewScrubber(c.Secrets(), d.Spec(), v)
	s, err := l.Store.Intent(ctx, session.Intent{Provider: d.ID, Mode: mode, Endpoint: providers.StripUserinfo(endpoint),
		Customer: cust, Values: session.StripPersonal(d.Spec(), v), Request: req, At: l.now(), Confirmed: l.Confirmed})
	if err != nil {
		return nil, err
	}
	return l.send(ctx, c, s, v, sc)
}

func (l *launcher) Retry(ctx context.Context, s *session.Session, c providers.Client, v providers.Values) (*session.Session, error) {
	if v == nil {
		v = s.Values()
	}
	req, err := c.Request(ctx, v)
	if err != nil {
		return nil, err
	}
	kept := providers.Values{}
	for name := range s.Values() {
		if vals, ok := v[name]; ok {
			kept[name] = vals
		}
	}
	cur, err := l.Store.Attempt(ctx, s.ID, session.Attempt{Values: kept, Request: req, At: l.now()})
	if err != nil {
		return nil, err
	}
	return l.send(ctx, c, cur, v, providers.NewScrubber(c.Secrets(), nil, v))
}

// send sends and records the outcome, with secrets and personal values
// masked as the pipeline masks them (sc).
func (l *launcher) send(ctx context.Context, c providers.Client, s *session.Session, v providers.Values,
	sc providers.Scrubber) (*session.Session, error) {
	res, lerr := c.Launch(ctx, v)
	o := session.Outcome{At: l.now()}
	if lerr != nil {
		pe := providers.AsError(lerr)
		o.Error = &session.ErrorInfo{Kind: pe.Kind, Code: sc.Text(pe.Code), Field: pe.Field, Message: sc.Text(pe.Message),
			Action: sc.Text(pe.Action), HTTPStatus: pe.HTTPStatus}
	} else {
		refs := map[string]string{}
		for k, x := range res.References {
			refs[k] = sc.Secret(x)
		}
		o.References, o.URL, o.ExpiresAt, o.Challenge, o.Customer = refs, sc.Secret(res.URL), res.ExpiresAt, res.Challenge, res.Customer
		o.SingleUse = res.SingleUse
		for k, x := range res.Extra {
			if o.Extra == nil {
				o.Extra = map[string]string{}
			}
			o.Extra[k] = sc.Secret(x)
		}
	}
	s2, err := l.Store.Outcome(context.WithoutCancel(ctx), s.ID, o)
	if err != nil {
		err = fmt.Errorf("session %s: %w in %s: %w", s.ID, session.ErrNotRecorded, l.Store.Location(), err)
		return session.WithOutcome(s, o, session.ActorOf(ctx)), errors.Join(lerr, err)
	}
	if lerr != nil {
		return s2, providers.AsError(lerr)
	}
	return s2, nil
}
