// Command qrscan decodes the QR code on a captured terminal screen
// (tmux capture-pane -p) with an independent decoder and prints its text.
// The end-to-end script uses it to check that what the console draws is
// what a phone would read.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/kycdesk/kycdesk/internal/qrscan"
)

func main() {
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "qrscan:", err)
		os.Exit(1)
	}
	text, err := qrscan.Decode(string(b))
	if err != nil {
		fmt.Fprintln(os.Stderr, "qrscan:", err)
		os.Exit(1)
	}
	fmt.Println(text)
}
