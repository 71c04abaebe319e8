package idenfy

import (
	"fmt"
	"html/template"
	"strings"
	"sync"
	"time"

	"github.com/biter777/countries"
)

// pageCSP keeps the customer page self-contained: no scripts, no external
// resources, forms only to this host.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors *"

const pageStyle = `
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f6fa;color:#1b2430;line-height:1.45}
main{max-width:30rem;margin:0 auto;padding:1.25rem}
header{display:flex;align-items:center;justify-content:space-between;margin-bottom:1rem}
.brand{font-weight:700;font-size:1.35rem;color:#1a5cff}
.badge{font-size:.75rem;font-weight:700;background:#ffd23f;color:#1b2430;border-radius:.3rem;padding:.15rem .45rem}
.card{background:#fff;border-radius:.75rem;padding:1rem 1.1rem;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:1rem}
h1{font-size:1.2rem;margin:.1rem 0 .6rem}
ol{padding-left:1.3rem;margin:.4rem 0}
li{margin:.3rem 0}
.muted{color:#5b6675;font-size:.85rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:0;font-size:.85rem}
dt{color:#5b6675}dd{margin:0;word-break:break-all}
form{margin:0}
button{font-family:inherit;width:100%;font-size:1rem;font-weight:600;border:0;border-radius:.6rem;padding:.85rem;margin:.3rem 0;cursor:pointer}
.approve{background:#15a34a;color:#fff}.deny{background:#dc2626;color:#fff}
.suspect{background:#f59e0b;color:#1b2430}.abandon{background:#e5e7eb;color:#1b2430}
a.button{display:block;text-align:center;background:#1a5cff;color:#fff;border-radius:.6rem;padding:.85rem;text-decoration:none;font-weight:600}
`

var pageTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Provider}} identity verification (sandbox)</title>
<style>` + pageStyle + `</style></head>
<body><main>
<header><span class="brand">{{.Provider}}</span><span class="badge">SANDBOX</span></header>
<section class="card">
<h1>Verify your identity</h1>
<p>In the real flow you would now:</p>
<ol>{{range .Steps}}<li>{{.}}</li>{{end}}</ol>
<p class="muted">{{.Language}}</p>
<p class="muted">Time left: {{.Remaining}} (until {{.Deadline}}).</p>
</section>
<section class="card">
<h1>Choose the outcome</h1>
<p class="muted">This is the kycdesk simulator: nothing is photographed or checked. Pick the result the operator's console will see.</p>
{{range .Actions}}<form method="post" action="{{.Path}}">
<input type="hidden" name="authToken" value="{{$.AuthToken}}">
<button type="submit" class="{{.Class}}">{{.Label}}</button>
</form>{{end}}
</section>
<section class="card"><dl>
<dt>scanRef</dt><dd>{{.ScanRef}}</dd>
<dt>clientId</dt><dd>{{.ClientID}}</dd>
<dt>tokenType</dt><dd>{{.TokenType}}</dd>
</dl></section>
</main></body></html>
`))
})

var doneTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("done").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Provider}}: {{.Title}}</title>
<style>` + pageStyle + `</style></head>
<body><main>
<header><span class="brand">{{.Provider}}</span><span class="badge">SANDBOX</span></header>
<section class="card">
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
<p class="muted">Result: <strong>{{.Status}}</strong> (scanRef {{.ScanRef}}). You can close this page.</p>
{{if .Continue}}<a class="button" href="{{.Continue}}">Continue</a>{{end}}
</section>
</main></body></html>
`))
})

var errorTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>iDenfy: {{.Title}}</title>
<style>` + pageStyle + `</style></head>
<body><main>
<header><span class="brand">iDenfy</span><span class="badge">SANDBOX</span></header>
<section class="card">
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
<p class="muted">Error {{.Status}}</p>
</section>
</main></body></html>
`))
})

type pageAction struct{ Path, Label, Class string }

type pageView struct {
	Provider, AuthToken, ScanRef, ClientID, TokenType string
	Steps                                             []string
	Language, Remaining, Deadline                     string
	Actions                                           []pageAction
}

func (s *simulator) pageData(sess *simSession, now time.Time) pageView {
	v := pageView{Provider: "iDenfy", AuthToken: sess.authToken, ScanRef: sess.scanRef,
		ClientID: sess.clientID, TokenType: sess.tokenType}
	if sess.showInstructions {
		v.Steps = append(v.Steps, "Read the short instructions on how to take good photos.")
	}
	if sess.country != "" {
		v.Steps = append(v.Steps, fmt.Sprintf("Use a document issued by %s (%s).", countries.ByName(sess.country).String(), sess.country))
	} else {
		v.Steps = append(v.Steps, "Choose the country that issued your document.")
	}
	docs := make([]string, 0, len(sess.documents))
	for _, d := range sess.documents {
		if w, ok := simDocuments()[d]; ok {
			docs = append(docs, w)
		} else {
			docs = append(docs, d)
		}
	}
	v.Steps = append(v.Steps, "Photograph your "+orList(docs)+".")
	switch {
	case strings.HasPrefix(sess.tokenType, "VIDEO_CALL"):
		v.Steps = append(v.Steps, "Join a video call with an iDenfy agent who checks your document and face.")
	case sess.tokenType != "DOCUMENT":
		v.Steps = append(v.Steps, "Take a selfie with a liveness check.")
	}
	lang := "English"
	for _, o := range localeOptions {
		if o.Value == sess.locale {
			lang = o.Label
		}
	}
	if lang == "English" {
		v.Language = "Language: English."
	} else {
		v.Language = "The real flow would be in " + lang + "; this sandbox page is in English."
	}
	deadline := sess.deadline()
	v.Deadline = deadline.UTC().Format("15:04:05 UTC")
	left := deadline.Sub(now).Round(time.Second)
	if left < 0 {
		left = 0
	}
	v.Remaining = left.String()
	for _, a := range []pageAction{
		{ActionApprove, "Approve", "approve"},
		{ActionDeny, "Deny", "deny"},
		{ActionSuspect, "Leave suspected", "suspect"},
		{ActionAbandon, "Abandon", "abandon"},
	} {
		// Relative to the page (…/api/v2/redirect), so the sandbox also works
		// behind a public URL with a path prefix.
		a.Path = "redirect/" + a.Path
		v.Actions = append(v.Actions, a)
	}
	return v
}

func orList(items []string) string {
	switch len(items) {
	case 0:
		return "document"
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

type doneView struct {
	Provider, Title, Message, Status, ScanRef, Continue string
}

func doneData(sess *simSession) doneView {
	v := doneView{Provider: "iDenfy", Status: sess.status, ScanRef: sess.scanRef}
	opt := sess.options()
	switch sess.status {
	case simApproved:
		v.Title, v.Message, v.Continue = "Verification complete", "Thank you: your identity was verified.", opt.successURL
	case simDenied:
		v.Title, v.Message, v.Continue = "Verification failed", "Your identity could not be verified.", opt.errorURL
	case simSuspected:
		v.Title, v.Message, v.Continue = "Verification submitted", "Thank you: your verification will be reviewed.", opt.errorURL
	default:
		v.Title, v.Message, v.Continue = "Verification cancelled", "The verification was not completed.", opt.unverifiedURL
	}
	return v
}
