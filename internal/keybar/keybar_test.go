package keybar

import (
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

func TestLinesBreakBetweenParts(t *testing.T) {
	parts := []string{"r refresh status", "c copy URL", "o open URL", "n next session"}
	for _, tc := range []struct {
		w    int
		want []string
	}{
		{0, []string{"r refresh status · c copy URL · o open URL · n next session"}},
		{80, []string{"r refresh status · c copy URL · o open URL · n next session"}},
		{30, []string{"r refresh status · c copy URL", "o open URL · n next session"}},
		{10, parts}, // each wider than the line: one a line, never cut
	} {
		got := Lines(parts, " · ", tc.w)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("w %d: %q, want %q", tc.w, got, tc.want)
		}
		for _, l := range got {
			if tc.w >= 16 && lipgloss.Width(l) > tc.w {
				t.Errorf("w %d: line %q is wider", tc.w, l)
			}
		}
	}
	if got := Lines(nil, " · ", 40); !reflect.DeepEqual(got, []string{""}) {
		t.Errorf("no parts: %q, want one empty line", got)
	}
}

func TestViewsDrawEachEnabledKeyWhole(t *testing.T) {
	h := help.New()
	h.Width = 5 // ignored: a key is never cut
	off := key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "close out"))
	off.SetEnabled(false)
	got := Views(h, []key.Binding{
		key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh status")), off,
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	})
	if len(got) != 2 || !strings.Contains(got[0], "refresh status") || !strings.Contains(got[1], "back") {
		t.Fatalf("views %q", got)
	}
}
