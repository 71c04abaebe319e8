package main

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A frame as the renderer writes it: the alternate screen, cursor moves,
// styled text, lines erased to the right, CR LF.
const sampleFrame = "\x1b[?1049h\x1b[H\x1b[1;35mkycdesk\x1b[0m SANDBOX\x1b[K\r\n" +
	"\x1b[2;1H Launching \x1b[38;5;99miDenfy\x1b[0m 0s\x1b[K\r\n\r\n" +
	"   \x1b[2mhttp://127.0.0.1:4000\x1b[0m\x1b[K\x1b[5;1H▀▀▀▀ █▄▄█ scanRef abc\x1b[K\x1b]11;?\x07\r\n" +
	"authToken T0k3n\x1b[J\x1b[6;1H"

// Output split into lines as it arrives gives the lines of the whole
// output, wherever the chunks end (an escape sequence cut in two too).
func TestLineSplitAnyChunks(t *testing.T) {
	want := []string{"kycdesk SANDBOX", " Launching iDenfy 0s", "   http://127.0.0.1:4000", "▀▀▀▀ █▄▄█ scanRef abc", "authToken T0k3n"}
	if got := textLines(sampleFrame); !slices.Equal(got, want) {
		t.Fatalf("whole: %q\nwant %q", got, want)
	}
	for size := 1; size <= len(sampleFrame); size++ {
		var ls lineSplit
		for i := 0; i < len(sampleFrame); i += size {
			ls.add(sampleFrame[i:min(i+size, len(sampleFrame))])
		}
		got := ls.done
		if l := ls.last(); l != "" {
			got = append(got, l)
		}
		if !slices.Equal(got, want) || ls.split != len(sampleFrame) {
			t.Fatalf("chunks of %d: %q (split %d)\nwant %q", size, got, ls.split, want)
		}
	}
	// The line being drawn is seen before its end.
	var ls lineSplit
	ls.add("\x1b[3;1Hauth")
	ls.add("Token X")
	if ls.last() != "authToken X" || len(ls.done) != 0 {
		t.Errorf("partial: %q, done %q", ls.last(), ls.done)
	}
}

// TestLineBreakAsTheExpression: lineBreak finds what the regular
// expression it replaced found, on random terminal output.
func TestLineBreakAsTheExpression(t *testing.T) {
	rx := regexp.MustCompile(`\x1b\[[0-9;?]*[HfABCDGJKd]|[\r\n]`)
	pieces := []string{"\x1b", "[", "3", ";", "?", "H", "f", "d", "K", "m", "x", "\r", "\n", "▀", "1", "\x1b[0m", "\x1b]8;;"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rnd.IntN(12) {
			b.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		s := b.String()
		want := rx.FindStringIndex(s)
		gb, ge := lineBreak(s)
		if want == nil && gb >= 0 || want != nil && (gb != want[0] || ge != want[1]) {
			t.Fatalf("%q: %d %d, the expression %v", s, gb, ge, want)
		}
	}
}
