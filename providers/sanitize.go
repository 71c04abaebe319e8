package providers

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
)

// Sanitize makes text that came from the network safe to display: escape
// sequences are removed, other control characters (except newline and tab)
// are dropped, and invalid UTF-8 is replaced.
func Sanitize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = ansi.Strip(s)
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u202e' || r == '\u202d' || r == '\u2066' || r == '\u2067' || r == '\u2068' || r == '\u2069' {
			return -1
		}
		return r
	}, s)
}

// SanitizeLine is Sanitize with newlines and tabs folded to spaces, for
// single-line fields (codes, references, URLs).
func SanitizeLine(s string) string {
	s = Sanitize(s)
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
