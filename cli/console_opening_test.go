package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/ui"
)

// recorder is a console that records what it is given.
type recorder struct {
	got   *[]string
	inits *int
}

func (r recorder) Init() tea.Cmd { *r.inits++; return nil }
func (r recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		*r.got = append(*r.got, "size")
	case tea.KeyMsg:
		*r.got = append(*r.got, "key "+msg.String())
	}
	return r, nil
}
func (r recorder) View() string { return "home" }

// steps is what an opener gives, in order, as opening's next.
func steps(msgs ...tea.Msg) func() tea.Msg {
	ch := make(chan tea.Msg, len(msgs))
	for _, m := range msgs {
		ch <- m
	}
	return func() tea.Msg { return <-ch }
}

// never is an opener that does not answer (a store that hangs).
func never() tea.Msg { select {} }

// The console draws nothing until it is open (here, without a preview),
// then gets, after its Init, every message that arrived meanwhile, in
// order.
func TestOpeningHandsOverWhatArrived(t *testing.T) {
	var got []string
	inits := 0
	rec := recorder{&got, &inits}
	o := &opening{next: steps(openedMsg{m: rec})}
	if o.View() != "" {
		t.Fatalf("opening drew %q", o.View())
	}
	o.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	o.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("7")})
	msg := o.Init()()
	m, _ := o.Update(msg)
	if _, ok := m.(recorder); !ok {
		t.Fatalf("after opening the model is %T, want the console", m)
	}
	if inits != 1 || !reflect.DeepEqual(got, []string{"size", "key 7"}) {
		t.Fatalf("Init called %d times, messages %v; want once, [size key 7]", inits, got)
	}
}

// A console that cannot open ends the program (the error is printed
// after it, by cmdConsole).
func TestOpeningQuitsOnError(t *testing.T) {
	o := &opening{next: steps(openedMsg{err: errors.New("no store")})}
	m, cmd := o.Update(o.Init()())
	if m != o || cmd == nil {
		t.Fatalf("model %T, cmd %v: want the opening and a command", m, cmd)
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("the command does not quit")
	}
}

// ctrl+c while the store is still opening ends the program at once (the
// console's own keys are not there yet); other keys wait for the console.
func TestOpeningQuitsOnCtrlC(t *testing.T) {
	o := &opening{next: never}
	if _, cmd := o.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}); cmd != nil || o.quit {
		t.Fatal("q quit while opening: it is an early key for the console")
	}
	m, cmd := o.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if m != o || cmd == nil || !o.quit {
		t.Fatalf("ctrl+c: model %T, quit %v", m, o.quit)
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("ctrl+c does not quit")
	}
}

// An opening that takes its time says what it waits for, and how to leave.
func TestOpeningSaysWhatItWaitsFor(t *testing.T) {
	o := &opening{next: never}
	o.Update(slowOpeningMsg{})
	if v := o.View(); !strings.Contains(v, "Opening the session store") || !strings.Contains(v, "ctrl+c") {
		t.Fatalf("slow opening draws %q", v)
	}
	if len(o.waiting) != 0 {
		t.Fatalf("the note was kept for the console: %v", o.waiting)
	}
}

