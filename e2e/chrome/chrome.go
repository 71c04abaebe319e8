// Package chrome holds how the end-to-end tools start Debian's Chromium
// headless on a machine with no network beyond loopback.
package chrome

import "github.com/chromedp/chromedp"

// Path is Debian's chromium; CI installs it before the tests.
const Path = "/usr/bin/chromium"

// Options are the allocator options: headless, no sandbox (CI runs as
// root), and none of the background networking that a closed network
// would refuse many times a second; profileDir is a fresh user-data dir.
func Options(profileDir string, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profileDir),
	)
	return append(opts, extra...)
}

// PhoneUA is the user agent of a phone's browser (Chrome on Android): the
// customer scans the QR with a phone, and Alibaba's pages compare the
// browser with the device MetaInfo describes.
const PhoneUA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
