"""Exceptions raised by authgate.

Two families, because the C ABI keeps them apart:

- ``Rejected`` and its subclasses: a token (or request) was judged and
  refused. This is a normal outcome, not a failure: one subclass per
  ``authgate_reason`` (``Expired``, ``SignatureInvalid``...), each with the
  stable ``reason`` name the CLI, the proxy's logs and the other bindings use.
- ``Error`` and its subclasses: the call itself could not be carried out
  (``ConfigError`` for an invalid configuration document, ``Timeout`` for a
  bounded wait that ran out).

Messages come from the library, which never puts a token, a secret or key
material in them.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from . import _lib


class Error(Exception):
    """A call into authgate could not be carried out.

    ``status`` is the stable name of the C status (``"invalid_argument"``,
    ``"internal"``...) and ``detail`` the library's message.
    """

    status: str = "unknown"

    def __init__(self, detail: str, status: Optional[str] = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status

    def __reduce__(self):
        return (type(self), (self.detail, self.status))


class ConfigError(Error, ValueError):
    """A configuration document was refused; the message names the key."""

    status = "invalid_config"


class Timeout(Error, TimeoutError):
    """A bounded wait (``wait_ready``) ran out."""

    status = "timeout"


class Rejected(Exception):
    """A token (or request) was judged and refused.

    ``reason`` is the stable snake_case name of the ``authgate_reason``
    (``"expired"``); ``detail`` says why, fit for a log (never the token).
    Catch ``Rejected`` for every reason, or a subclass for one.
    """

    reason: str = "unknown"
    #: The ``authgate_reason`` number (pinned by the C ABI).
    code: int = -1

    def __init__(self, detail: str, reason: Optional[str] = None,
                 code: Optional[int] = None) -> None:
        if reason is not None:
            self.reason = reason
        if code is not None:
            self.code = code
        super().__init__("%s: %s" % (self.reason, detail) if detail else self.reason)
        self.detail = detail

    def __reduce__(self):
        return (type(self), (self.detail, self.reason, self.code))


def _reason(code: int, name: str, doc: str) -> Type[Rejected]:
    # A real class per reason (picklable, documented, visible to type
    # checkers through the assignments below).
    class_name = "".join(part.capitalize() for part in name.split("_"))
    cls = type(class_name, (Rejected,), {"reason": name, "code": code, "__doc__": doc,
                                         "__module__": __name__})
    return cls


Malformed = _reason(1, "malformed", "Not a well-formed compact JWS/JWT: segments, base64url, JSON, header types.")
UnsupportedTokenType = _reason(2, "unsupported_token_type", "A JWE (five segments, or `enc` in the header): only JWS is accepted.")
UnsupportedAlg = _reason(3, "unsupported_alg", "The `alg` is not a JWS algorithm authgate implements (`none` never is).")
AlgNotAllowed = _reason(4, "alg_not_allowed", "The `alg` is implemented but not allowed by the configuration.")
KeyNotFound = _reason(5, "key_not_found", "No configured key fits the token's `kid` and `alg`.")
SignatureInvalid = _reason(6, "signature_invalid", "The signature does not verify with any candidate key.")
Expired = _reason(7, "expired", "`exp` lies in the past beyond the allowed clock skew.")
NotYetValid = _reason(8, "not_yet_valid", "`nbf` (or `iat`) lies in the future beyond the allowed clock skew.")
IssuerMismatch = _reason(9, "issuer_mismatch", "`iss` is not one of the configured issuers.")
AudienceMismatch = _reason(10, "audience_mismatch", "`aud` names none of the configured audiences.")
MissingClaim = _reason(11, "missing_claim", "A required claim is absent.")
InvalidClaim = _reason(12, "invalid_claim", "A claim has the wrong JSON type or an out-of-range value.")
TokenTooLarge = _reason(13, "token_too_large", "The token is longer than `max_token_size`.")
JwksUnavailable = _reason(14, "jwks_unavailable", "No keys could be obtained from the key source.")
UnsupportedHeader = _reason(15, "unsupported_header", "The header uses a JWS extension authgate does not implement (`crit`, `b64`).")
TypeMismatch = _reason(16, "type_mismatch", "The header `typ` is not the required one.")
SubjectNotAllowed = _reason(17, "subject_not_allowed", "`sub` is not in the configured allow-list.")
LifetimeTooLong = _reason(18, "lifetime_too_long", "`exp` - `iat` exceeds the configured maximum lifetime.")
NonceMismatch = _reason(19, "nonce_mismatch", "The ID token's `nonce` is missing or is not the one this login sent.")
SessionInvalid = _reason(20, "session_invalid", "The session cookie is missing a part, was altered, or was sealed for another name, host or key.")
SessionExpired = _reason(21, "session_expired", "The session passed its absolute lifetime or its idle timeout.")
StateMismatch = _reason(22, "state_mismatch", "The callback's `state` is missing, forged, expired, or belongs to no pending login.")
FlowCookieMissing = _reason(23, "flow_cookie_missing", "The callback arrived without the login's flow cookie.")
AuthorizationError = _reason(24, "authorization_error", "The provider answered the authorization request with an `error` (or with no `code`).")
TokenExchangeFailed = _reason(25, "token_exchange_failed", "The token endpoint refused the code, failed, or answered something unusable.")
RefreshFailed = _reason(26, "refresh_failed", "The refresh at the token endpoint failed, or its ID token changed identity.")
TokenMissing = _reason(27, "token_missing", "A Bearer route received no token.")
MultipleTokens = _reason(28, "multiple_tokens", "More than one token was presented (RFC 6750 section 2).")
InsufficientClaims = _reason(29, "insufficient_claims", "The identity is valid but a claim condition of the route is not met.")
NoMatchingRule = _reason(30, "no_matching_rule", "No route rule matches the request: denied (fail closed).")
InvalidPath = _reason(31, "invalid_path", "The request path is malformed (an encoded '/', '\\\\' or NUL, bad percent-encoding, or it climbs above the root).")
LoginRequired = _reason(32, "login_required", "The route needs a browser session and the request has none.")
ProviderUnavailable = _reason(33, "provider_unavailable", "The identity provider's metadata (discovery) is not available yet.")
InvalidMethod = _reason(34, "invalid_method", "The request method has a lower-case letter or is not an HTTP token.")
RateLimited = _reason(35, "rate_limited", "Too many login callbacks from the client's address.")

#: Every ``Rejected`` subclass by its ``authgate_reason`` number.
REASON_CLASSES: Dict[int, Type[Rejected]] = {
    cls.code: cls for cls in (
        Malformed, UnsupportedTokenType, UnsupportedAlg, AlgNotAllowed, KeyNotFound,
        SignatureInvalid, Expired, NotYetValid, IssuerMismatch, AudienceMismatch, MissingClaim,
        InvalidClaim, TokenTooLarge, JwksUnavailable, UnsupportedHeader, TypeMismatch,
        SubjectNotAllowed, LifetimeTooLong, NonceMismatch, SessionInvalid, SessionExpired,
        StateMismatch, FlowCookieMissing, AuthorizationError, TokenExchangeFailed, RefreshFailed,
        TokenMissing, MultipleTokens, InsufficientClaims, NoMatchingRule, InvalidPath,
        LoginRequired, ProviderUnavailable, InvalidMethod, RateLimited)
}


def rejected(code: int, detail: str) -> Rejected:
    """The exception for reason number ``code``; a reason appended to the C
    ABI after this package was written becomes a plain ``Rejected`` that
    still carries the library's name for it."""
    cls = REASON_CLASSES.get(code)
    if cls is not None:
        return cls(detail)
    return Rejected(detail, _lib.lib.authgate_reason_name(code).decode(), code)


