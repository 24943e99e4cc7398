/* Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
 *
 * authgate.h: the C ABI of authgate, the one stable contract between the core
 * and every host (the authgate proxy, C/C++ programs, Python, Go).
 *
 *   authgate_verifier *verifier = NULL;
 *   authgate_error *error = NULL;
 *   if (authgate_verifier_new(&verifier, config, strlen(config), &error) != AUTHGATE_OK) {
 *     fprintf(stderr, "config: %s\n", authgate_error_message(error));
 *     authgate_error_free(error);
 *     return 1;
 *   }
 *   authgate_result *result = NULL;
 *   switch (authgate_verifier_verify(&result, verifier, token, token_len, &error)) {
 *     case AUTHGATE_OK:        use(authgate_result_claims_json(result, NULL)); break;
 *     case AUTHGATE_REJECTED:  log(authgate_reason_name(authgate_error_reason(error))); break;
 *     default:                 fail(authgate_error_message(error)); break;
 *   }
 *   authgate_result_free(result);
 *   authgate_error_free(error);
 *   authgate_verifier_free(verifier);
 *
 * Conventions (the whole header follows them):
 * - Every fallible call returns an authgate_status; AUTHGATE_OK is 0. Details
 *   come through an optional trailing `authgate_error **error`: pass NULL to
 *   ignore them; otherwise *error is set to a new error the caller frees with
 *   authgate_error_free() whenever the call does not return AUTHGATE_OK, and to
 *   NULL when it does. No thread-local error state exists.
 * - Outputs come first, then the handle, then the inputs. Text is UTF-8 as
 *   (const char *, size_t) and need not be NUL-terminated.
 * - Every returned pointer is either borrowed (valid until the named parent is
 *   freed) or owned (freed with the named *_free function); never free() it.
 * - Every *_free function accepts NULL and does nothing.
 * - No exception, abort or signal crosses this boundary because of input.
 * - Numbers of enums are pinned forever; new values are only appended.
 * - Callbacks (asynchronous evaluations and verifications) run exactly once,
 *   on a thread of the library's own, one per handle, in the order their
 *   outcomes arrived: never inside the call that started them, never under
 *   a lock of the library, never inside a *_free function. They may block,
 *   take the host's own lock (Python's GIL), call the library again, or free
 *   the handle. A *_free function never waits for a callback: what is still
 *   pending gets AUTHGATE_CANCELLED afterwards, on that thread.
 * - fork(): the library's threads (HTTP, timers, callbacks) are started
 *   again in the child (pthread_atfork), so a process that forks after
 *   creating its handles (gunicorn, uWSGI) keeps working in every worker. The
 *   handler waits for the library's HTTP and timer threads to finish what
 *   they are doing (never for a callback). Fork while no other thread of the
 *   host is inside a library call, as pre-forking servers do: a lock such a
 *   thread held would stay held in the child.
 */

#ifndef AUTHGATE_AUTHGATE_H_
#define AUTHGATE_AUTHGATE_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define AUTHGATE_API __declspec(dllimport)
#elif defined(__GNUC__)
#define AUTHGATE_API __attribute__((visibility("default")))
#else
#define AUTHGATE_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* AUTHGATE_VERSION_NUM is the version of this header as
 * major * 10000 + minor * 100 + patch. Compare it with authgate_version_num()
 * to detect a library older than the header. */
#define AUTHGATE_VERSION_MAJOR 0
#define AUTHGATE_VERSION_MINOR 2
#define AUTHGATE_VERSION_PATCH 0
#define AUTHGATE_VERSION_NUM 200

/* authgate_version returns the library version as text ("0.2.0"). The string
 * is static: never free it. */
AUTHGATE_API const char *authgate_version(void);

/* authgate_version_num returns the library version as AUTHGATE_VERSION_NUM
 * encodes it. */
AUTHGATE_API uint32_t authgate_version_num(void);

/* Binary compatibility: until 1.0, each minor version may change signatures
 * (the shared library's SONAME is libauthgate.so.MAJOR.MINOR); from 1.0 on,
 * only a major version does. A host loading the library at run time (the
 * Python and Go bindings) compares authgate_version_num() / 100 with the
 * AUTHGATE_VERSION_NUM / 100 it was written for and refuses another one. */

/* ------------------------------------------------------------------------ */
/* Status and reasons                                                        */
/* ------------------------------------------------------------------------ */

/* authgate_status is the outcome of a call. Only AUTHGATE_OK and
 * AUTHGATE_REJECTED are normal outcomes of a verification; the others mean
 * the call itself could not be carried out. */
typedef enum authgate_status {
  AUTHGATE_OK = 0,
  /* The token (or request) was judged and refused: see authgate_error_reason(). */
  AUTHGATE_REJECTED = 1,
  /* An argument was NULL where it must not be, or otherwise unusable. */
  AUTHGATE_INVALID_ARGUMENT = 2,
  /* A configuration document was invalid; the message names the key. */
  AUTHGATE_INVALID_CONFIG = 3,
  AUTHGATE_OUT_OF_MEMORY = 4,
  /* A bounded wait ran out. */
  AUTHGATE_TIMEOUT = 5,
  /* A looked-up item (such as a claim) does not exist. */
  AUTHGATE_NOT_FOUND = 6,
  /* A looked-up item exists but has another type than the one asked for. */
  AUTHGATE_WRONG_TYPE = 7,
  /* A bug in authgate; the message says where. */
  AUTHGATE_INTERNAL = 8,
  /* The outcome will be delivered later through a callback. */
  AUTHGATE_PENDING = 9,
  /* The handle was freed before an asynchronous outcome was known. The
   * callback still runs, once, with this status. */
  AUTHGATE_CANCELLED = 10
} authgate_status;

