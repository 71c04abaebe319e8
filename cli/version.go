package cli

import "fmt"

func cmdVersion(_ []string, io *IO) error {
	fmt.Fprintln(io.Out, "kycdesk", Version)
	return nil
}
