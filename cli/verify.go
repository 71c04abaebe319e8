package cli

import (
	"context"
	"flag"
	"strings"
)

func cmdVerify(args []string, io *IO) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	code := fs.String("code", "", "the one-time code the customer received")
	asJSON := fs.Bool("json", false, "print one JSON object")
	store := storeFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usage(*asJSON, "SESSION", "name one session: kycdesk verify SESSION --code CODE")
	}
	if strings.TrimSpace(*code) == "" {
		return usage(*asJSON, "--code", "required: the code the customer received")
	}
	a, s, err := openSession(io, *asJSON, pos[0], *store)
	if err != nil {
		return err
	}
	defer a.close()
	f, err := a.desk.Follow(s.ID)
	if err != nil {
		return fail(err, *asJSON)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	st, err := f.Verify(ctx, strings.TrimSpace(*code))
	if err != nil {
		return fail(err, *asJSON)
	}
	printStatus(io, s, st, *asJSON, nil)
	return nil
}
