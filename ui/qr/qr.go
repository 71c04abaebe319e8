// Package qr renders a URL as a terminal QR code in half blocks, forced
// black on white whatever the terminal theme, level M, quiet zone 2, and
// caches the result; Parse reads such a code back into modules so tests and
// the end-to-end script can decode what is on the screen.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mdp/qrterminal/v3"
)

// QuietZone is the light margin around the code, in modules (≥ 2 keeps
// phone scanners happy while fitting 80×24).
const QuietZone = 2

// MaxLen is the longest text encoded: well under level M's byte capacity
// (2331), since qrterminal panics on oversize input and long URLs make codes
// too dense to scan from a screen anyway.
const MaxLen = 1200

// Half-block characters: the top half is the first module row, the bottom
// half the second; "light" means a light (white) module.
const (
	bothLight   = "█"
	bothDark    = " "
	topLight    = "▀"
	bottomLight = "▄"
)

// Forced colours: light modules are drawn in bright white foreground, dark
// ones are the black background, so the code is dark-on-light on any theme.
const (
	colorOn  = "\x1b[97;40m"
	colorOff = "\x1b[0m"
)

// Colors are the sequences drawn before and after each line of a code: a
// console builds them from its terminal's renderer (ui/styles.go).
type Colors struct{ On, Off string }

// ForcedColors are the 16-colour pair every terminal draws: Styled's.
var ForcedColors = Colors{On: colorOn, Off: colorOff}

// Code is a rendered code.
type Code struct {
	Text   string // the encoded text
	Plain  string // the half-block lines, no colour
	Styled string // the same lines with forced colours
	Width  int    // columns
	Height int    // rows
	// Scale is the cells per module: 1 is one column and half a row;
	// k is k columns and k half rows.
	Scale  int
	styled []string

	mu       sync.Mutex
	other    []string // drawn with otherCol
	otherCol Colors
}

// MaxScale bounds how far a code grows on a large window: past 4 cells
// per module a phone has to step back to get it in frame.
const MaxScale = 4

// StyledLines are the lines of Styled, split once.
func (c *Code) StyledLines() []string { return c.styled }