/* authgate_status_name returns the stable snake_case name of `status` ("ok",
 * "rejected", ...), or "unknown". The string is static. */
AUTHGATE_API const char *authgate_status_name(authgate_status status);

/* authgate_reason is why a token (or a request) was refused. The same numbers and names are
 * used by the CLI, the bindings and the proxy's logs. */
typedef enum authgate_reason {
  AUTHGATE_REASON_NONE = 0,
  /* Not a well-formed compact JWS/JWT: segments, base64url, JSON, header types. */
  AUTHGATE_REASON_MALFORMED = 1,
  /* A JWE (five segments, or `enc` in the header): only JWS is accepted. */
  AUTHGATE_REASON_UNSUPPORTED_TOKEN_TYPE = 2,
  /* The `alg` is not a JWS algorithm authgate implements (`none` never is). */
  AUTHGATE_REASON_UNSUPPORTED_ALG = 3,
  /* The `alg` is implemented but not allowed by the configuration. */
  AUTHGATE_REASON_ALG_NOT_ALLOWED = 4,
  /* No configured key fits the token's `kid` and `alg`. */
  AUTHGATE_REASON_KEY_NOT_FOUND = 5,
  AUTHGATE_REASON_SIGNATURE_INVALID = 6,
  AUTHGATE_REASON_EXPIRED = 7,
  /* `nbf` (or `iat`) lies in the future beyond the allowed clock skew. */
  AUTHGATE_REASON_NOT_YET_VALID = 8,
  AUTHGATE_REASON_ISSUER_MISMATCH = 9,
  AUTHGATE_REASON_AUDIENCE_MISMATCH = 10,
  AUTHGATE_REASON_MISSING_CLAIM = 11,
  /* A claim has the wrong JSON type or an out-of-range value. */
  AUTHGATE_REASON_INVALID_CLAIM = 12,
  AUTHGATE_REASON_TOKEN_TOO_LARGE = 13,
  /* No keys could be obtained from the key source. */
  AUTHGATE_REASON_JWKS_UNAVAILABLE = 14,
  /* The header uses a JWS extension authgate does not implement (`crit`, `b64`). */
  AUTHGATE_REASON_UNSUPPORTED_HEADER = 15,
  /* The header `typ` is not the required one. */
  AUTHGATE_REASON_TYPE_MISMATCH = 16,
  /* `sub` is not in the configured allow-list. */
  AUTHGATE_REASON_SUBJECT_NOT_ALLOWED = 17,
  /* `exp` - `iat` exceeds the configured maximum lifetime. */
  AUTHGATE_REASON_LIFETIME_TOO_LONG = 18,
  /* The ID token's `nonce` is missing or is not the one this login sent. */
  AUTHGATE_REASON_NONCE_MISMATCH = 19,
  /* The session cookie is missing a part, was altered, or was sealed for another
   * name, host or key. */
  AUTHGATE_REASON_SESSION_INVALID = 20,
  /* The session passed its absolute lifetime or its idle timeout. */
  AUTHGATE_REASON_SESSION_EXPIRED = 21,
  /* The callback's `state` is missing, forged, expired, or belongs to no pending login. */
  AUTHGATE_REASON_STATE_MISMATCH = 22,
  /* The callback arrived without the login's flow cookie (another browser, or the flow expired). */
  AUTHGATE_REASON_FLOW_COOKIE_MISSING = 23,
  /* The provider answered the authorization request with an `error` (or with no `code`). */
  AUTHGATE_REASON_AUTHORIZATION_ERROR = 24,
  /* The token endpoint refused the code, failed, or answered something unusable. */
  AUTHGATE_REASON_TOKEN_EXCHANGE_FAILED = 25,
  /* The refresh at the token endpoint failed, or its ID token changed identity. */
  AUTHGATE_REASON_REFRESH_FAILED = 26,
  /* A Bearer route received no token. */
  AUTHGATE_REASON_TOKEN_MISSING = 27,
  /* More than one token was presented (RFC 6750 section 2: invalid_request). */
  AUTHGATE_REASON_MULTIPLE_TOKENS = 28,
  /* The identity is valid but a claim condition of the route is not met. */
  AUTHGATE_REASON_INSUFFICIENT_CLAIMS = 29,
  /* No route rule matches the request: denied (fail closed). */
  AUTHGATE_REASON_NO_MATCHING_RULE = 30,
  /* The request path is malformed: an encoded '/', '\\' or NUL, bad
   * percent-encoding, or it climbs above the root. */
  AUTHGATE_REASON_INVALID_PATH = 31,
  /* The route needs a browser session and the request has none. */
  AUTHGATE_REASON_LOGIN_REQUIRED = 32,
  /* The identity provider's metadata (discovery) is not available yet. */
  AUTHGATE_REASON_PROVIDER_UNAVAILABLE = 33,
  /* The request method has a lower-case letter or is not an HTTP token
   * (RFC 9110 9.1): refused before any rule is looked at. */
  AUTHGATE_REASON_INVALID_METHOD = 34,
  /* Too many login callbacks from the client's address: answered 429 with
   * Retry-After, before any request to the token endpoint. */
  AUTHGATE_REASON_RATE_LIMITED = 35
} authgate_reason;