_ERROR_CLASSES: Dict[int, Type[Error]] = {_lib.INVALID_CONFIG: ConfigError, _lib.TIMEOUT: Timeout}


def take_error(error_pointer) -> Exception:
    """Turns an ``authgate_error *`` into its exception and frees it."""
    lib = _lib.lib
    try:
        status_code = lib.authgate_error_status(error_pointer)
        message = (lib.authgate_error_message(error_pointer) or b"").decode("utf-8", "replace")
        if status_code == _lib.REJECTED:
            return rejected(lib.authgate_error_reason(error_pointer), message)
        status_name = lib.authgate_status_name(status_code).decode()
    finally:
        lib.authgate_error_free(error_pointer)
    cls = _ERROR_CLASSES.get(status_code, Error)
    if status_code == _lib.OUT_OF_MEMORY:
        return MemoryError(message)
    return cls(message, status_name)


def failure(status_code: int, error_pointer) -> Exception:
    """The exception for a call that returned ``status_code`` with the
    (possibly NULL) error ``error_pointer``, which it frees."""
    if error_pointer:
        return take_error(error_pointer)
    name = _lib.lib.authgate_status_name(status_code).decode()
    return Error("authgate call failed: %s" % name, name)

__all__ = ["Error", "ConfigError", "Timeout", "Rejected", "REASON_CLASSES"] + [
    cls.__name__ for cls in REASON_CLASSES.values()]
