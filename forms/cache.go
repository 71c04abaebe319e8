package forms

import (
	"reflect"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
)

// cachedField keeps a huh field's rendered view until something that can
// change it happens. huh (v1.0.0) redraws every field of the page on every
// message (Group.Update gives each field an update message and rebuilds
// the page; the focused field is drawn twice), and that was most of a
// served desk's CPU per key and per launch (issue 18). A field's view
// changes only through its own Update while focused, Focus, Blur and the
// With* settings (here), or its settings changed from this package
// (Form.touch): a blurred field ignores messages (its inputs, cursors and
// dropdowns act only when focused) as long as it has no dynamic title,
// description or options, which no field here has.
type cachedField struct {
	huh.Field
	view    string
	valid   bool
	focused bool
	off     *bool // the form draws every field afresh (a test's twin)
}

func (c *cachedField) touch() { c.valid = false }

func (c *cachedField) Init() tea.Cmd {
	c.valid = false
	return c.Field.Init()
}

func (c *cachedField) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if isBlink(msg) {
		// The cursor stays shown instead of blinking: each blink was a
		// whole frame drawn twice a second for every desk waiting on a
		// form (issue 18), and nothing else changes while it waits.
		return c, nil
	}
	m, cmd := c.Field.Update(msg)
	if f, ok := m.(huh.Field); ok {
		c.Field = f
	}
	if c.focused {
		c.valid = false
	}
	return c, cmd
}

func (c *cachedField) View() string {
	if c.valid && !*c.off {
		return c.view
	}
	c.view, c.valid = c.Field.View(), true
	return c.view
}

func (c *cachedField) Focus() tea.Cmd {
	c.focused, c.valid = true, false
	return c.Field.Focus()
}

func (c *cachedField) Blur() tea.Cmd {
	c.focused, c.valid = false, false
	return c.Field.Blur()
}

func (c *cachedField) WithTheme(t *huh.Theme) huh.Field {
	c.Field.WithTheme(t)
	c.valid = false
	return c
}

func (c *cachedField) WithAccessible(a bool) huh.Field {
	c.Field.WithAccessible(a)
	c.valid = false
	return c
}

func (c *cachedField) WithKeyMap(k *huh.KeyMap) huh.Field {
	c.Field.WithKeyMap(k)
	c.valid = false
	return c
}

func (c *cachedField) WithWidth(w int) huh.Field {
	c.Field.WithWidth(w)
	c.valid = false
	return c
}

func (c *cachedField) WithHeight(h int) huh.Field {
	c.Field.WithHeight(h)
	c.valid = false
	return c
}

func (c *cachedField) WithPosition(p huh.FieldPosition) huh.Field {
	c.Field.WithPosition(p)
	c.valid = false
	return c
}

// IsBlink reports a cursor's blink message (bubbles/cursor: BlinkMsg and
// its unexported first blink and cancel). A form's fields swallow them
// (they schedule no next blink); a console need not pass them on to a form.
func IsBlink(msg tea.Msg) bool { return isBlink(msg) }

func isBlink(msg tea.Msg) bool {
	t := reflect.TypeOf(msg)
	return t != nil && t.PkgPath() == "github.com/charmbracelet/bubbles/cursor"
}