/* authgate_reason_name returns the stable snake_case name of `reason`
 * ("expired", "signature_invalid", ...), or "unknown". The string is static. */
AUTHGATE_API const char *authgate_reason_name(authgate_reason reason);

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/* authgate_error describes why a call did not return AUTHGATE_OK. It is
 * immutable: reading it from several threads is safe. */
typedef struct authgate_error authgate_error;

/* authgate_error_status returns the status the failed call returned. */
AUTHGATE_API authgate_status authgate_error_status(const authgate_error *error);

/* authgate_error_reason returns the rejection reason for AUTHGATE_REJECTED,
 * and AUTHGATE_REASON_NONE for every other status. */
AUTHGATE_API authgate_reason authgate_error_reason(const authgate_error *error);

/* authgate_error_message returns a NUL-terminated human-readable detail. It is
 * borrowed from `error` and valid until authgate_error_free(error). It never
 * contains a token, a secret or key material. */
AUTHGATE_API const char *authgate_error_message(const authgate_error *error);

/* authgate_error_free releases `error`. NULL is a no-op. */
AUTHGATE_API void authgate_error_free(authgate_error *error);

/* authgate_global_init runs the library's one-time global set-up (libcurl's
 * curl_global_init and OpenSSL's initialisation) now, on the calling thread.
 * Optional: the library initialises itself on first use when it is never
 * called. A host that must control when that happens (curl_global_init is
 * not thread-safe with some TLS back-ends, or the host initialises libcurl
 * itself) calls it once from its main thread before starting other threads.
 * Idempotent and thread-safe: later calls return the first call's status. */
AUTHGATE_API authgate_status authgate_global_init(authgate_error **error);

/* ------------------------------------------------------------------------ */
/* JWT verifier                                                              */
/* ------------------------------------------------------------------------ */

/* authgate_verifier checks compact JWS/JWT tokens against configured keys and
 * claim rules. Thread-safety: after authgate_verifier_new() returns, every
 * function taking a verifier may be called from any number of threads at once,
 * except authgate_verifier_free(), which must not run concurrently with any
 * other use. */
typedef struct authgate_verifier authgate_verifier;

/* authgate_result holds a verified token's header and claims. It owns its data
 * and is immutable: reading it from several threads is safe. */
typedef struct authgate_result authgate_result;

/* authgate_verifier_new creates a verifier from a JSON configuration document
 * (`config`, `config_len` bytes; see docs/config.md, "verifier"):
 *
 *   {
 *     one key source:
 *     "jwks": <JWKS object | JWK object | string holding JWKS/JWK JSON or PEM>,
 *     "jwks_uri": "https://idp.example/jwks",      (fetched and kept fresh)
 *     "discovery": "https://idp.example",          (OIDC discovery of jwks_uri)
 *     or several: "providers": [{"issuer": "...", "jwks_uri" | "jwks" | "discovery": true}],
 *     "jwks_cache": {"cache_duration": "10m", "refetch_interval": "30s", "max_stale": "24h", ...},
 *     "http": {"timeout": "10s", "connect_timeout": "5s", "ca_file": "...", ...},
 *     "async_timeout": "5s",
 *     "issuers": ["https://idp.example"],          (optional: iss not checked)
 *     "audiences": ["api://orders"],               (optional: aud not checked)
 *     "algorithms": ["RS256", "ES256"],            (optional: what the keys allow)
 *     "clock_skew": "60s",
 *     "require_exp": true,
 *     "max_lifetime": "24h",                       (optional)
 *     "required_claims": ["sub"],
 *     "typ": "at+jwt",                             (optional)
 *     "subjects": ["svc-a"],                       (optional allow-list)
 *     "max_token_size": 16384,
 *     "max_key_candidates": 4,
 *     "token_cache": {"max_entries": 10000, "max_bytes": 16777216}  (off by default)
 *   }
 *
 * On success *out_verifier owns a new verifier, freed with
 * authgate_verifier_free(). On failure *out_verifier is NULL and the status is
 * AUTHGATE_INVALID_CONFIG (the message names the offending key) or
 * AUTHGATE_INVALID_ARGUMENT. Keys that cannot be used (too weak, malformed,
 * sharing a `kid`) are skipped and listed by authgate_verifier_warning(); a
 * configuration with no usable key at all is AUTHGATE_INVALID_CONFIG. */
AUTHGATE_API authgate_status authgate_verifier_new(authgate_verifier **out_verifier,
                                                   const char *config, size_t config_len,
                                                   authgate_error **error);

/* authgate_verifier_free releases `verifier`. NULL is a no-op. Results
 * obtained from it stay valid: they own their data. It never waits for a
 * callback nor runs one: each verification still pending gets its callback
 * with AUTHGATE_CANCELLED afterwards, from the library's callback thread. */
AUTHGATE_API void authgate_verifier_free(authgate_verifier *verifier);

/* authgate_verifier_warning_count returns how many configuration warnings
 * (skipped keys and why) the verifier recorded at creation. */
AUTHGATE_API size_t authgate_verifier_warning_count(const authgate_verifier *verifier);

