"""The C library, loaded once, with a prototype for every function used.

Every call goes through ``ctypes.CDLL``, which releases the GIL for the
duration of each foreign call: a thread waiting in the library (for keys,
for a token exchange) never stops the others from running Python.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, c_char_p, c_int, c_int64, c_size_t,
                    c_uint32, c_uint64, c_void_p)

# The C ABI this package was written for (AUTHGATE_VERSION_NUM of
# include/authgate/authgate.h). Until 1.0 every minor version may change
# signatures, so major.minor must match exactly (version_num // 100).
ABI_VERSION_NUM = 200
SONAME = "libauthgate.so.0.2"

# authgate_status values that the binding acts on (pinned forever by the ABI).
OK = 0
REJECTED = 1
INVALID_ARGUMENT = 2
INVALID_CONFIG = 3
OUT_OF_MEMORY = 4
TIMEOUT = 5
NOT_FOUND = 6
WRONG_TYPE = 7
INTERNAL = 8
PENDING = 9
CANCELLED = 10

# authgate_counter_set
COUNTERS_OUTCOMES = 0
COUNTERS_REASONS = 1
COUNTERS_ENGINE = 2
COUNTERS_VERIFIER = 3

# authgate_request_field
REQUEST_METHOD = 0
REQUEST_SCHEME = 1
REQUEST_AUTHORITY = 2
REQUEST_TARGET = 3
REQUEST_CLIENT_ADDRESS = 4

# authgate_header_list
HEADERS_REMOVE = 0
HEADERS_SET = 1
HEADERS_RESPONSE = 2


class LibraryNotFound(ImportError):
    """The shared library could not be loaded, or it is another ABI version."""


def _version_text(num: int) -> str:
    return "%d.%d.%d" % (num // 10000, num // 100 % 100, num % 100)


def _load() -> ctypes.CDLL:
    path = os.environ.get("AUTHGATE_LIBRARY")
    if path:
        where = "AUTHGATE_LIBRARY=%s" % path
        candidates = [path]
    else:
        where = "the system library path"
        # The versioned name first: it is the ABI this package speaks.
        candidates = [SONAME]
        found = ctypes.util.find_library("authgate")
        if found:
            candidates.append(found)
    errors = []
    for candidate in candidates:
        try:
            return ctypes.CDLL(candidate)
        except OSError as error:
            errors.append(str(error))
    raise LibraryNotFound(
        "authgate: cannot load the authgate C library from %s (%s); install it "
        "(cmake --install) or set AUTHGATE_LIBRARY to the path of %s"
        % (where, "; ".join(errors), SONAME))


lib = _load()

lib.authgate_version.argtypes = []
lib.authgate_version.restype = c_char_p
lib.authgate_version_num.argtypes = []
lib.authgate_version_num.restype = c_uint32

LIBRARY_VERSION_NUM: int = lib.authgate_version_num()
if LIBRARY_VERSION_NUM // 100 != ABI_VERSION_NUM // 100:
    raise LibraryNotFound(
        "authgate: the C library %s is version %s, but this package needs %s.x "
        "(the C ABI changes between minor versions before 1.0); install the "
        "matching library or point AUTHGATE_LIBRARY at it"
        % (lib._name, lib.authgate_version().decode(),
           _version_text(ABI_VERSION_NUM)[:-2]))

# Opaque handles travel as plain pointers.
handle = c_void_p
handle_p = POINTER(c_void_p)
status = c_int
size_p = POINTER(c_size_t)

DECISION_CALLBACK = CFUNCTYPE(None, c_int, c_void_p, c_void_p)


def _declare(name: str, restype, *argtypes) -> None:
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)


# Status, reasons, errors.
_declare("authgate_global_init", status, handle_p)
_declare("authgate_status_name", c_char_p, c_int)
_declare("authgate_reason_name", c_char_p, c_int)
_declare("authgate_error_status", c_int, handle)
_declare("authgate_error_reason", c_int, handle)
_declare("authgate_error_message", c_char_p, handle)
_declare("authgate_error_free", None, handle)
_declare("authgate_string_free", None, c_void_p)
_declare("authgate_counter_name", c_char_p, c_int, c_size_t)

# Verifier and results.
_declare("authgate_verifier_new", status, handle_p, c_char_p, c_size_t, handle_p)
_declare("authgate_verifier_free", None, handle)
_declare("authgate_verifier_warning_count", c_size_t, handle)
_declare("authgate_verifier_warning", c_char_p, handle, c_size_t)
_declare("authgate_verifier_key_count", c_size_t, handle)
_declare("authgate_verifier_verify", status, handle_p, handle, c_char_p, c_size_t, handle_p)
_declare("authgate_verifier_verify_at", status, handle_p, handle, c_char_p, c_size_t, c_int64,
         handle_p)
_declare("authgate_verifier_wait_ready", status, handle, c_uint32, handle_p)
_declare("authgate_verifier_refresh", status, handle, handle_p)
_declare("authgate_verifier_counters", status, POINTER(c_uint64), c_size_t, size_p, handle, c_int,
         handle_p)
_declare("authgate_result_free", None, handle)
_declare("authgate_result_claims_json", c_char_p, handle, size_p)

# Engine, requests, decisions.
_declare("authgate_engine_new", status, handle_p, c_char_p, c_size_t, handle_p)
_declare("authgate_engine_free", None, handle)
_declare("authgate_engine_ready", status, POINTER(c_int), handle, handle_p)
_declare("authgate_engine_wait_ready", status, handle, c_uint32, handle_p)
_declare("authgate_engine_warning_count", c_size_t, handle)
_declare("authgate_engine_warning", c_char_p, handle, c_size_t)
_declare("authgate_engine_counters", status, POINTER(c_uint64), c_size_t, size_p, handle, c_int,
         handle_p)
_declare("authgate_engine_key_error", status, handle_p, handle_p, handle, c_size_t, handle_p)
_declare("authgate_engine_evaluate", status, handle_p, handle, handle, handle_p)
_declare("authgate_engine_evaluate_async", status, handle_p, handle, handle, DECISION_CALLBACK,
         c_void_p, handle_p)
_declare("authgate_request_new", status, handle_p, handle_p)
_declare("authgate_request_free", None, handle)
_declare("authgate_request_set", status, handle, c_int, c_char_p, c_size_t, handle_p)
_declare("authgate_request_add_header", status, handle, c_char_p, c_size_t, c_char_p, c_size_t,
         handle_p)
_declare("authgate_decision_free", None, handle)
_declare("authgate_decision_action", c_int, handle)
_declare("authgate_decision_status", c_int, handle)
_declare("authgate_decision_upstream_target", c_void_p, handle, size_p)
_declare("authgate_decision_body", c_void_p, handle, size_p)
_declare("authgate_decision_claims_json", c_void_p, handle, size_p)
_declare("authgate_decision_header_count", c_size_t, handle, c_int)
_declare("authgate_decision_header", status, handle, c_int, c_size_t, POINTER(c_void_p), size_p,
         POINTER(c_void_p), size_p, handle_p)
_declare("authgate_decision_reason", c_int, handle)
_declare("authgate_decision_detail", c_void_p, handle, size_p)
_declare("authgate_decision_rule", c_char_p, handle)
_declare("authgate_decision_outcome", c_char_p, handle)

VERSION: str = lib.authgate_version().decode()
