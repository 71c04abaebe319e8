package ui

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/providers"
)

// truncate cuts s to w columns, escape sequences kept intact.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

// wrap breaks s into lines of at most w columns (URLs have no spaces, so
// this is a hard wrap).
func wrap(s string, w int) string {
	if w <= 0 {
		return s
	}
	return ansi.Hardwrap(ansi.Wordwrap(s, w, ""), w, true)
}

// human formats a duration as "29m 59s" / "3h 05m" / "2d 4h".
func human(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
}

// age formats how long ago t was.
func age(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// clean is providers.SanitizeLine, for any network text shown on one line.
func clean(s string) string { return providers.SanitizeLine(s) }

// actorLabel names who acted at a served desk ("alice@desk-12"), or "".
func actorLabel(operator, desk string) string {
	switch {
	case operator == "" && desk == "":
		return ""
	case desk == "":
		return clean(operator)
	}
	return clean(operator) + "@" + clean(desk)
}

// fitsWidth reports whether line l is certainly no wider than w columns,
// without measuring its graphemes: each rune outside escape sequences
// counts one column, or two unless it is one that is never wide (Latin
// and the box and block characters of borders and QR codes). When it
// cannot tell it says false, and the caller measures (fit measured every
// line of every frame with lipgloss.Width: a third of drawing a desk's
// screen, issue 18).
func fitsWidth(l string, w int) bool {
	if len(l) <= w {
		return true // a column takes at least a byte
	}
	n := 0
	for i := 0; i < len(l); {
		c := l[i]
		switch {
		case c == 0x1b:
			j := escapeEnd(l, i)
			if j < 0 {
				return false
			}
			i = j
			continue
		case c < utf8.RuneSelf:
			n++
			i++
		default:
			r, size := utf8.DecodeRuneInString(l[i:])
			if r < 0x0300 || (r >= 0x2500 && r <= 0x259f) {
				n++
			} else {
				n += 2
			}
			i += size
		}
		if n > w {
			return false
		}
	}
	return true
}

// escapeEnd is the index after the CSI (ESC [ … final) or OSC (ESC ] …
// BEL or ESC \) sequence that starts at l[i], or -1 for any other or a
// malformed one.
func escapeEnd(l string, i int) int {
	if i+1 >= len(l) {
		return -1
	}
	switch l[i+1] {
	case '[':
		for j := i + 2; j < len(l); j++ {
			switch c := l[j]; {
			case c >= 0x40 && c <= 0x7e:
				return j + 1
			case c < 0x20 || c > 0x7e:
				return -1
			}
		}
	case ']':
		for j := i + 2; j < len(l); j++ {
			switch l[j] {
			case 0x07:
				return j + 1
			case 0x1b:
				if j+1 < len(l) && l[j+1] == '\\' {
					return j + 2
				}
				return -1
			}
		}
	}
	return -1
}