/* authgate_verifier_warning returns warning number `index` (from 0) as
 * NUL-terminated text borrowed from `verifier`, or NULL when `index` is out of
 * range. */
AUTHGATE_API const char *authgate_verifier_warning(const authgate_verifier *verifier,
                                                   size_t index);

/* authgate_verifier_key_count returns the number of keys the verifier holds. */
AUTHGATE_API size_t authgate_verifier_key_count(const authgate_verifier *verifier);

/* authgate_verifier_verify checks `token` (`token_len` bytes, compact JWS,
 * without surrounding whitespace) at the current system time.
 *
 * Returns AUTHGATE_OK when the token is valid; then, if `out_result` is not
 * NULL, *out_result owns a new result freed with authgate_result_free().
 * Returns AUTHGATE_REJECTED when the token was judged invalid; the reason and
 * a detail are in *error. Any other status is a failure of the call itself.
 * `out_result` may be NULL when only the verdict is wanted: then nothing is
 * allocated for a valid token. When the call does not return AUTHGATE_OK,
 * *out_result is NULL. Thread-safe. */
AUTHGATE_API authgate_status authgate_verifier_verify(authgate_result **out_result,
                                                      authgate_verifier *verifier,
                                                      const char *token, size_t token_len,
                                                      authgate_error **error);

/* authgate_verifier_verify_at is authgate_verifier_verify() with the time
 * given as `now_unix` seconds since the Unix epoch instead of read from the
 * system clock (for tests, replays and the CLI's --now). */
AUTHGATE_API authgate_status authgate_verifier_verify_at(authgate_result **out_result,
                                                         authgate_verifier *verifier,
                                                         const char *token, size_t token_len,
                                                         int64_t now_unix,
                                                         authgate_error **error);

/* authgate_verify_callback receives the outcome of a verification that
 * authgate_verifier_verify_async() could not finish at once. `status` is
 * AUTHGATE_OK or AUTHGATE_REJECTED (or a failure status); `result` (on
 * AUTHGATE_OK) and `error` (otherwise) are owned by the callee, who frees
 * them with authgate_result_free() and authgate_error_free();
 * AUTHGATE_CANCELLED (with an error, no result) when the verifier was freed
 * first. It runs exactly once, on the verifier's callback thread (see the
 * conventions above): it may block. */
typedef void (*authgate_verify_callback)(authgate_status status, authgate_result *result,
                                         authgate_error *error, void *userdata);

/* authgate_verifier_verify_async verifies `token` at the current time without
 * ever blocking. When the verdict is known at once (the common case) it
 * returns AUTHGATE_OK (with *out_result as authgate_verifier_verify() sets
 * it) or AUTHGATE_REJECTED (with *error), and `callback` is NOT called. When
 * the token's key may still arrive (an unknown `kid` after a key rotation, or
 * no keys fetched yet), it starts a refetch and returns AUTHGATE_PENDING: the
 * token is copied, and `callback` runs once on a library thread after the
 * refetch, or after the configured async_timeout at the latest (default 5 s),
 * with the verdict at that time. If the verifier is freed first, the callback
 * gets AUTHGATE_CANCELLED after authgate_verifier_free(), never inside it. */
AUTHGATE_API authgate_status authgate_verifier_verify_async(authgate_result **out_result,
                                                            authgate_verifier *verifier,
                                                            const char *token, size_t token_len,
                                                            authgate_verify_callback callback,
                                                            void *userdata,
                                                            authgate_error **error);

/* authgate_verifier_wait_ready blocks until every key source has keys, up to
 * `timeout_ms` milliseconds. Returns AUTHGATE_OK, or AUTHGATE_TIMEOUT with
 * the last fetch error in *error. For hosts that want to block at start-up
 * (a synchronous verify before keys arrive is jwks_unavailable). */
AUTHGATE_API authgate_status authgate_verifier_wait_ready(authgate_verifier *verifier,
                                                          uint32_t timeout_ms,
                                                          authgate_error **error);

/* authgate_verifier_refresh asks every remote key source to refetch now,
 * in the background (an operator's request; not rate-limited). */
AUTHGATE_API authgate_status authgate_verifier_refresh(authgate_verifier *verifier,
                                                       authgate_error **error);

/* authgate_verifier_stats_json returns a JSON snapshot of the key sources:
 *   {"sources":[{"location":"https://...","issuer":"...","keys":2,
 *    "fetch_successes":3,"fetch_failures":0,"last_success_unix":1700000000,
 *    "age_seconds":12.5,"last_error":"","warnings":[]}],
 *    "token_cache":{"entries":10,"hits":200,"misses":12}}
 * in *out_json, owned by the caller and freed with authgate_string_free(). */
AUTHGATE_API authgate_status authgate_verifier_stats_json(char **out_json, size_t *out_len,
                                                          const authgate_verifier *verifier,
                                                          authgate_error **error);

/* ------------------------------------------------------------------------ */
/* Verification results                                                      */
/* ------------------------------------------------------------------------ */

/* authgate_result_free releases `result`. NULL is a no-op. */
AUTHGATE_API void authgate_result_free(authgate_result *result);

/* authgate_result_claims_json returns the token's payload (its claims) as the
 * exact JSON text the issuer signed, NUL-terminated, borrowed from `result`.
 * If `out_len` is not NULL it receives the length without the NUL. */
