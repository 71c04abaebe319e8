package session_test

import (
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/session"
)

// BenchmarkStoreReport is `kycdesk report --by desk` over the last 30
// days and the board's today, on a new desk's history (100 sessions: the
// baseline) and 100k, SQLite and PostgreSQL (1M: scripts/reportbench.sh
// and BenchmarkBoard in desk/, from a store generated once).
func BenchmarkStoreReport(b *testing.B) {
	for _, r := range []struct {
		name string
		back time.Duration
	}{{"30d", 30 * 24 * time.Hour}, {"today", 12 * time.Hour}} {
		b.Run(r.name, func(b *testing.B) {
			eachHistory(b, []string{"new", "100k"}, func(b *testing.B, bs *benchStore) {
				rep := bs.st.(session.Reporter)
				for b.Loop() {
					now := time.Now()
					for _, err := range rep.Report(bctx, session.ReportQuery{From: now.Add(-r.back), To: now, By: session.ByDesk}) {
						if err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		})
	}
}
