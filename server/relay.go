package server

// The Alibaba relay: the page a desk's QR opens on the customer's phone
// when the verification is Alibaba's (DESIGN.md, "the Alibaba relay";
// reference/alibaba.md §5.1). Alibaba requires Initialize's MetaInfo to come
// from getMetaInfo() in the browser that verifies; a desk shows its QR
// before any phone is involved, so the QR opens this page instead of a
// TransactionUrl:
//
//	GET  /relay/{id}   the page: loads Alibaba's script, calls getMetaInfo(),
//	                   posts the result back unchanged, then goes to the
//	                   TransactionUrl it gets, unmodified
//	POST /relay/{id}   {"metaInfo": "…"}: the link is checked (unused,
//	                   unexpired) and spent, Initialize is called with that
//	                   exact MetaInfo, and the TransactionUrl is answered
//
// A link is single use and short lived (RelayTTL). A reload, a second
// phone or a late visit gets a clear page, never the TransactionUrl again;
// the desk issues a new link. A browser outside Alibaba's documented list
// (no getMetaInfo, WeChat, too old) gets that list, never a preset.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
)

// RelayTTL is how long a relay link can be opened.
const RelayTTL = 10 * time.Minute

// Relay bounds.
const (
	relayMaxLinks   = 4096
	relayMaxBody    = 16 << 10
	relayMaxMeta    = 8 << 10
	relayStartLimit = 60 * time.Second
	RelayPrefix     = "/relay/"
)

// RelayLink is what a desk hands the relay for one customer.
type RelayLink struct {
	// Script is the MetaInfo script the page loads: Alibaba's
	// (alibaba.ScriptURL) live, the sandbox's stand-in in sandbox mode.
	Script string
	// Opened hears that the customer's phone opened the page (once).
	Opened func()
	// Start calls Initialize with the phone's MetaInfo, exactly as given,
	// records the outcome and returns the TransactionUrl.
	Start func(ctx context.Context, metaInfo string) (string, error)
	// Failed hears that the link died without a TransactionUrl (Start
	// failed, or the link expired unused); may be nil.
	Failed func(why string)
}

type relayEntry struct {
	link    RelayLink
	expires time.Time
	opened  bool
	used    bool
}

// Relays holds the relay links of a server. It is safe for concurrent use.
type Relays struct {
	base string // public root, no trailing slash
	now  clock.Func

	mu    sync.Mutex
	links map[string]*relayEntry
	mux   *http.ServeMux
}

// NewRelays makes the relay of a server whose pages a phone reaches at
// publicBase (kycdesk serve --public-url).
func NewRelays(publicBase string, now clock.Func) *Relays {
	r := &Relays{base: strings.TrimRight(publicBase, "/"), now: now.Or(), links: map[string]*relayEntry{}, mux: http.NewServeMux()}
	r.mux.HandleFunc("GET "+RelayPrefix+"{id}", r.page)
	r.mux.HandleFunc("POST "+RelayPrefix+"{id}", r.start)
	return r
}

// ServeHTTP serves the relay's pages (mount it at RelayPrefix).
func (r *Relays) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.mux.ServeHTTP(w, req) }

// ErrRelayFull: too many links are waiting for a phone.
var ErrRelayFull = errors.New("too many relay links are waiting for a phone; try again in a few minutes")

// Issue makes a link for l: its URL and when it expires.
func (r *Relays) Issue(l RelayLink) (string, time.Time, error) {
	b := make([]byte, 18)
	rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	now := r.now()
	r.mu.Lock()
	var dead []*relayEntry
	for k, e := range r.links {
		if now.After(e.expires) {
			if !e.used {
				dead = append(dead, e)
			}
			delete(r.links, k)
		}
	}
	full := len(r.links) >= relayMaxLinks
	if !full {
		e := &relayEntry{link: l, expires: now.Add(RelayTTL)}
		r.links[id] = e
		// The desk hears of a link that dies unused when it dies, not at
		// the next launch.
		time.AfterFunc(RelayTTL+time.Second, func() { r.expire(id, e) })
	}
	r.mu.Unlock()
	for _, e := range dead {
		if e.link.Failed != nil {
			e.link.Failed("the link expired before the customer's phone used it")
		}
	}
	if full {
		return "", time.Time{}, ErrRelayFull
	}
	return r.base + RelayPrefix + id, now.Add(RelayTTL), nil
}