AUTHGATE_API const char *authgate_result_claims_json(const authgate_result *result,
                                                     size_t *out_len);

/* authgate_result_header_json returns the token's protected header as JSON
 * text, NUL-terminated, borrowed from `result`; `out_len` as above. */
AUTHGATE_API const char *authgate_result_header_json(const authgate_result *result,
                                                     size_t *out_len);

/* authgate_result_algorithm returns the token's `alg` ("RS256", ...), static. */
AUTHGATE_API const char *authgate_result_algorithm(const authgate_result *result);

/* authgate_result_key_id returns the `kid` of the key that verified the
 * token, NUL-terminated and borrowed from `result`; "" when the key has none. */
AUTHGATE_API const char *authgate_result_key_id(const authgate_result *result);

/* authgate_result_claim_string looks up the top-level claim `name` (`name_len`
 * bytes). When it is a JSON string, *out_value receives its unescaped UTF-8
 * text, borrowed from `result`, and *out_len its length. The text is NOT
 * NUL-terminated and may hold NUL bytes: always use *out_len. Returns
 * AUTHGATE_NOT_FOUND when the claim is absent and AUTHGATE_WRONG_TYPE when it
 * is not a string. The claim getters set *error like every fallible call. */
AUTHGATE_API authgate_status authgate_result_claim_string(const char **out_value,
                                                          size_t *out_len,
                                                          const authgate_result *result,
                                                          const char *name, size_t name_len,
                                                          authgate_error **error);

/* authgate_result_claim_number looks up the top-level claim `name` and, when
 * it is a JSON number, stores it in *out_value (as a double: integers above
 * 2^53 lose precision, see authgate_result_claim_int64()). Returns
 * AUTHGATE_NOT_FOUND or AUTHGATE_WRONG_TYPE as authgate_result_claim_string()
 * does. */
AUTHGATE_API authgate_status authgate_result_claim_number(double *out_value,
                                                          const authgate_result *result,
                                                          const char *name, size_t name_len,
                                                          authgate_error **error);

/* authgate_result_claim_int64 looks up the top-level claim `name` and, when
 * it is a JSON number written as an integer (no fraction, no exponent) within
 * the range of int64_t, stores it exactly in *out_value. Returns
 * AUTHGATE_NOT_FOUND when the claim is absent and AUTHGATE_WRONG_TYPE for
 * any other value (a string, 1.5, 1e3, 2^63). */
AUTHGATE_API authgate_status authgate_result_claim_int64(int64_t *out_value,
                                                         const authgate_result *result,
                                                         const char *name, size_t name_len,
                                                         authgate_error **error);

/* authgate_result_claim_json looks up the top-level claim `name` and returns
 * its value (of any type) as JSON text, exactly as it appears in the token,
 * NUL-terminated, in *out_json, owned by the caller and freed with
 * authgate_string_free(); `out_len` (optional) receives its length. Returns
 * AUTHGATE_NOT_FOUND when the claim is absent. */
AUTHGATE_API authgate_status authgate_result_claim_json(char **out_json, size_t *out_len,
                                                        const authgate_result *result,
                                                        const char *name, size_t name_len,
                                                        authgate_error **error);

/* authgate_result_subject returns the `sub` claim, NUL-terminated and
 * borrowed from `result`, or NULL when the token has none. */
AUTHGATE_API const char *authgate_result_subject(const authgate_result *result);

/* authgate_result_issuer returns the `iss` claim like authgate_result_subject(). */
AUTHGATE_API const char *authgate_result_issuer(const authgate_result *result);

/* authgate_result_expires_at returns the `exp` claim in whole seconds since
 * the Unix epoch (fractions dropped), or -1 when the token has none. */
AUTHGATE_API int64_t authgate_result_expires_at(const authgate_result *result);

/* ------------------------------------------------------------------------ */
/* Unverified decoding                                                       */
/* ------------------------------------------------------------------------ */

/* authgate_token_decode splits a compact JWS and decodes its header and
 * payload WITHOUT checking the signature or any claim: for display and
 * debugging only, never for a decision. The same syntax rules as verification
 * apply (strict base64url, strict JSON header). On AUTHGATE_OK, *out_header
 * and *out_payload own NUL-terminated copies freed with authgate_string_free()
 * and the optional lengths receive their sizes; the payload is returned as
 * bytes even when it is not JSON. A malformed token is AUTHGATE_REJECTED with
 * the reason in *error. */
AUTHGATE_API authgate_status authgate_token_decode(char **out_header, size_t *out_header_len,
                                                   char **out_payload, size_t *out_payload_len,
                                                   const char *token, size_t token_len,
                                                   authgate_error **error);

/* ------------------------------------------------------------------------ */
/* The decision engine                                                       */
/* ------------------------------------------------------------------------ */

/* authgate_engine decides about whole HTTP requests: the OpenID Connect
 * login (redirect, callback, refresh, sign-out) with its session cookies, the
 * Bearer JWT check, route rules and claim conditions. It is what the sidecar
 * runs, for every host. Thread-safety: after creation an engine may be used
 * from any number of threads at once; free it only when no call is running.
 * Threads: the engine runs one HTTP thread (libcurl), one timer thread and,
 * from its first asynchronous evaluation, one callback thread. */
typedef struct authgate_engine authgate_engine;

/* authgate_request is an incoming request, built by the host. Not
 * thread-safe: one thread builds it; the engine copies what it keeps, so it
 * may be freed or reused as soon as the evaluate call returns. */
