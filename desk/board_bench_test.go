package desk

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/session"
	_ "github.com/kycdesk/kycdesk/session/sqlite"
)

// BenchmarkBoard is one reading of the supervisors' board (today, by
// desk: the first frame's, and each refresh's after a change) on an
// empty store (the baseline) and on the store $KYCDESK_BENCH_STORE names,
// opened with $KYCDESK_STORE_KEY (a million sessions: TestGenerateStore in
// session/, or scripts/reportbench.sh).
func BenchmarkBoard(b *testing.B) {
	stores := map[string]string{"empty": filepath.Join(b.TempDir(), "empty.db")}
	if p := os.Getenv("KYCDESK_BENCH_STORE"); p != "" {
		stores["large"] = p
	}
	for _, name := range []string{"empty", "large"} {
		path, ok := stores[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			st, err := session.OpenStore(path, func(k string) string {
				if k == "HOME" {
					return b.TempDir()
				}
				return os.Getenv(k)
			})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			d := New(Options{Registry: catalog.All(), Mode: providers.ModeLive, Store: st,
				Resolve: func(desc providers.Descriptor, _ providers.Mode, _ string) *Provider {
					return &Provider{Desc: desc, Disabled: "benchmark"}
				}})
			defer d.Close()
			for b.Loop() {
				if _, err := d.Board(context.Background(), RangeToday, session.ByDesk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
