package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Home's key help names the number keys in use, not 1-9: a profile
// pinned to 1 and the explorer's 7-9 read "1,7-9".
func TestHomeKeyHelpNamesTheKeysInUse(t *testing.T) {
	pinned := strings.Replace(passportLT, "[values]", "key = 1\n[values]", 1)
	for _, c := range []struct {
		files map[string]string
		want  string
	}{
		{nil, "7-9 pick"},
		{map[string]string{"passport-lt": pinned}, "1,7-9 pick"},
		{map[string]string{"passport-lt": passportLT, "hk": alibabaTicket}, "1,2,7-9 pick"},
	} {
		ctx, _, _ := profileContext(t, "http://127.0.0.1:8470", c.files)
		m := New(ctx)
		send(m, size(120, 30))
		v := ansi.Strip(m.View())
		if !strings.Contains(v, c.want) {
			t.Errorf("%d profiles: key help lacks %q:\n%s", len(c.files), c.want, v)
		}
	}
	for in, want := range map[string]string{"": "", "1 2 3 5 7 8 9": "1-3,5,7-9", "4": "4", "1 9": "1,9"} {
		var keys []int
		for _, f := range strings.Fields(in) {
			keys = append(keys, int(f[0]-'0'))
		}
		if got := keyRanges(keys); got != want {
			t.Errorf("keyRanges(%s) = %q, want %q", in, got, want)
		}
	}
}
