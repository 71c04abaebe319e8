package cli

import (
	"sort"
	"strings"
	"testing"
)

// Every command answers --help and -h with its own usage, flags with
// their defaults and an example, on stdout, exit 0.
func TestEveryCommandHasHelp(t *testing.T) {
	isolate(t)
	var names []string
	for name := range commands {
		if !strings.HasPrefix(name, "-") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, h := range []string{"--help", "-h", "help"} {
		if r := cli(t, nil, h); r.code != 0 || !strings.Contains(r.out, "kycdesk serve [") {
			t.Errorf("kycdesk %s: exit %d, want the general usage\n%s", h, r.code, r.out)
		}
	}
	for _, name := range names {
		for _, h := range []string{"--help", "-h"} {
			args := []string{name, h}
			r := cli(t, nil, args...)
			want := "Usage: kycdesk " + name
			if r.code != 0 || !strings.HasPrefix(r.out, want) || !strings.Contains(r.out, "\nExample:\n  kycdesk") {
				t.Errorf("kycdesk %s: exit %d, want 0 with %q and an example (add it to helps in help.go)\n%s%s", strings.Join(args, " "), r.code, want, r.out, r.err)
			}
		}
	}
	r := cli(t, nil, "serve", "--help")
	for _, want := range []string{"--ssh-listen string", "(default 127.0.0.1:2222)", "--operators", "--idle-timeout duration", "(default 30m)", "ssh -p PORT DESK@HOST"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, r.out)
		}
	}
	// --live --help is the console's help, not an error.
	if r := cli(t, nil, "--live", "--help"); r.code != 0 || !strings.Contains(r.out, "--accessible") {
		t.Errorf("kycdesk --live --help: exit %d\n%s%s", r.code, r.out, r.err)
	}
}