// expire ends link id if it is still e and unused.
func (r *Relays) expire(id string, e *relayEntry) {
	r.mu.Lock()
	dead := r.links[id] == e && !e.used && r.now().After(e.expires)
	if dead {
		delete(r.links, id)
	}
	r.mu.Unlock()
	if dead && e.link.Failed != nil {
		e.link.Failed("the link expired before the customer's phone used it")
	}
}

// lookup is the link id names and why it cannot be used ("" = usable).
func (r *Relays) lookup(id string) (*relayEntry, string) {
	e := r.links[id]
	switch {
	case e == nil:
		return nil, "gone"
	case e.used:
		return e, "used"
	case r.now().After(e.expires):
		return e, "expired"
	}
	return e, ""
}

func (r *Relays) page(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	r.mu.Lock()
	e, why := r.lookup(id)
	var first bool
	var link RelayLink
	if why == "" {
		link = e.link
		if problem := alibaba.BrowserProblem(req.Header.Get("User-Agent")); problem != "" {
			r.mu.Unlock()
			unsupported(w, problem)
			return
		}
		first, e.opened = !e.opened, true
	}
	r.mu.Unlock()
	if why != "" {
		deadLink(w, why)
		return
	}
	if first && link.Opened != nil {
		link.Opened()
	}
	nonce := make([]byte, 16)
	rand.Read(nonce)
	n := base64.StdEncoding.EncodeToString(nonce)
	scriptOrigin := link.Script
	if u, err := url.Parse(link.Script); err == nil && u.Host != "" {
		scriptOrigin = u.Scheme + "://" + u.Host
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+n+"' "+scriptOrigin+"; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
	renderRelay(w, http.StatusOK, relayData{Title: "Verify your identity", Working: true, Nonce: n, Script: link.Script,
		Supported: alibaba.SupportedBrowsers})
}

// relayAnswer is the POST's JSON answer.
type relayAnswer struct {
	URL   string `json:"url,omitempty"`
	Error string `json:"error,omitempty"`
	// Page: where the phone goes instead (the unsupported-browser list).
	Page string `json:"page,omitempty"`
}

func (r *Relays) start(w http.ResponseWriter, req *http.Request) {
	answer := func(status int, a relayAnswer) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(a)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, relayMaxBody))
	var in struct {
		MetaInfo string `json:"metaInfo"`
	}
	if err != nil || json.Unmarshal(body, &in) != nil {
		answer(http.StatusBadRequest, relayAnswer{Error: "the page sent no readable MetaInfo"})
		return
	}
	id := req.PathValue("id")
	if problem := alibaba.BrowserProblem(req.Header.Get("User-Agent")); problem != "" {
		answer(http.StatusUnprocessableEntity, relayAnswer{Error: problem, Page: RelayPrefix + id})
		return
	}
	if len(in.MetaInfo) > relayMaxMeta || alibaba.DeviceTypeOf(in.MetaInfo) == "" {
		// Not what getMetaInfo() returns: never replaced by a preset.
		answer(http.StatusUnprocessableEntity, relayAnswer{Error: "this browser gave no usable MetaInfo (getMetaInfo() returned nothing with a deviceType)"})
		return
	}
	r.mu.Lock()
	e, why := r.lookup(id)
	if why == "" {
		e.used = true // spent before Initialize: a second phone gets nothing
	}
	r.mu.Unlock()
	if why != "" {
		answer(http.StatusGone, relayAnswer{Error: deadText[why]})
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), relayStartLimit)
	defer cancel()
	u, err := e.link.Start(ctx, in.MetaInfo)
	if err != nil {
		msg := providers.SanitizeLine(err.Error())
		if e.link.Failed != nil {
			e.link.Failed(msg)
		}
		answer(http.StatusBadGateway, relayAnswer{Error: "Alibaba did not start the verification: " + clipText(msg, 300) +
			". Ask the desk for a new link."})
		return
	}
	answer(http.StatusOK, relayAnswer{URL: u})
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

