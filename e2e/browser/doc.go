// Package browser holds end-to-end tests of the sandbox as a demo: the
// built kycdesk binary runs `kycdesk sandbox`, the CLI launches sessions,
// and a real headless Chromium (driven by chromedp) plays the customer on
// the simulators' hosted-flow pages. The operator's side is checked with
// `kycdesk status` and `kycdesk verify`.
//
// The tests need /usr/bin/chromium (Debian's chromium package) and skip
// without it. Everything lives in _test.go files, so neither the kycdesk
// binary nor any other package links chromedp.
package browser
