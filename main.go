// Command kycdesk is a terminal console for starting identity-verification
// sessions (iDenfy, Alibaba Cloud eKYC, Alipay DWS OTP), with a built-in
// sandbox so it works with no credentials. See README.md.
package main

import (
	"os"

	"github.com/kycdesk/kycdesk/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], cli.System())) }
