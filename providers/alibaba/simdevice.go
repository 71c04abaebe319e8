package alibaba

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The sandbox's stand-in for Alibaba's MetaInfo script, served at
// ScriptPath on the sandbox's own host. Like the real one it defines a
// synchronous window.getMetaInfo() that returns an object describing the
// browser it runs in: deviceType h5 on a phone, web on a computer, and the
// browser's own user agent. Each load carries a device token
// (apdidToken) the simulator issued to that user agent; Initialize under
// SecurityLevel 02 checks it, as Alibaba's Device Guard checks its own
// (seed 000: a risky environment fails with SubCode 206). A MetaInfo the
// script did not produce (kycdesk's presets, a hand-made one) carries no
// such token.

// simScriptTokenTTL is how long an issued device token is accepted (a
// TransactionUrl's life).
const simScriptTokenTTL = SessionTTL

// simDevice is an issued device token: the user agent it was issued to.
type simDevice struct{ uaHash string }

func uaHash(ua string) string {
	h := sha256.Sum256([]byte(ua))
	return hex.EncodeToString(h[:8])
}

// serveScript serves the stand-in script with a fresh device token.
func (s *Simulator) serveScript(w http.ResponseWriter, r *http.Request) {
	ua := r.Header.Get("User-Agent")
	now := s.opts.Clock()
	tok := simHex(16)
	s.mu.Lock()
	s.devices.Sweep(now)
	if !s.devices.Put(tok, simDevice{uaHash: uaHash(ua)}, now.Add(simScriptTokenTTL)) {
		tok = "" // full: this MetaInfo will be judged as a preset's
	}
	s.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// Any page may load it, as Alibaba's CDN lets any merchant's page.
	h.Set("Access-Control-Allow-Origin", "*")
	q, _ := json.Marshal(tok)
	w.Write([]byte(`/* kycdesk sandbox: a stand-in for Alibaba Cloud ID Verification's jsvm_all.js. */
(function () {
  var apdidToken = ` + string(q) + `;
  window.getMetaInfo = function () {
    var ua = navigator.userAgent || "";
    var mobile = /Android|iPhone|iPad|iPod|Mobile|HarmonyOS/i.test(ua);
    return {
      apdidToken: apdidToken,
      appName: "kycdesk-sandbox-jsvm",
      bioMetaInfo: "4.1.0:2916352,0",
      deviceType: mobile ? "h5" : "web",
      ua: ua
    };
  };
})();
`))
}

// simMeta is what the simulator keeps of an Initialize's MetaInfo.
type simMeta struct {
	deviceType string
	ua         string
	// genuine: produced by the stand-in script (its device token, issued
	// to the user agent it names).
	genuine bool
}

// readMeta reads MetaInfo and spends its device token. Call with s.mu held.
func (s *Simulator) readMeta(raw string, now time.Time) simMeta {
	m, _ := jsonObject(raw)
	out := simMeta{}
	out.deviceType, _ = m["deviceType"].(string)
	out.deviceType = strings.ToLower(strings.TrimSpace(out.deviceType))
	out.ua, _ = m["ua"].(string)
	tok, _ := m["apdidToken"].(string)
	if tok == "" {
		return out
	}
	s.devices.Sweep(now)
	if d, ok := s.devices.Get(tok); ok {
		s.devices.Delete(tok)
		out.genuine = d.uaHash == uaHash(out.ua)
	}
	return out
}

// mobile reports whether the MetaInfo describes a phone: its deviceType,
// or its user agent when the type is not one Alibaba names.
func (m simMeta) mobile() bool {
	switch m.deviceType {
	case DeviceWeb:
		return false
	case DeviceH5, "ios", "android":
		return true
	}
	return MobileBrowser(m.ua)
}

// deviceRisk: Device Guard's verdict under SecurityLevel 02 on a MetaInfo
// the script did not produce.
func (sess *simSession) deviceRisk() bool { return sess.securityLevel == "02" && !sess.meta.genuine }

// deviceMismatch is the error page for a TransactionUrl opened on the
// other kind of device than its MetaInfo describes; ok is false when the
// browser fits.
func deviceMismatch(sess *simSession, openerUA string) (status int, d simPageData, bad bool) {
	if !strings.HasPrefix(openerUA, "Mozilla/") {
		// Not a browser (curl, a script driving the sandbox): nothing to
		// compare, as no person is in front of it.
		return 0, simPageData{}, false
	}
	switch phone := MobileBrowser(openerUA); {
	case sess.meta.mobile() && !phone:
		return http.StatusForbidden, simPageData{Title: "Please use your mobile phone",
			Message: "This verification was started for a mobile phone (MetaInfo deviceType " + strconv.Quote(sess.meta.deviceType) +
				"), but this page was opened in a computer's browser. Open the link on the phone that started it."}, true
	case !sess.meta.mobile() && phone:
		return http.StatusForbidden, simPageData{Title: "Please use a computer",
			Message: "This verification was started for a computer's browser (MetaInfo deviceType " + strconv.Quote(sess.meta.deviceType) +
				"), but this page was opened on a mobile phone. Open the link in the computer's browser that started it."}, true
	}
	return 0, simPageData{}, false
}