typedef struct authgate_request authgate_request;

/* authgate_decision is the engine's answer about one request: immutable,
 * safe to read from any thread. */
typedef struct authgate_decision authgate_decision;

/* authgate_engine_new creates an engine from `config` (`config_len` bytes of
 * JSON, docs/config.md "engine"): ${VAR} and ${file:PATH} references in its
 * strings are resolved first. Key and discovery fetches start at once. On
 * AUTHGATE_OK *out_engine owns the engine (free it with
 * authgate_engine_free()); an invalid document is AUTHGATE_INVALID_CONFIG
 * with a message naming the key. */
AUTHGATE_API authgate_status authgate_engine_new(authgate_engine **out_engine, const char *config,
                                                 size_t config_len, authgate_error **error);

/* authgate_engine_free releases `engine`. NULL is a no-op. It never waits for
 * a callback nor runs one: each asynchronous evaluation still pending gets its
 * callback with AUTHGATE_CANCELLED (and a NULL decision) afterwards, from the
 * engine's callback thread, which then exits. */
AUTHGATE_API void authgate_engine_free(authgate_engine *engine);

/* authgate_engine_ready sets *out_ready to 1 when the provider metadata and
 * every key source are loaded, else to 0. Never blocks. */
AUTHGATE_API authgate_status authgate_engine_ready(int *out_ready, const authgate_engine *engine,
                                                   authgate_error **error);

/* authgate_engine_wait_ready blocks until the engine is ready or `timeout_ms`
 * passes (AUTHGATE_TIMEOUT). */
AUTHGATE_API authgate_status authgate_engine_wait_ready(const authgate_engine *engine,
                                                        uint32_t timeout_ms,
                                                        authgate_error **error);

/* authgate_engine_warning_count and authgate_engine_warning give the
 * configuration's warnings (e.g. cookies without Secure on plain http); each
 * string is NUL-terminated and borrowed from `engine`; NULL past the end. */
AUTHGATE_API size_t authgate_engine_warning_count(const authgate_engine *engine);
AUTHGATE_API const char *authgate_engine_warning(const authgate_engine *engine, size_t index);

/* authgate_engine_key_error names `jwt` provider number `index` (from 0, in
 * the configuration's order) in *out_provider and gives the error of its last
 * key fetch in *out_error: "" when that fetch succeeded, else its cause (a
 * status, a transport error, or why the document was refused; never a
 * secret). Both are owned by the caller (authgate_string_free()).
 * AUTHGATE_NOT_FOUND past the last provider. For logs: the keys fetched
 * before stay in use while fetches fail. */
AUTHGATE_API authgate_status authgate_engine_key_error(char **out_provider, char **out_error,
                                                       const authgate_engine *engine,
                                                       size_t index, authgate_error **error);

/* authgate_request_field names the parts of a request the host sets. */
typedef enum authgate_request_field {
  AUTHGATE_REQUEST_METHOD = 0,         /* "GET", as received */
  AUTHGATE_REQUEST_SCHEME = 1,         /* "http" or "https", as the client used */
  AUTHGATE_REQUEST_AUTHORITY = 2,      /* host[:port]: the Host header */
  AUTHGATE_REQUEST_TARGET = 3,         /* path and query, undecoded: "/a?b=1" */
  AUTHGATE_REQUEST_CLIENT_ADDRESS = 4  /* the peer's IP address */
} authgate_request_field;

/* authgate_request_new sets *out_request to an empty request owned by the
 * caller (free it with authgate_request_free()). */
AUTHGATE_API authgate_status authgate_request_new(authgate_request **out_request,
                                                  authgate_error **error);

/* authgate_request_free releases `request`. NULL is a no-op. */
AUTHGATE_API void authgate_request_free(authgate_request *request);

/* authgate_request_set sets one field to `value` (`len` bytes, copied).
 * AUTHGATE_INVALID_ARGUMENT for an unknown field. */
AUTHGATE_API authgate_status authgate_request_set(authgate_request *request,
                                                  authgate_request_field field, const char *value,
                                                  size_t len, authgate_error **error);

/* authgate_request_add_header appends a header (both copied); repeated
 * headers are added once each, in arrival order. */
AUTHGATE_API authgate_status authgate_request_add_header(authgate_request *request,
                                                         const char *name, size_t name_len,
                                                         const char *value, size_t value_len,
                                                         authgate_error **error);

/* authgate_engine_evaluate decides about `request`, waiting for a token
 * exchange, refresh or key refetch up to the configured `evaluate_timeout`
 * (then the decision is a 504). For thread-per-request hosts. On AUTHGATE_OK
 * *out_decision is owned by the caller (authgate_decision_free()). A refused
 * request is still AUTHGATE_OK: the refusal is the decision. */
AUTHGATE_API authgate_status authgate_engine_evaluate(authgate_decision **out_decision,
                                                      const authgate_engine *engine,
                                                      const authgate_request *request,
                                                      authgate_error **error);

/* authgate_decision_callback receives the outcome of an evaluation that
 * needed the network:
 *   AUTHGATE_OK             `decision` is owned by the callee
 *                           (authgate_decision_free());
 *   AUTHGATE_CANCELLED      `decision` is NULL: the engine was freed first;
 *   AUTHGATE_OUT_OF_MEMORY  `decision` is NULL (no memory for it).
 * It runs exactly once, on the engine's callback thread (see the conventions
 * above): it may block, take the host's own lock, evaluate again, or free
 * the engine. */
