package desk

import (
	"context"
	"errors"
	"fmt"

	"github.com/kycdesk/kycdesk/callbacks"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// CallbackSink is the desk as the callback receiver's sink
// (callbacks.New): results are found by the provider's reference among
// the sessions of the desk's mode, recorded in the history and announced
// on Changes.
func (d *Desk) CallbackSink() callbacks.Sink { return callbackSink{d} }

type callbackSink struct{ d *Desk }

func (s callbackSink) Session(ctx context.Context, provider, ref string) (*callbacks.Session, error) {
	sess, err := s.d.byReference(ctx, provider, ref)
	if err != nil {
		return nil, err
	}
	out := &callbacks.Session{Launch: sess.Launch(), Final: sess.State.Final()}
	if desc, ok := s.d.o.Registry.Get(provider); ok {
		// Asked (Alibaba's CheckResult) where and as it was launched.
		if p := s.d.o.Resolve(desc, sess.Mode, sess.Endpoint); p != nil && p.Disabled == "" {
			out.Client = p.Client
		}
	}
	return out, nil
}

// Record works within the receiver's deadline (it answers the provider
// within about a second; iDenfy retries a late answer).
func (s callbackSink) Record(ctx context.Context, provider, ref string, st *providers.Status, proof callbacks.Proof) error {
	return s.d.recordCallback(ctx, provider, ref, st, sourceOf(proof))
}

// sourceOf is the history's name for what a callback's result rests on.
func sourceOf(p callbacks.Proof) session.Source {
	if p == callbacks.ProofSignature {
		return session.SourceCallback
	}
	return session.SourceAPI
}

// RecordCallback records a result a provider pushed for its session with
// reference ref (scanRef, TransactionId), with what proves it, under the
// store's rules (a late final:false webhook does not reopen a decided
// session), and announces it on Changes.
func (d *Desk) RecordCallback(provider, ref string, st *providers.Status, proof callbacks.Proof) error {
	return d.recordCallback(context.Background(), provider, ref, st, sourceOf(proof))
}

func (d *Desk) recordCallback(ctx context.Context, provider, ref string, st *providers.Status, src session.Source) error {
	if st == nil {
		return errors.New("no status")
	}
	sess, err := d.byReference(ctx, provider, ref)
	if err != nil {
		return err
	}
	sctx, cancel := d.storeCtxFrom(ctx)
	defer cancel()
	got, err := d.o.Store.Status(sctx, sess.ID, st, src)
	if err != nil {
		return err
	}
	if got.State != sess.State || len(got.History) != len(sess.History) {
		d.Changed(sess.ID)
	}
	return nil
}

// byReference finds the launched session of provider whose references
// hold ref exactly, among the sessions of the desk's mode: a sandbox
// receiver never touches a live session. callbacks.ErrUnknownSession when
// there is none.
func (d *Desk) byReference(ctx context.Context, provider, ref string) (*session.Session, error) {
	if ref == "" {
		return nil, callbacks.ErrUnknownSession
	}
	match := func(s *session.Session) bool {
		if s == nil || s.Provider != provider || s.Mode != d.o.Mode || !s.Launched() {
			return false
		}
		for _, v := range s.References() {
			if v == ref {
				return true
			}
		}
		return false
	}
	get := func(id string) (*session.Session, error) {
		sctx, cancel := d.storeCtxFrom(ctx)
		defer cancel()
		return d.o.Store.Get(sctx, id)
	}
	// Get looks a reference up directly, but also takes id prefixes:
	// what it finds must hold ref exactly.
	if s, err := get(ref); err == nil && match(s) {
		return s, nil
	} else if err != nil && !isMissing(err) {
		return nil, fmt.Errorf("history: %w", err)
	}
	// A reference that is also the prefix of session ids (Get is then
	// ambiguous): look among the sessions whose text holds it, and read
	// only the one whose row holds it.
	p, err := d.SessionsPage(ctx, d.o.Mode, ref, "", 50)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	for _, r := range p.Rows {
		if r.Provider != provider || r.Launch == nil {
			continue
		}
		for _, v := range r.Launch.References {
			if v != ref {
				continue
			}
			if s, err := get(r.ID); err == nil && match(s) {
				return s, nil
			}
		}
	}
	return nil, callbacks.ErrUnknownSession
}
