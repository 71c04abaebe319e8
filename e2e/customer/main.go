// Command customer acts as the customer in a real headless browser: it
// opens a session's hosted-flow URL (what the QR encodes), clicks the
// button with the given label and prints the page's heading. The tmux
// end-to-end script uses it so that the console is seen following what a
// phone would do.
//
//	go run ./e2e/customer URL LABEL      e.g. ... "http://127.0.0.1:8470/…" Approve
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kycdesk/kycdesk/e2e/chrome"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: customer URL BUTTON-LABEL")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "customer:", err)
		os.Exit(1)
	}
}

func run(url, label string) error {
	dir, err := os.MkdirTemp("", "kycdesk-customer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opts := chrome.Options(dir, chromedp.WindowSize(390, 844), chromedp.UserAgent(chrome.PhoneUA))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("open %s: %w", url, err)
	}
	button := chromedp.Search(fmt.Sprintf(`//button[normalize-space(.)=%q]`, label))
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(button)); err != nil {
		return fmt.Errorf("press %q: %w", label, err)
	}
	h, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		return fmt.Errorf("read the result page: %w", err)
	}
	fmt.Println(strings.TrimSpace(h))
	return nil
}
