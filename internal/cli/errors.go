package cli

import (
	"errors"
	"fmt"

	"github.com/azmsi/azmsi/arm"
	"github.com/azmsi/azmsi/internal/azhttp"
)

// Exit codes of the azmsi command.
const (
	ExitOK          = 0
	ExitError       = 1 // anything else: HTTP errors, 403s, I/O
	ExitUsage       = 2 // bad flags, bad IDs, placeholder values
	ExitUnavailable = 3 // no managed-identity endpoint here (identity.ErrUnavailable)
)

// FlagError is a usage error: the command line itself is wrong. It maps to
// exit code 2.
type FlagError struct{ err error }

func (e *FlagError) Error() string { return e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

// flagErrorf formats a usage error; string arguments (usually the user's
// input) are clipped, so that a huge value is not echoed back whole.
func flagErrorf(format string, args ...any) error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clip(s)
		}
	}
	return &FlagError{err: fmt.Errorf(format, args...)}
}

// maxEcho is the most of one input value an error message repeats;
// maxMessage the longest message printed.
const (
	maxEcho    = 200
	maxMessage = 4096
)

// clip shortens s to maxEcho bytes, saying how long it was.
func clip(s string) string { return clipTo(s, maxEcho) }

// clipTo is azhttp.Clip saying how long s was.
func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s (%d bytes)", azhttp.Clip(s, n), len(s))
}

// asFlagError turns any error into a usage error, keeping its chain.
func asFlagError(err error) error {
	if err == nil {
		return nil
	}
	var fe *FlagError
	if errors.As(err, &fe) {
		return err
	}
	return &FlagError{err: err}
}

// hintError adds a second line, "hint: …", to the printed error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// armHint prints an *arm.ResponseError as every azmsi error shows: its
// summary as the message and its advice on the hint line, naming the azmsi
// command that lists what the identity can see. It returns msg unchanged
// and no hint for other errors, and for an ARM error wrapped in other text
// or joined with other errors, whose message already carries the advice.
func armHint(err error, msg string) (string, string) {
	var re *arm.ResponseError
	if !errors.As(err, &re) {
		return msg, ""
	}
	hint := re.Hint
	if err == error(re) {
		msg = re.Summary()
	} else {
		hint = ""
	}
	see := ""
	switch re.Code {
	case "ResourceGroupNotFound":
		see = "'azmsi groups list' shows the groups the identity can see"
	case "SubscriptionNotFound", "InvalidSubscriptionId":
		see = "'azmsi subscriptions list' shows the subscriptions the identity can see"
	case "ResourceNotFound", "ParentResourceNotFound":
		see = "'azmsi resources list' shows the resources the identity can see"
	}
	switch {
	case hint == "":
		return msg, see
	case see == "":
		return msg, hint
	}
	return msg, hint + "; " + see
}

// silentError has already been reported; Main prints nothing more.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
