package authgate

import (
	"errors"
	"fmt"
	"testing"
)

// sentinels lists every reason's sentinel with the name the binding expects
// the library to give it.
var sentinels = []struct {
	err  Reason
	name string
}{
	{ErrMalformed, "malformed"},
	{ErrUnsupportedTokenType, "unsupported_token_type"},
	{ErrUnsupportedAlg, "unsupported_alg"},
	{ErrAlgNotAllowed, "alg_not_allowed"},
	{ErrKeyNotFound, "key_not_found"},
	{ErrSignatureInvalid, "signature_invalid"},
	{ErrExpired, "expired"},
	{ErrNotYetValid, "not_yet_valid"},
	{ErrIssuerMismatch, "issuer_mismatch"},
	{ErrAudienceMismatch, "audience_mismatch"},
	{ErrMissingClaim, "missing_claim"},
	{ErrInvalidClaim, "invalid_claim"},
	{ErrTokenTooLarge, "token_too_large"},
	{ErrJWKSUnavailable, "jwks_unavailable"},
	{ErrUnsupportedHeader, "unsupported_header"},
	{ErrTypeMismatch, "type_mismatch"},
	{ErrSubjectNotAllowed, "subject_not_allowed"},
	{ErrLifetimeTooLong, "lifetime_too_long"},
	{ErrNonceMismatch, "nonce_mismatch"},
	{ErrSessionInvalid, "session_invalid"},
	{ErrSessionExpired, "session_expired"},
	{ErrStateMismatch, "state_mismatch"},
	{ErrFlowCookieMissing, "flow_cookie_missing"},
	{ErrAuthorizationError, "authorization_error"},
	{ErrTokenExchangeFailed, "token_exchange_failed"},
	{ErrRefreshFailed, "refresh_failed"},
	{ErrTokenMissing, "token_missing"},
	{ErrMultipleTokens, "multiple_tokens"},
	{ErrInsufficientClaims, "insufficient_claims"},
	{ErrNoMatchingRule, "no_matching_rule"},
	{ErrInvalidPath, "invalid_path"},
	{ErrLoginRequired, "login_required"},
	{ErrProviderUnavailable, "provider_unavailable"},
	{ErrInvalidMethod, "invalid_method"},
	{ErrRateLimited, "rate_limited"},
}

func TestEveryReasonOfTheLibraryHasItsSentinel(t *testing.T) {
	if err := checkLibrary(); err != nil {
		t.Fatal(err)
	}
	if got := ReasonNone.String(); got != "none" {
		t.Errorf("ReasonNone is %q in the library, want none", got)
	}
	for i, s := range sentinels {
		if int(s.err) != i+1 {
			t.Errorf("sentinel %s has number %d, want %d", s.name, int(s.err), i+1)
		}
		if got := s.err.String(); got != s.name {
			t.Errorf("reason %d: the library names it %q, the binding %q", int(s.err), got, s.name)
		}
	}
	// A reason the library gained after this binding was written would have
	// no sentinel.
	if next := Reason(len(sentinels) + 1); next.String() != "unknown" {
		t.Errorf("the library knows reason %d (%s), which has no sentinel", int(next), next)
	}
}

func TestRejectionMatchesItsReasonOnly(t *testing.T) {
	for _, s := range sentinels {
		err := fmt.Errorf("wrapped: %w", &Rejection{Reason: s.err, Detail: "why"})
		if !errors.Is(err, s.err) {
			t.Errorf("errors.Is(rejection %s, its sentinel) is false", s.name)
		}
		if !errors.Is(err, ErrRejected) {
			t.Errorf("errors.Is(rejection %s, ErrRejected) is false", s.name)
		}
		for _, other := range sentinels {
			if other.err != s.err && errors.Is(err, other.err) {
				t.Errorf("rejection %s matches %s", s.name, other.name)
			}
		}
		var rejection *Rejection
		if !errors.As(err, &rejection) || rejection.Reason != s.err || rejection.Detail != "why" {
			t.Errorf("errors.As(rejection %s) = %+v", s.name, rejection)
		}
		if want := "authgate: rejected: " + s.name + ": why"; rejection.Error() != want {
			t.Errorf("message %q, want %q", rejection.Error(), want)
		}
	}
}

func TestStatusErrorsMatchTheirStatus(t *testing.T) {
	statuses := []struct {
		status Status
		name   string
	}{
		{ErrRejected, "rejected"}, {ErrInvalidArgument, "invalid_argument"}, {ErrConfig, "invalid_config"},
		{ErrOutOfMemory, "out_of_memory"}, {ErrTimeout, "timeout"}, {ErrNotFound, "not_found"},
		{ErrWrongType, "wrong_type"}, {ErrInternal, "internal"}, {ErrCancelled, "cancelled"},
	}
	for _, s := range statuses {
		if got := s.status.String(); got != s.name {
			t.Errorf("status %d: the library names it %q, the binding %q", int(s.status), got, s.name)
		}
		err := fmt.Errorf("wrapped: %w", &Error{Status: s.status, Message: "m"})
		if !errors.Is(err, s.status) {
			t.Errorf("errors.Is(error %s, its status) is false", s.name)
		}
		if s.status != ErrConfig && errors.Is(err, ErrConfig) {
			t.Errorf("error %s matches ErrConfig", s.name)
		}
		if errors.Is(err, ErrExpired) {
			t.Errorf("error %s matches a reason", s.name)
		}
	}
}