// LinesIn are the code's lines drawn with col (StyledLines for
// ForcedColors); other colours are drawn once and kept, so a served desk's
// terminal pays for them once per code.
func (c *Code) LinesIn(col Colors) []string {
	if col == ForcedColors || col == (Colors{}) {
		return c.styled
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.other != nil && c.otherCol == col {
		return c.other
	}
	plain := strings.Split(c.Plain, "\n")
	out := make([]string, len(plain))
	for i, l := range plain {
		out[i] = col.On + l + col.Off
	}
	c.other, c.otherCol = out, col
	return out
}

// In is the whole code drawn with col (Styled for ForcedColors).
func (c *Code) In(col Colors) string {
	if col == ForcedColors || col == (Colors{}) {
		return c.Styled
	}
	return strings.Join(c.LinesIn(col), "\n")
}

type cacheKey struct {
	text  string
	scale int
}

var (
	mu    sync.Mutex
	cache = map[cacheKey]*Code{}
)

// Render returns the code for text, one module per column and half row,
// cached.
func Render(text string) (*Code, error) { return RenderScaled(text, 1) }

// RenderScaled returns the code for text with scale×scale cells per
// module (1 ≤ scale ≤ MaxScale), cached per text and scale.
func RenderScaled(text string, scale int) (*Code, error) {
	scale = min(max(scale, 1), MaxScale)
	mu.Lock()
	defer mu.Unlock()
	return cached(text, scale)
}

func cached(text string, scale int) (*Code, error) {
	if c, ok := cache[cacheKey{text, scale}]; ok {
		return c, nil
	}
	var c *Code
	var err error
	if scale == 1 {
		c, err = render(text)
	} else {
		var base *Code
		if base, err = cached(text, 1); err == nil {
			c = scaled(base, scale)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(cache) > 64 {
		cache = map[cacheKey]*Code{}
	}
	cache[cacheKey{text, scale}] = c
	return c, nil
}

// ScaleToFit is the largest scale (≤ MaxScale) at which base's code fits
// w columns and h rows; 1 when no larger one does.
func ScaleToFit(base *Code, w, h int) int {
	cols, rows := base.Width/base.Scale, base.Height*2/base.Scale // half rows, at most one too many
	for k := MaxScale; k > 1; k-- {
		if cols*k <= w && (rows*k+1)/2 <= h {
			return k
		}
	}
	return 1
}

// scaled draws base's modules k×k: k columns and k half rows each, so
// modules stay square; an odd last half row is light (quiet zone).
func scaled(base *Code, k int) *Code {
	m := Parse(base.Plain)
	half := make([][]bool, 0, len(m)*k+1)
	for _, row := range m {
		wide := make([]bool, 0, len(row)*k)
		for _, dark := range row {
			for range k {
				wide = append(wide, dark)
			}
		}
		for range k {
			half = append(half, wide)
		}
	}
	if len(half)%2 == 1 {
		half = append(half, make([]bool, len(half[0])))
	}
	lines := make([]string, 0, len(half)/2)
	var b strings.Builder
	for i := 0; i < len(half); i += 2 {
		b.Reset()
		for j := range half[i] {
			switch top, bottom := half[i][j], half[i+1][j]; {
			case !top && !bottom:
				b.WriteString(bothLight)
			case top && bottom:
				b.WriteString(bothDark)
			case !top:
				b.WriteString(topLight)
			default:
				b.WriteString(bottomLight)
			}
		}
		lines = append(lines, b.String())
	}
	return build(base.Text, lines, k)
}

func render(text string) (c *Code, err error) {
	if text == "" {
		return nil, errors.New("nothing to encode")
	}
	if len(text) > MaxLen {
		return nil, fmt.Errorf("the URL is %d characters; a scannable code holds at most %d", len(text), MaxLen)
	}
	defer func() {
		if r := recover(); r != nil { // qrterminal ignores encode errors and may panic
			c, err = nil, fmt.Errorf("cannot encode as QR: %v", r)
		}
	}()
	var buf bytes.Buffer
	qrterminal.GenerateWithConfig(text, qrterminal.Config{
		Level:          qrterminal.M,
		Writer:         &buf, // a buffer, never stdout: no sixel probing of the terminal
		HalfBlocks:     true,
		WhiteChar:      bothLight,
		BlackChar:      bothDark,
		WhiteBlackChar: topLight,
		BlackWhiteChar: bottomLight,
		QuietZone:      QuietZone,
	})
	return build(text, strings.Split(strings.TrimRight(buf.String(), "\n"), "\n"), 1), nil
}

func build(text string, lines []string, scale int) *Code {
	styled := make([]string, len(lines))
	w := 0
	for i, l := range lines {
		styled[i] = colorOn + l + colorOff
		w = max(w, len([]rune(l)))
	}
	return &Code{Text: text, Plain: strings.Join(lines, "\n"), Styled: strings.Join(styled, "\n"), Width: w, Height: len(lines), Scale: scale, styled: styled}
}

// Parse turns half-block lines (as captured from a screen, colours removed)
// back into a module matrix, true = dark. Lines are trimmed of anything
// that is not a block character on either side; blank leading/trailing
// columns of dark modules (spaces) are kept as the code drew them.
func Parse(screen string) [][]bool {
	var rows [][]bool
	for _, line := range strings.Split(screen, "\n") {
		if !strings.ContainsAny(line, bothLight+topLight+bottomLight) {
			continue
		}
		var top, bottom []bool
		for _, r := range line {
			switch string(r) {
			case bothLight:
				top, bottom = append(top, false), append(bottom, false)
			case topLight:
				top, bottom = append(top, false), append(bottom, true)
			case bottomLight:
				top, bottom = append(top, true), append(bottom, false)
			case bothDark:
				top, bottom = append(top, true), append(bottom, true)
			}
		}
		rows = append(rows, top, bottom)
	}
	// qrterminal ends an even quiet zone with a line of upper half blocks,
	// whose lower half is background, not a module: drop all-dark rows there.
	for len(rows) > 0 && allDark(rows[len(rows)-1]) {
		rows = rows[:len(rows)-1]
	}
	return rows
}

func allDark(row []bool) bool {
	for _, d := range row {
		if !d {
			return false
		}
	}
	return true
}

// Extract finds the code on a captured screen: the first run of at least
// eight full blocks starts the top quiet zone, whose length is the code's
// width; following lines are cut to the same columns while they start
// with a light quiet-zone module.
func Extract(screen string) string {
	lines := strings.Split(screen, "\n")
	start, width, first := -1, 0, -1
	for i, l := range lines {
		r := []rune(l)
		for j := 0; j < len(r); j++ {
			if string(r[j]) != bothLight {
				continue
			}
			k := j
			for k < len(r) && string(r[k]) == bothLight {
				k++
			}
			if k-j >= 8 {
				start, width, first = j, k-j, i
				break
			}
			j = k
		}
		if first >= 0 {
			break
		}
	}
	if first < 0 {
		return ""
	}
	var out []string
	for _, l := range lines[first:] {
		r := []rune(l)
		if len(r) < start+1 {
			break
		}
		end := min(start+width, len(r))
		seg := r[start:end]
		if c := string(seg[0]); c != bothLight && c != topLight {
			break
		}
		for len(seg) < width { // trailing spaces trimmed by the capture
			seg = append(seg, ' ')
		}
		out = append(out, string(seg))
	}
	return strings.Join(out, "\n")
}
