package providers

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is a problem with one field (or, with Field "", the whole
// request). A Warning does not stop a launch: the operator confirms it.
type FieldError struct {
	Field   string
	Message string
	Warning bool
	// Code names a warning stably (a desk profile lists the codes it has
	// accepted, so they are not asked again); "" for refusals.
	Code string
}

// Warn builds a warning with its stable code.
func Warn(field, code, msg string) FieldError {
	return FieldError{Field: field, Message: msg, Warning: true, Code: code}
}

func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Problems splits field errors into refusals and warnings.
func Problems(errs []FieldError) (refusals, warnings []FieldError) {
	for _, e := range errs {
		if e.Warning {
			warnings = append(warnings, e)
		} else {
			refusals = append(refusals, e)
		}
	}
	return
}

// ErrorKind classifies a failed launch or status call; the CLI's exit code
// and the console's advice follow from it.
type ErrorKind string

const (
	// KindInvalid: the input is wrong; nothing was sent.
	KindInvalid ErrorKind = "invalid"
	// KindRejected: the provider answered and refused (code, message, action).
	KindRejected ErrorKind = "rejected"
	// KindUnknown: the request may have been processed (timeout, 5xx, DWS
	// status U); retrying with the same idempotency key is safe.
	KindUnknown ErrorKind = "unknown"
	// KindTransport: the request could not be sent (connection refused, DNS,
	// TLS); nothing was processed.
	KindTransport ErrorKind = "transport"
)

// Error is the typed error every provider call returns.
type Error struct {
	Kind       ErrorKind
	Field      string // for KindInvalid
	Code       string // the provider's code (identifier, Code, resultCode)
	Message    string // what happened, in plain words (already sanitized)
	Action     string // what the operator should do next
	HTTPStatus int    // 0 when no response
	Fields     []FieldError
	Err        error // underlying cause, if any
	// Exchanges are the raw answers that led here, masked, for display
	// only (WithExchanges); never stored.
	Exchanges []Exchange `json:"-"`
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	} else if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Message == "" && e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// AsError extracts a *Error; a plain error becomes KindTransport.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return &Error{Kind: KindTransport, Message: Sanitize(err.Error()), Err: err}
}

// Invalid builds a KindInvalid error from field errors.
func Invalid(fields []FieldError) *Error {
	msgs := make([]string, len(fields))
	for i, f := range fields {
		msgs[i] = f.Error()
	}
	msg := strings.Join(msgs, "; ")
	if len(fields) == 1 {
		msg = fields[0].Message // the field is named in Field
	}
	e := &Error{Kind: KindInvalid, Message: msg, Fields: fields,
		Action: "correct the fields named and try again; nothing was sent"}
	if len(fields) > 0 {
		e.Field = fields[0].Field
	}
	return e
}

// Rejected builds a KindRejected error.
func Rejected(status int, code, msg, action string) *Error {
	return &Error{Kind: KindRejected, HTTPStatus: status, Code: code, Message: Sanitize(msg), Action: action}
}

// Unknown builds a KindUnknown error.
func Unknown(status int, code, msg string, cause error) *Error {
	return &Error{Kind: KindUnknown, HTTPStatus: status, Code: code, Message: Sanitize(msg), Err: cause,
		Action: "the provider may have processed the request; check its status or retry the same request (same idempotency key)"}
}

// Errorf is a shorthand for a transport-kind error with a formatted message.
func Errorf(format string, a ...any) *Error {
	return &Error{Kind: KindTransport, Message: fmt.Sprintf(format, a...)}
}