var deadText = map[string]string{
	"gone":    "This link is not valid (it may have expired). Ask the desk for a new one.",
	"used":    "This link was already used: it works once, on one phone. Ask the desk for a new link.",
	"expired": "This link has expired: it works for 10 minutes. Ask the desk for a new link.",
}

func deadLink(w http.ResponseWriter, why string) {
	title := map[string]string{"gone": "Link not valid", "used": "Link already used", "expired": "Link expired"}[why]
	renderRelay(w, http.StatusGone, relayData{Title: title, Message: deadText[why]})
}

func unsupported(w http.ResponseWriter, problem string) {
	renderRelay(w, http.StatusOK, relayData{Title: "This browser is not supported", Message: problem + ".",
		Supported: alibaba.SupportedBrowsers, ShowList: true})
}

type relayData struct {
	Title, Message string
	Working        bool // the page that runs the script
	Nonce, Script  string
	Supported      []string
	ShowList       bool
}

func renderRelay(w http.ResponseWriter, status int, d relayData) {
	h := w.Header()
	if h.Get("Content-Security-Policy") == "" {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	relayPage().Execute(w, d)
}

var relayPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("relay").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:0;background:#f5f6f8;color:#1f2329;font-size:16px}
main{max-width:28rem;margin:0 auto;padding:1.25rem}
.card{background:#fff;border-radius:.75rem;padding:1rem 1.25rem;margin:1rem 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
small{color:#57606a}
</style></head>
<body><main>
<h1 id="title">{{.Title}}</h1>
<div class="card"><p id="msg">{{if .Working}}Preparing the identity check for this phone…{{else}}{{.Message}}{{end}}</p></div>
<div id="list" class="card"{{if not .ShowList}} hidden{{end}}>
<p>Identity verification works in these browsers:</p>
<ul>{{range .Supported}}<li>{{.}}</li>{{end}}</ul>
<p><small>Open the link again in one of them, or ask the desk for a new link.</small></p>
</div>
{{if .Working}}
<script src="{{.Script}}" nonce="{{.Nonce}}"></script>
<script nonce="{{.Nonce}}">
(function () {
  var title = document.getElementById("title"), msg = document.getElementById("msg");
  function fail(t, m, list) {
    title.textContent = t; msg.textContent = m;
    if (list) document.getElementById("list").hidden = false;
  }
  var ua = navigator.userAgent || "";
  if (/MicroMessenger/.test(ua)) { fail("This browser is not supported", "WeChat's built-in browser is not supported.", true); return; }
  if (typeof window.getMetaInfo !== "function" || typeof fetch !== "function" || typeof JSON === "undefined") {
    fail("This browser is not supported", "This browser cannot run Alibaba's identity check.", true); return;
  }
  var meta;
  try { meta = window.getMetaInfo(); } catch (e) { meta = null; }
  if (!meta) { fail("This browser is not supported", "This browser gave no device information for the identity check.", true); return; }
  // Posted unchanged: an object as its JSON text, a string as it is.
  var text = typeof meta === "string" ? meta : JSON.stringify(meta);
  fetch(location.pathname, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({metaInfo: text}), credentials: "omit", cache: "no-store"})
    .then(function (r) { return r.json(); })
    .then(function (a) {
      if (a.url) { msg.textContent = "Opening Alibaba's identity check…"; location.replace(a.url); return; }
      fail(a.page ? "This browser is not supported" : "The identity check could not start", a.error || "Ask the desk for a new link.", !!a.page);
    })
    .catch(function () { fail("The identity check could not start", "The connection failed. Ask the desk for a new link.", false); });
})();
</script>
{{end}}
</main></body></html>
`))
})
