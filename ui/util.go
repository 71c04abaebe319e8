package ui

import (
	"fmt"
	"time"

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