// A preview that comes before the console is what opening draws: sized to
// the window that came before it, with the slow-opening note where the
// recent sessions will be; keys still wait for the console, and the
// console, once there, gets every message in order.
func TestOpeningDrawsThePreviewUntilTheConsole(t *testing.T) {
	isolate(t)
	io := &IO{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Getenv: os.Getenv}
	loaded, err := loadApp(io, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	inits := 0
	rec := recorder{&got, &inits}
	o := &opening{next: steps(previewMsg{ui.NewPreview(&ui.Context{Desk: loaded.previewDesk()}), loaded.mode}, openedMsg{m: rec})}
	o.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m, cmd := o.Update(o.Init()())
	if m != o || cmd == nil {
		t.Fatalf("after the preview: model %T, next step %v", m, cmd)
	}
	v := o.View()
	for _, want := range []string{"SANDBOX", "Start a verification session", "iDenfy", "Recent sessions (sandbox)", "q quit"} {
		if !strings.Contains(v, want) {
			t.Fatalf("the preview lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "none yet") || strings.Contains(v, "http://") {
		t.Fatalf("the preview shows what it cannot know yet:\n%s", v)
	}
	if _, c := o.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}); c != nil || o.quit {
		t.Fatal("q acted on the preview: keys wait for the console")
	}
	o.Update(slowOpeningMsg{})
	if v := o.View(); !strings.Contains(v, "Start a verification session") || !strings.Contains(v[strings.Index(v, "Recent sessions"):], "Opening the session store") {
		t.Fatalf("slow opening with a preview draws:\n%s", v)
	}
	m, _ = o.Update(cmd())
	if _, ok := m.(recorder); !ok {
		t.Fatalf("after opening the model is %T, want the console", m)
	}
	if inits != 1 || !reflect.DeepEqual(got, []string{"size", "key q"}) {
		t.Fatalf("Init called %d times, messages %v; want once, [size key q]", inits, got)
	}
}

// Live, a slow opening does not say it opens a sandbox.
func TestOpeningSaysNoSandboxLive(t *testing.T) {
	isolate(t)
	loaded, err := loadApp(&IO{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Getenv: os.Getenv}, true)
	if err != nil {
		t.Fatal(err)
	}
	o := &opening{next: never}
	o.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	o.Update(previewMsg{ui.NewPreview(&ui.Context{Desk: loaded.previewDesk()}), loaded.mode})
	o.Update(slowOpeningMsg{})
	if v := o.View(); !strings.Contains(v, "LIVE") || !strings.Contains(v, "Opening the session store… (ctrl+c quits)") {
		t.Fatalf("slow live opening draws:\n%s", v)
	}
}

// A preview that comes after the window's size is sized to it.
func TestOpeningSizesALatePreview(t *testing.T) {
	isolate(t)
	loaded, err := loadApp(&IO{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Getenv: os.Getenv}, false)
	if err != nil {
		t.Fatal(err)
	}
	o := &opening{next: never}
	o.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	o.Update(previewMsg{ui.NewPreview(&ui.Context{Desk: loaded.previewDesk()}), loaded.mode})
	if v := o.View(); len(strings.Split(v, "\n")) != 30 || !strings.Contains(v, "Start a verification session") {
		t.Fatalf("late preview at 100x30:\n%s", v)
	}
}

// The preview's desk is made from the configuration alone, before the
// store and the sandbox: it offers what the opened desk offers — the same
// providers, usable or not for the same reasons, the same profiles on the
// same keys — with an in-process sandbox, a running one (whose proven
// token lets the environment's credentials through), and live.
func TestPreviewDeskOffersWhatTheOpenedDeskOffers(t *testing.T) {
	profile := "provider = \"idenfy\"\ntitle = \"Passport\"\nasked = [\"clientId\"]\naccepted = []\n[values]\nlocale = \"lt\"\n"
	for _, c := range []struct {
		name    string
		live    bool
		running bool
		env     map[string]string
	}{
		{name: "in-process sandbox"},
		{name: "running sandbox", running: true, env: map[string]string{"IDENFY_API_KEY": "k", "IDENFY_API_SECRET": "s"}},
		{name: "live", live: true, env: map[string]string{"IDENFY_API_KEY": "k", "IDENFY_API_SECRET": "s",
			"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "KYCDESK_DWS_URL": "http://dws.example.com"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			isolate(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			if c.running {
				startSandbox(t, os.Getenv)
			}
			dir := config.ProfilesDir(os.Getenv)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "passport.toml"), []byte(profile), 0o600); err != nil {
				t.Fatal(err)
			}
			io := &IO{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Getenv: os.Getenv}
			loaded, err := loadApp(io, c.live)
			if err != nil {
				t.Fatal(err)
			}
			pd := loaded.previewDesk()
			a, err := openApp(io, c.live, true, "")
			if err != nil {
				t.Fatal(err)
			}
			defer a.close()
			offered := func(d *desk.Desk) string {
				var b strings.Builder
				for _, p := range d.Providers() {
					fmt.Fprintf(&b, "%s usable=%v %s\n", p.Desc.ID, p.Client != nil, p.Disabled)
				}
				profiles, problems := d.Profiles()
				for _, p := range profiles {
					fmt.Fprintf(&b, "profile %s %q key %d %s %s\n", p.Name, p.DisplayTitle(), p.HomeKey, p.Disabled, p.Note)
				}
				fmt.Fprintln(&b, d.Mode(), problems)
				return b.String()
			}
			want, got := offered(a.desk), offered(pd)
			if got != want {
				t.Fatalf("the preview's desk offers\n%s\nthe opened desk\n%s", got, want)
			}
			if !strings.Contains(want, "profile passport") || (c.live && !strings.Contains(want, "usable=false")) {
				t.Fatalf("the case shows nothing:\n%s", want)
			}
			if pd.SandboxURL() != "" {
				t.Fatalf("the preview's desk names a sandbox: %s", pd.SandboxURL())
			}
		})
	}
}
