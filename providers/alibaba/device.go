package alibaba

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/kycdesk/kycdesk/providers"
)

// What Alibaba documents about the browser that verifies (reference/
// alibaba.md §5, the mobile-web page): the page where verification happens
// loads ScriptURL, calls window.getMetaInfo() (synchronous in the official
// sample), sends the result unmodified to the merchant's server, which
// calls Initialize with it and sends the page on to TransactionUrl.

// ScriptURL is Alibaba's MetaInfo script for the redirect integration;
// the sandbox serves a stand-in at ScriptPath on its own host.
const (
	ScriptURL  = "https://hkwebcdn.yuncloudauth.com" + ScriptPath
	ScriptPath = "/cdn/jsvm_all.js"
)

// SupportedBrowsers is the documented list, as a customer reads it.
var SupportedBrowsers = []string{
	"Android 5 or later; iOS 11 or later",
	"Safari",
	"Chrome, Firefox, Edge or an in-app browser (WKWebView) on iOS 14.3 or later",
	"Chrome 60 or later; Firefox 58 or later",
	"not inside WeChat (WeChat needs Alibaba's server-only integration)",
}

// MetaInfo device types (the deviceType member).
const (
	DeviceH5  = "h5"  // a phone's browser
	DeviceWeb = "web" // a computer's browser
)

var (
	mobileUA  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)Android|iPhone|iPad|iPod|Mobile|HarmonyOS`) })
	androidV  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`Android (\d+)`) })
	iosV      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:iPhone|CPU) OS (\d+)(?:_(\d+))?`) })
	chromeV   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:Chrome|CriOS)/(\d+)`) })
	firefoxV  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:Firefox|FxiOS)/(\d+)`) })
	iosOthers = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`CriOS|FxiOS|EdgiOS`) })
)

// MobileBrowser reports whether a User-Agent is a phone's or tablet's.
func MobileBrowser(ua string) bool { return mobileUA().MatchString(ua) }

// DeviceTypeOf is the deviceType a MetaInfo names, "" when it names none.
func DeviceTypeOf(metaInfo string) string { return strings.ToLower(metaDeviceType(metaInfo)) }

// MobileDevice reports whether a deviceType is a phone's (h5, or an app's
// ios / android).
func MobileDevice(deviceType string) bool {
	switch strings.ToLower(deviceType) {
	case DeviceH5, "ios", "android":
		return true
	}
	return false
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// BrowserProblem says why a User-Agent is outside the documented list, or
// "" when it is within it (or cannot be told apart from one that is).
func BrowserProblem(ua string) string {
	switch {
	case strings.Contains(ua, "MicroMessenger"):
		return "WeChat's built-in browser is not supported"
	case ua == "":
		return "the browser does not say what it is"
	}
	if m := androidV().FindStringSubmatch(ua); m != nil && atoi(m[1]) < 5 {
		return "Android " + m[1] + " is older than Android 5"
	}
	if m := iosV().FindStringSubmatch(ua); m != nil && strings.Contains(ua, "like Mac OS X") {
		major, minor := atoi(m[1]), atoi(m[2])
		if major < 11 {
			return "iOS " + m[1] + " is older than iOS 11"
		}
		if iosOthers().MatchString(ua) && (major < 14 || major == 14 && minor < 3) {
			return "Chrome, Firefox and Edge on iOS need iOS 14.3 or later (use Safari)"
		}
		return ""
	}
	if m := chromeV().FindStringSubmatch(ua); m != nil && atoi(m[1]) < 60 {
		return "Chrome " + m[1] + " is older than Chrome 60"
	}
	if m := firefoxV().FindStringSubmatch(ua); m != nil && atoi(m[1]) < 58 {
		return "Firefox " + m[1] + " is older than Firefox 58"
	}
	return ""
}

// Where a launch's MetaInfo came from, kept with the launch
// (Launch.Extra[ExtraMetaInfoSource], ExtraDeviceType) so that status and
// the history can say it.
const (
	ExtraMetaInfoSource = providers.ExtraDeviceSource
	ExtraDeviceType     = providers.ExtraDeviceType
	SourcePhone         = providers.DeviceFromPhone // getMetaInfo() on the customer's phone, through the relay
	SourcePreset        = "preset"                  // one of kycdesk's presets (decisions.go D6)
	SourcePasted        = "pasted"                  // a MetaInfo the operator gave
	// PresetNote is said wherever a preset is used (review, result).
	PresetNote = "preset MetaInfo: Alibaba may refuse or flag it"
)

// IsPreset reports whether a MetaInfo is one of kycdesk's presets.
func IsPreset(metaInfo string) bool {
	return metaInfo == MetaInfoMobileH5 || metaInfo == MetaInfoPCWeb
}

// MarkDevice records in l where its MetaInfo came from.
func MarkDevice(l *providers.Launch, source, metaInfo string) {
	if l == nil {
		return
	}
	if l.Extra == nil {
		l.Extra = map[string]string{}
	}
	l.Extra[ExtraMetaInfoSource] = source
	if dt := DeviceTypeOf(metaInfo); dt != "" {
		l.Extra[ExtraDeviceType] = clip(dt, 20)
	}
}
