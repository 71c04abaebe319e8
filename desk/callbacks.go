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
	// A status the record would not take (the same again, as a provider
	// repeats a webhook; a late one after a verdict) needs no write
	// transaction: the session just read decides, as the store's
	// transaction would have on this row. Writers queue behind each
	// other: a repeated webhook must not make the desks' launches wait.
	if session.StatusRule(sess, st.State, session.StatusDetail(st), src) != session.StatusAppend {
		return nil
	}
	sctx, cancel := d.storeCtxFrom(ctx)
	defer cancel()
	got, err := d.o.Store.Status(sctx, sess.ID, st, src)
	if err != nil {
		return err
	}
	if got.State != sess.State || len(got.History) != len(sess.History) {
		d.ChangedTo(sess.ID, got.Seq())
	}
	return nil
}

// byReference finds the launched session of provider whose references
// hold ref exactly, among the sessions of the desk's mode (one indexed
// read): a sandbox receiver never touches a live session.
// callbacks.ErrUnknownSession when there is none.
func (d *Desk) byReference(ctx context.Context, provider, ref string) (*session.Session, error) {
	if ref == "" {
		return nil, callbacks.ErrUnknownSession
	}
	sctx, cancel := d.storeCtxFrom(ctx)
	defer cancel()
	s, err := d.o.Store.ByReference(sctx, provider, d.o.Mode, ref)
	switch {
	case errors.Is(err, session.ErrNotFound):
		return nil, callbacks.ErrUnknownSession
	case err != nil:
		return nil, fmt.Errorf("history: %w", err)
	case !s.Launched():
		return nil, callbacks.ErrUnknownSession
	}
	return s, nil
}
