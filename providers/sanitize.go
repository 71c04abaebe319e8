package providers

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
)

// Sanitize makes text that came from the network safe to display: escape
// sequences are removed, other control characters (except newline and tab)
// and bidirectional formatting characters are dropped, and invalid UTF-8 is
// replaced.
func Sanitize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = ansi.Strip(s)
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || isBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

// isBidiControl reports the Unicode bidirectional formatting characters:
// embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), the
// marks LRM, RLM (U+200E, U+200F) and ALM (U+061C). Any of them can make a
// reference or a URL read differently from what it is.
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') ||
		r == '\u200e' || r == '\u200f' || r == '\u061c'
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
