// Package keybar lays out key help the way every screen shows it: each
// key whole, keys joined by a separator, lines broken between keys and
// never inside one (a cut "r refresh status" read as two keys at 80
// columns).
package keybar

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// Views draws each enabled key of keys alone, in h's styles.
func Views(h help.Model, keys []key.Binding) []string {
	h.Width = 0 // each key whole, measured alone
	var out []string
	for _, k := range keys {
		if k.Enabled() {
			out = append(out, h.ShortHelpView([]key.Binding{k}))
		}
	}
	return out
}

// Lines joins parts with sep in lines of at most w cells (w ≤ 0: one
// line), breaking between parts; a part wider than w has a line of its
// own. There is always at least one line.
func Lines(parts []string, sep string, w int) []string {
	sepW := lipgloss.Width(sep)
	var lines []string
	line, lineW := "", 0
	for _, p := range parts {
		pw := lipgloss.Width(p)
		switch {
		case line == "":
			line, lineW = p, pw
		case w > 0 && lineW+sepW+pw > w:
			lines = append(lines, line)
			line, lineW = p, pw
		default:
			line += sep + p
			lineW += sepW + pw
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
