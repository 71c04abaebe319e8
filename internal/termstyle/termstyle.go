// Package termstyle binds lipgloss styles to one terminal: its renderer,
// with their colours resolved once for its colour profile and background.
// lipgloss converts a hex colour to the terminal's palette on every render
// (a perceptual nearest-colour search on 256-colour terminals, which is
// what an SSH desk with TERM=xterm-256color is); resolved once, a colour
// costs a number parse.
package termstyle

import (
	"reflect"
	"strconv"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// colorProps are the colour properties a style may set, as getter and
// setter pairs (lipgloss has no getter for the margin background, which
// is left as it is).
var colorProps = []struct {
	get func(lipgloss.Style) lipgloss.TerminalColor
	set func(lipgloss.Style, lipgloss.TerminalColor) lipgloss.Style
}{
	{lipgloss.Style.GetForeground, lipgloss.Style.Foreground},
	{lipgloss.Style.GetBackground, lipgloss.Style.Background},
	{lipgloss.Style.GetBorderTopForeground, lipgloss.Style.BorderTopForeground},
	{lipgloss.Style.GetBorderRightForeground, lipgloss.Style.BorderRightForeground},
	{lipgloss.Style.GetBorderBottomForeground, lipgloss.Style.BorderBottomForeground},
	{lipgloss.Style.GetBorderLeftForeground, lipgloss.Style.BorderLeftForeground},
	{lipgloss.Style.GetBorderTopBackground, lipgloss.Style.BorderTopBackground},
	{lipgloss.Style.GetBorderRightBackground, lipgloss.Style.BorderRightBackground},
	{lipgloss.Style.GetBorderBottomBackground, lipgloss.Style.BorderBottomBackground},
	{lipgloss.Style.GetBorderLeftBackground, lipgloss.Style.BorderLeftBackground},
}

// Bind returns s drawn by r, its colours resolved for r's profile and
// background (set properties only: an unset one still inherits).
func Bind(s lipgloss.Style, r *lipgloss.Renderer) lipgloss.Style {
	s = s.Renderer(r)
	p, dark := r.ColorProfile(), r.HasDarkBackground()
	for _, c := range colorProps {
		if rc, ok := resolve(c.get(s), p, dark); ok {
			s = c.set(s, rc)
		}
	}
	return s
}

// resolve is c as the terminal draws it: a palette index or, on a
// true-colour terminal, the hex colour. Colours it does not know (and any
// on a terminal without colours) stay as they are.
func resolve(c lipgloss.TerminalColor, p termenv.Profile, dark bool) (lipgloss.TerminalColor, bool) {
	var s string
	switch c := c.(type) {
	case lipgloss.Color:
		s = string(c)
	case lipgloss.AdaptiveColor:
		s = c.Light
		if dark {
			s = c.Dark
		}
	default:
		return c, false
	}
	switch tc := p.Color(s).(type) {
	case termenv.ANSIColor:
		return lipgloss.Color(strconv.Itoa(int(tc))), true
	case termenv.ANSI256Color:
		return lipgloss.Color(strconv.Itoa(int(tc))), true
	case termenv.RGBColor:
		return lipgloss.Color(string(tc)), true
	}
	return c, false
}

var styleType = reflect.TypeFor[lipgloss.Style]()

// BindAll binds every lipgloss.Style in the struct v points to, and in
// the structs it holds (a huh.Theme, help.Styles), to r.
func BindAll(v any, r *lipgloss.Renderer) {
	bindFields(reflect.ValueOf(v).Elem(), r)
}

func bindFields(v reflect.Value, r *lipgloss.Renderer) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case !f.CanSet():
		case f.Type() == styleType:
			f.Set(reflect.ValueOf(Bind(f.Interface().(lipgloss.Style), r)))
		case f.Kind() == reflect.Struct:
			bindFields(f, r)
		}
	}
}