typedef void (*authgate_decision_callback)(authgate_status status, authgate_decision *decision,
                                           void *userdata);

/* authgate_engine_evaluate_async never blocks. When the decision is known
 * before it returns (no network step was needed, or the step already
 * completed) it returns AUTHGATE_OK with *out_decision set (owned by the
 * caller) and `callback` is not called. Otherwise it returns
 * AUTHGATE_PENDING, *out_decision is NULL, and `callback` runs exactly once
 * later with the decision. */
AUTHGATE_API authgate_status authgate_engine_evaluate_async(
    authgate_decision **out_decision, const authgate_engine *engine,
    const authgate_request *request, authgate_decision_callback callback, void *userdata,
    authgate_error **error);

/* authgate_action is what the host does with a decision. */
typedef enum authgate_action {
  /* Forward to the upstream: at authgate_decision_upstream_target(), after
   * removing the AUTHGATE_HEADERS_REMOVE headers and then setting the
   * AUTHGATE_HEADERS_SET ones; add the AUTHGATE_HEADERS_RESPONSE headers to
   * the upstream's response. */
  AUTHGATE_ACTION_ALLOW = 0,
  /* Answer the client with authgate_decision_status(), the
   * AUTHGATE_HEADERS_RESPONSE headers and authgate_decision_body(). */
  AUTHGATE_ACTION_RESPOND = 1
} authgate_action;

/* authgate_header_list selects one of a decision's header lists. Names are
 * lowercase. */
typedef enum authgate_header_list {
  AUTHGATE_HEADERS_REMOVE = 0,   /* request headers to remove (values empty) */
  AUTHGATE_HEADERS_SET = 1,      /* request headers to set, replacing any */
  AUTHGATE_HEADERS_RESPONSE = 2  /* headers for the answer to the client */
} authgate_header_list;

/* authgate_decision_free releases `decision`. NULL is a no-op. */
AUTHGATE_API void authgate_decision_free(authgate_decision *decision);

AUTHGATE_API authgate_action authgate_decision_action(const authgate_decision *decision);

/* authgate_decision_status returns the HTTP status to answer with
 * (AUTHGATE_ACTION_RESPOND), 0 for AUTHGATE_ACTION_ALLOW. */
AUTHGATE_API int authgate_decision_status(const authgate_decision *decision);

/* The strings below are NUL-terminated and borrowed from `decision`; the
 * optional `out_len` receives their length. */

/* authgate_decision_upstream_target: the normalised path the rules saw, with
 * the original query ("" when responding). */
AUTHGATE_API const char *authgate_decision_upstream_target(const authgate_decision *decision,
                                                           size_t *out_len);
/* authgate_decision_body: the answer's body ("" when allowing). */
AUTHGATE_API const char *authgate_decision_body(const authgate_decision *decision,
                                                size_t *out_len);
/* authgate_decision_claims_json: for AUTHGATE_ACTION_ALLOW with an identity,
 * its claims as a JSON object text: the Bearer token's payload exactly as
 * signed, or the session's ID-token claims (with `jwt_all`, the first
 * provider's token). "" when the request is allowed without an identity
 * (public routes, `allow_missing`) and when responding. For hosts that run
 * the engine in process and hand the identity to the application. */
AUTHGATE_API const char *authgate_decision_claims_json(const authgate_decision *decision,
                                                       size_t *out_len);

/* authgate_decision_header_count returns the number of headers in `list`. */
AUTHGATE_API size_t authgate_decision_header_count(const authgate_decision *decision,
                                                   authgate_header_list list);

/* authgate_decision_header returns header `index` of `list` through the
 * out-parameters (borrowed, NUL-terminated). AUTHGATE_NOT_FOUND past the end. */
AUTHGATE_API authgate_status authgate_decision_header(const authgate_decision *decision,
                                                      authgate_header_list list, size_t index,
                                                      const char **out_name, size_t *out_name_len,
                                                      const char **out_value,
                                                      size_t *out_value_len,
                                                      authgate_error **error);

/* For logs and metrics: why a request was refused (AUTHGATE_REASON_NONE
 * when allowed), a detail fit for a log (never a token or secret), the rule
 * that matched ("" when none), and the outcome's stable name ("allowed",
 * "login_redirect", "logged_in", "signed_out", "unauthorized", "forbidden",
 * "bad_request", "unavailable"; static). */
AUTHGATE_API authgate_reason authgate_decision_reason(const authgate_decision *decision);
AUTHGATE_API const char *authgate_decision_detail(const authgate_decision *decision,
                                                  size_t *out_len);
AUTHGATE_API const char *authgate_decision_rule(const authgate_decision *decision);
AUTHGATE_API const char *authgate_decision_outcome(const authgate_decision *decision);

/* ------------------------------------------------------------------------ */
/* Counters                                                                  */
/* ------------------------------------------------------------------------ */

/* authgate_counter_set selects a set of monotonic counters. Sets only grow,
 * by appending counters, so a host built for an older version reads a prefix
 * of the same counters. */
