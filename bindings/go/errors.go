package authgate

/*
#include <authgate/authgate.h>
*/
import "C"

import "errors"

// Reason is why a token or a request was refused (authgate_reason). Every
// reason is also an error value, so that
//
//	errors.Is(err, authgate.ErrExpired)
//
// holds for a rejection with that reason. The numbers are the C ABI's, pinned
// forever; the names (String) are the library's authgate_reason_name, the
// ones the CLI, the sidecar's logs and the other bindings use.
type Reason int

// ReasonNone is the reason of an allowed request.
const ReasonNone Reason = 0

// The reasons, in the C ABI's order (see authgate.h for each one's meaning).
const (
	ErrMalformed            Reason = 1
	ErrUnsupportedTokenType Reason = 2
	ErrUnsupportedAlg       Reason = 3
	ErrAlgNotAllowed        Reason = 4
	ErrKeyNotFound          Reason = 5
	ErrSignatureInvalid     Reason = 6
	ErrExpired              Reason = 7
	ErrNotYetValid          Reason = 8
	ErrIssuerMismatch       Reason = 9
	ErrAudienceMismatch     Reason = 10
	ErrMissingClaim         Reason = 11
	ErrInvalidClaim         Reason = 12
	ErrTokenTooLarge        Reason = 13
	ErrJWKSUnavailable      Reason = 14
	ErrUnsupportedHeader    Reason = 15
	ErrTypeMismatch         Reason = 16
	ErrSubjectNotAllowed    Reason = 17
	ErrLifetimeTooLong      Reason = 18
	ErrNonceMismatch        Reason = 19
	ErrSessionInvalid       Reason = 20
	ErrSessionExpired       Reason = 21
	ErrStateMismatch        Reason = 22
	ErrFlowCookieMissing    Reason = 23
	ErrAuthorizationError   Reason = 24
	ErrTokenExchangeFailed  Reason = 25
	ErrRefreshFailed        Reason = 26
	ErrTokenMissing         Reason = 27
	ErrMultipleTokens       Reason = 28
	ErrInsufficientClaims   Reason = 29
	ErrNoMatchingRule       Reason = 30
	ErrInvalidPath          Reason = 31
	ErrLoginRequired        Reason = 32
	ErrProviderUnavailable  Reason = 33
	ErrInvalidMethod        Reason = 34
	ErrRateLimited          Reason = 35
)

// String returns the reason's stable snake_case name ("expired"), or
// "unknown" for a number the library does not know.
func (r Reason) String() string {
	return C.GoString(C.authgate_reason_name(C.authgate_reason(r)))
}

func (r Reason) Error() string { return "authgate: " + r.String() }

// Rejection is the error of a token (or request) judged and refused: a normal
// outcome, not a failure of the call. errors.Is matches its Reason and
// ErrRejected; errors.As gives the Detail.
type Rejection struct {
	Reason Reason
	// Detail says why, for logs: never a token, a secret or key material.
	Detail string
}

func (r *Rejection) Error() string {
	if r.Detail == "" {
		return "authgate: rejected: " + r.Reason.String()
	}
	return "authgate: rejected: " + r.Reason.String() + ": " + r.Detail
}

// Is makes errors.Is(err, ErrExpired) and errors.Is(err, ErrRejected) hold.
func (r *Rejection) Is(target error) bool {
	return target == r.Reason || target == ErrRejected
}

// Status is the outcome of a C ABI call (authgate_status). The failure
// statuses are error values for errors.Is, like the reasons.
type Status int

// The statuses that reach Go callers as errors. AUTHGATE_OK never does, and
// AUTHGATE_PENDING is handled inside the binding.
const (
	// ErrRejected matches every *Rejection.
	ErrRejected        Status = 1
	ErrInvalidArgument Status = 2
	// ErrConfig: a configuration document was refused; the message names the key.
	ErrConfig      Status = 3
	ErrOutOfMemory Status = 4
	ErrTimeout     Status = 5
	ErrNotFound    Status = 6
	ErrWrongType   Status = 7
	ErrInternal    Status = 8
	// ErrCancelled: the handle was closed before an asynchronous outcome was known.
	ErrCancelled Status = 10
)

// String returns the status's stable snake_case name ("invalid_config").
func (s Status) String() string {
	return C.GoString(C.authgate_status_name(C.authgate_status(s)))
}

func (s Status) Error() string { return "authgate: " + s.String() }

// Error is a call that could not be carried out (an invalid configuration, a
// timeout, a bug). errors.Is matches its Status (errors.Is(err, ErrConfig)).
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "authgate: " + e.Status.String()
	}
	return "authgate: " + e.Status.String() + ": " + e.Message
}

// Is makes errors.Is(err, ErrConfig) hold for an *Error with that status.
func (e *Error) Is(target error) bool { return target == e.Status }

// ErrClosed is returned by a call on a closed Verifier or Engine.
var ErrClosed = errors.New("authgate: closed")

// newError converts a failed call's status and error into a Go error and
// frees cerr (which may be NULL).
func newError(status C.authgate_status, cerr *C.authgate_error) error {
	var message string
	reason := ReasonNone
	if cerr != nil {
		message = C.GoString(C.authgate_error_message(cerr))
		reason = Reason(C.authgate_error_reason(cerr))
		C.authgate_error_free(cerr)
	}
	if status == C.AUTHGATE_REJECTED {
		return &Rejection{Reason: reason, Detail: message}
	}
	return &Error{Status: Status(status), Message: message}
}
