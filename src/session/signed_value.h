// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// signed_value.h: a value readable by anyone but forgeable by no one,
// bound to a cookie name, a host and an expiry time: for cookies whose
// content is not secret, and for the OIDC `state` parameter.
//
//   CookieBinding binding{"__Host-authgate_state", "app.example"};
//   std::string text = SignValue(keys, binding, now + absl::Minutes(10), "return=/orders");
//   ...
//   std::string value;
//   Rejection why;
//   if (!VerifySignedValue(keys, binding, now, text, &value, &why)) return why;
//
// Text: "1.<expiry>.<value>.<mac>", where 1 is the format version, <expiry>
// the expiry in Unix seconds (canonical decimal), <value> and <mac>
// base64url. It uses only [A-Za-z0-9_.-], so it is safe in a cookie and in a
// URL query without escaping. The MAC is HMAC-SHA256 under the current
// signing key over the length-prefixed domain tag "authgate-signed-v1", the
// cookie name, the host, the expiry (8 bytes) and the value
// (cookie_binding.h).
//
// Verification checks the size first (kMaxSignedText), then the syntax,
// then the MAC under every key (rotation), and only for an authentic value
// the expiry: a forged value is always reported as invalid, never as expired.

#ifndef AUTHGATE_SRC_SESSION_SIGNED_VALUE_H_
#define AUTHGATE_SRC_SESSION_SIGNED_VALUE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "reason.h"
#include "session/cookie_binding.h"
#include "session/cookie_keys.h"

namespace authgate {

// The largest signed text VerifySignedValue reads; larger input is refused
// before any work. A value of up to about 6000 bytes fits.
inline constexpr size_t kMaxSignedText = 8192;

// SignValue returns the signed text of `value` (any bytes), valid until
// `expiry` (truncated to whole seconds). Empty only when OpenSSL fails (out
// of memory); an empty text never verifies.
std::string SignValue(const CookieKeys& keys, const CookieBinding& binding, absl::Time expiry,
                      std::string_view value);

// VerifySignedValue returns true and sets *value when `text` was signed by
// one of `keys` for `binding` and `now` is before its expiry. Otherwise false
// with *why: session_invalid (malformed, oversized, tampered, bound to
// another name or host, or signed by an unknown key) or session_expired (an
// authentic value whose expiry has passed).
bool VerifySignedValue(const CookieKeys& keys, const CookieBinding& binding, absl::Time now,
                       std::string_view text, std::string* value, Rejection* why);

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_SIGNED_VALUE_H_
