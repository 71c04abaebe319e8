package cli

import "testing"

// A serve sets the collector's target unless GOGC says otherwise (Go
// reads GOGC itself when the process starts).
func TestServeGCPercent(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "GOGC" {
				return v
			}
			return ""
		}
	}
	if pct, ok := serveGCPercent(env("")); !ok || pct != serveGC {
		t.Errorf("GOGC unset: %d, %v; want %d, true", pct, ok, serveGC)
	}
	for _, v := range []string{"100", "off"} {
		if _, ok := serveGCPercent(env(v)); ok {
			t.Errorf("GOGC=%s: the serve set its own target over it", v)
		}
	}
}
