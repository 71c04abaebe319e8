package session

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Synthesize adds n sessions to d in one bulk transaction, as a year of a
// busy desk would leave them: three providers, mostly live, customers
// that come back, most sessions final, some failed, a few of unknown
// outcome, the newest still pending. The benchmarks' history.
func (d *DB) Synthesize(ctx context.Context, n int, end time.Time) error {
	return d.synthesize(ctx, n, end, false)
}

// SynthesizePending adds n sandbox iDenfy sessions launched in the last
// n/10 seconds and all still pending, as bursts of desks whose customers
// never answered leave them (the database of the two-serves stall).
func (d *DB) SynthesizePending(ctx context.Context, n int, end time.Time) error {
	return d.synthesize(ctx, n, end, true)
}

func (d *DB) synthesize(ctx context.Context, n int, end time.Time, pending bool) error {
	every := 30 * time.Second // one launch every 30 s: a year is a million
	if pending {
		every = 100 * time.Millisecond
	}
	start := end.Add(-time.Duration(n) * every)
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	hex := func(k int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, k)
		for i := range b {
			b[i] = digits[rng.IntN(16)]
		}
		return string(b)
	}
	return d.writeTx(ctx, txBulk, func(tx *wtx) error {
		for i := range n {
			at := normTime(start.Add(time.Duration(i) * every))
			provider := [...]string{"idenfy", "alibaba", "dws"}[i%3]
			mode := providers.ModeLive
			if rng.IntN(5) == 0 || pending {
				mode = providers.ModeSandbox
			}
			if pending {
				provider = "idenfy"
			}
			customer := fmt.Sprintf("cust-%07d", rng.IntN(max(n/3, 1)))
			id := encodeID(uint64(at.Unix())<<5 | uint64(rng.IntN(32)))
			if pending {
				id = encodeID(uint64(at.Unix())<<5 | uint64(i%32))
			}
			req := hex(32)
			intent := &eventDoc{Provider: provider, Mode: mode, Endpoint: "https://api.example.test", Customer: customer,
				Values:      []byte(fmt.Sprintf(`{"clientId":[%q],"locale":["en"],"requestId":[%q]}`, customer, req)),
				Fingerprint: hex(64), Attempt: 1, SendingUntil: at.Add(DefaultSendLease)}
			// Forty desks and sixty operators take turns (the supervisors' figures).
			by := Actor{Operator: fmt.Sprintf("op-%02d", (i/7)%60), Desk: fmt.Sprintf("desk-%02d", i%40)}
			s, err := foldEvent(nil, id, EventIntent, at, by, intent)
			if err != nil {
				return err
			}
			first, err := d.insertEvent(ctx, tx, id, EventIntent, at, by, intent)
			if err != nil {
				return err
			}
			var events []synthEvent
			recent := i >= n-20 || pending
			switch r := rng.IntN(100); {
			case r < 5 && !recent && !pending:
				events = append(events, synthEvent{EventOutcome, &eventDoc{Error: &errorDoc{Kind: providers.KindRejected, Code: "PROCESS_FAIL",
					Message: "A general business failure occurred.", HTTPStatus: 200}}})
			case r < 7 && !recent && !pending:
				events = append(events, synthEvent{EventOutcome, &eventDoc{Error: &errorDoc{Kind: providers.KindUnknown, Code: "TIMEOUT",
					Message: "no answer within 20s"}}})
			default:
				ref := hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12)
				tok := hex(40)
				events = append(events, synthEvent{EventOutcome, &eventDoc{References: map[string]string{"scanRef": ref, "authToken": tok},
					URL: "https://ivs.example.test/api/v2/redirect?authToken=" + tok, ExpiresAt: at.Add(30 * time.Minute)}})
				if !recent {
					state := [...]providers.State{providers.StateApproved, providers.StateApproved, providers.StateDenied,
						providers.StateExpired, providers.StateSuspected}[rng.IntN(5)]
					events = append(events, synthEvent{EventStatus, &eventDoc{State: state, Detail: "the provider's answer"}})
				}
			}
			last := first
			for k, ev := range events {
				evAt := at.Add(time.Duration(k+1) * time.Second)
				if s, err = foldEvent(s, id, ev.kind, evAt, Actor{}, ev.e); err != nil {
					return err
				}
				if last, err = d.insertEvent(ctx, tx, id, ev.kind, evAt, Actor{}, ev.e); err != nil {
					return err
				}
			}
			s.num = first
			if err := d.insertSession(ctx, tx, s, last); err != nil {
				return err
			}
			if s.Launched() {
				if err := d.insertRefs(ctx, tx, s.num, s.References()); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

type synthEvent struct {
	kind string
	e    *eventDoc
}