typedef enum authgate_counter_set {
  /* An engine's decisions by outcome: allowed, login_redirect, logged_in,
   * signed_out, unauthorized, forbidden, bad_request, unavailable. */
  AUTHGATE_COUNTERS_OUTCOMES = 0,
  /* An engine's refusals by authgate_reason: counter i is reason number i
   * (counter 0, "none", stays 0). */
  AUTHGATE_COUNTERS_REASONS = 1,
  /* An engine's logins and refreshes, and over its `jwt` providers the key
   * fetches and the verified-token cache: logins_started, logins_completed,
   * logins_failed, refreshes, refresh_failures, jwks_fetch_successes,
   * jwks_fetch_failures, token_cache_hits, token_cache_misses. */
  AUTHGATE_COUNTERS_ENGINE = 2,
  /* A verifier's keys and fetches over its key sources, and its token cache:
   * keys (a gauge: keys held now), jwks_fetch_successes, jwks_fetch_failures,
   * token_cache_entries (a gauge), token_cache_hits, token_cache_misses. */
  AUTHGATE_COUNTERS_VERIFIER = 3
} authgate_counter_set;

/* authgate_counter_name returns the stable snake_case name of counter `index`
 * of `set` (static), or NULL past the end of the set. */
AUTHGATE_API const char *authgate_counter_name(authgate_counter_set set, size_t index);

/* authgate_engine_counters writes the first min(`capacity`, N) counters of
 * `set` (AUTHGATE_COUNTERS_OUTCOMES, _REASONS or _ENGINE) to `out_values` and
 * N, the number of counters of the set in this library, to *out_count.
 * `out_values` may be NULL when `capacity` is 0, to learn N. Lock-free: the
 * counters are read one by one, not as one snapshot. */
AUTHGATE_API authgate_status authgate_engine_counters(uint64_t *out_values, size_t capacity,
                                                      size_t *out_count,
                                                      const authgate_engine *engine,
                                                      authgate_counter_set set,
                                                      authgate_error **error);

/* authgate_verifier_counters is authgate_engine_counters() for a verifier
 * and the set AUTHGATE_COUNTERS_VERIFIER. */
AUTHGATE_API authgate_status authgate_verifier_counters(uint64_t *out_values, size_t capacity,
                                                        size_t *out_count,
                                                        const authgate_verifier *verifier,
                                                        authgate_counter_set set,
                                                        authgate_error **error);

/* ------------------------------------------------------------------------ */
/* Signed cookies                                                            */
/* ------------------------------------------------------------------------ */

/* authgate_cookie_signer signs values for cookies (or URL parameters) with
 * HMAC-SHA256, bound to a cookie name, a host and an expiry: the primitive
 * the engine signs its login `state` with. Keys are derived with HKDF-SHA256
 * from the secrets; the first signs, all verify (rotation). Thread-safe. */
typedef struct authgate_cookie_signer authgate_cookie_signer;

/* authgate_cookie_signer_new derives the keys from `count` secrets (1 to 8,
 * each `secret_lens[i]` bytes, at least 32). *out_signer is owned by the
 * caller (authgate_cookie_signer_free()). */
AUTHGATE_API authgate_status authgate_cookie_signer_new(authgate_cookie_signer **out_signer,
                                                        const char *const *secrets,
                                                        const size_t *secret_lens, size_t count,
                                                        authgate_error **error);

/* authgate_cookie_signer_free releases `signer`. NULL is a no-op. */
AUTHGATE_API void authgate_cookie_signer_free(authgate_cookie_signer *signer);

/* authgate_cookie_sign returns the signed text of `value` for cookie `name`
 * on `host`, valid until `expires_at` (seconds since the Unix epoch). The
 * text uses only [A-Za-z0-9._-]. *out_text is owned by the caller
 * (authgate_string_free()); `out_len` is optional. */
AUTHGATE_API authgate_status authgate_cookie_sign(char **out_text, size_t *out_len,
                                                  const authgate_cookie_signer *signer,
                                                  const char *name, size_t name_len,
                                                  const char *host, size_t host_len,
                                                  int64_t expires_at, const char *value,
                                                  size_t value_len, authgate_error **error);

/* authgate_cookie_verify checks `text` for cookie `name` on `host` at the
 * current time (authgate_cookie_verify_at: at `now`, seconds since the Unix
 * epoch). On AUTHGATE_OK *out_value owns the value (NUL-terminated, may hold
 * NUL bytes: use *out_len; free with authgate_string_free()). A forged,
 * altered, or differently bound text is AUTHGATE_REJECTED with
 * AUTHGATE_REASON_SESSION_INVALID, an expired one with
 * AUTHGATE_REASON_SESSION_EXPIRED. */
AUTHGATE_API authgate_status authgate_cookie_verify(char **out_value, size_t *out_len,
                                                    const authgate_cookie_signer *signer,
                                                    const char *name, size_t name_len,
                                                    const char *host, size_t host_len,
                                                    const char *text, size_t text_len,
                                                    authgate_error **error);
AUTHGATE_API authgate_status authgate_cookie_verify_at(char **out_value, size_t *out_len,
                                                       const authgate_cookie_signer *signer,
                                                       const char *name, size_t name_len,
                                                       const char *host, size_t host_len,
                                                       const char *text, size_t text_len,
                                                       int64_t now, authgate_error **error);

/* authgate_string_free releases a string the library returned as owned. NULL
 * is a no-op. */
AUTHGATE_API void authgate_string_free(char *text);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* AUTHGATE_AUTHGATE_H_ */
