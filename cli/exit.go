package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/kycdesk/kycdesk/providers"
)

// Exit codes of the command-line contract.
const (
	exitOK      = 0
	exitOther   = 1
	exitInvalid = 2
	exitRefused = 3
	exitUnknown = 4
	// exitInterrupted: the console was left with ctrl+c before it was
	// drawn, as a shell reports a process ended by SIGINT (what it was
	// when the store opened before the console took the terminal).
	exitInterrupted = 130
)

// failure is a command's error as the contract reports it: as the JSON
// error object when --json was given, with a note printed after it.
type failure struct {
	err    error
	asJSON bool
	note   string
	// wire is the provider's raw answer behind err (launch --verbose).
	wire *providers.Exchange
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// fail wraps err for reporting (asJSON: the --json error object).
func fail(err error, asJSON bool) error { return &failure{err: err, asJSON: asJSON} }

// usage is invalid input on the command line: exit 2, nothing sent.
func usage(asJSON bool, field, msg string) error {
	return fail(providers.Invalid([]providers.FieldError{{Field: field, Message: msg}}), asJSON)
}

// exitCode is an exit code whose output is already printed.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit %d", int(c)) }

// ExitCode maps an error to the contract's exit code: 0 done; 2 invalid
// input; 3 the provider refused; 4 outcome unknown; 1 anything else.
func ExitCode(err error) int {
	var code exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	}
	switch providers.AsError(err).Kind {
	case providers.KindInvalid:
		return exitInvalid
	case providers.KindRejected:
		return exitRefused
	case providers.KindUnknown:
		return exitUnknown
	}
	return exitOther
}

// jsonError is the --json failure object of the CLI contract.
type jsonError struct {
	Error struct {
		Kind    string `json:"kind"`
		Field   string `json:"field,omitempty"`
		Code    string `json:"code,omitempty"`
		Message string `json:"message"`
		Action  string `json:"action,omitempty"`
	} `json:"error"`
	Response *providers.Exchange `json:"response,omitempty"` // --verbose
}

// report prints err as the contract says (one line per problem on
// stderr, NAME: message for invalid input, or the JSON error object) and
// returns the exit code: the one place errors become exit codes.
func report(io *IO, err error) int {
	if err == nil {
		return exitOK
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	var help helpRequested
	if errors.As(err, &help) {
		printHelp(io.Out, help.fs)
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(io.Out, usageText)
		return exitOK
	}
	f := &failure{err: err}
	errors.As(err, &f)
	pe := providers.AsError(f.err)
	if f.asJSON {
		var j jsonError
		j.Error.Kind, j.Error.Field, j.Error.Code = string(pe.Kind), pe.Field, pe.Code
		j.Error.Message, j.Error.Action = providers.Sanitize(pe.Message), providers.Sanitize(pe.Action)
		if j.Error.Message == "" && pe.Err != nil {
			j.Error.Message = providers.Sanitize(pe.Err.Error())
		}
		j.Response = f.wire
		printJSON(io, j)
	}
	switch {
	case pe.Kind == providers.KindInvalid && len(pe.Fields) > 0:
		for _, fe := range pe.Fields {
			fmt.Fprintln(io.Err, providers.SanitizeLine(fe.Error()))
		}
	default:
		fmt.Fprintln(io.Err, "kycdesk:", providers.SanitizeLine(pe.Error()))
		if pe.Action != "" {
			fmt.Fprintln(io.Err, "what to do:", providers.SanitizeLine(pe.Action))
		}
	}
	if f.note != "" {
		fmt.Fprintln(io.Err, f.note)
	}
	if f.wire != nil && !f.asJSON {
		printWire(io, []providers.Exchange{*f.wire})
	}
	return ExitCode(pe)
}

func printJSON(io *IO, v any) {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
