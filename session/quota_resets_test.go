package session

import (
	"testing"
	"time"
)

// A refusal lifts at the end of its limit's UTC window: the next hour, or
// the next midnight.
func TestQuotaResets(t *testing.T) {
	at := time.Date(2026, 12, 6, 16, 42, 5, 0, time.FixedZone("X", 2*3600)) // 14:42:05 UTC
	for limit, want := range map[string]time.Time{
		"desk_per_hour":     time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC),
		"operator_per_hour": time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC),
		"desk_per_day":      time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC),
		"operator_per_day":  time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC),
	} {
		if got := QuotaResets(limit, at); !got.Equal(want) {
			t.Errorf("%s at %v: %v, want %v", limit, at, got, want)
		}
	}
}
