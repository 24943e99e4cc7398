// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// sealed_value.h: a value nobody but authgate can read or forge (AES-256-GCM),
// bound to a cookie name, a host and an expiry time: for the session record
// and anything else holding tokens.
//
//   CookieBinding binding{"__Host-authgate_session", "app.example"};
//   std::string text = SealValue(keys, binding, now + absl::Hours(1), record);
//   ...
//   std::string record;
//   Rejection why;
//   if (!OpenSealedValue(keys, binding, now, text, &record, &why)) return why;
//
// Text: base64url (cookie-safe) of
//   version (1 byte, 1) | expiry (Unix seconds, 8 bytes big-endian) |
//   nonce (12 bytes) | ciphertext | tag (16 bytes).
// The additional authenticated data is the length-prefixed domain tag
// "authgate-sealed-v1", the cookie name, the host and the expiry
// (cookie_binding.h). Each call draws a fresh random nonce: sealing the same
// input twice gives two unrelated texts, and with 96-bit random nonces a key
// may seal about 2^32 values before nonce reuse becomes a concern (NIST SP
// 800-38D 8.3); rotate the secret well before that.
//
// Opening checks the size first (kMaxSealedText), then the syntax, then
// authenticates under every key (rotation), and only for an authentic value
// the expiry: a forged value is always invalid, never expired.

#ifndef AUTHGATE_SRC_SESSION_SEALED_VALUE_H_
#define AUTHGATE_SRC_SESSION_SEALED_VALUE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "random.h"
#include "reason.h"
#include "session/cookie_binding.h"
#include "session/cookie_keys.h"

namespace authgate {

// The largest sealed text OpenSealedValue reads; larger input is refused
// before any work. Plaintexts up to about 48 KiB fit.
inline constexpr size_t kMaxSealedText = 64 * 1024;

// SealedTextSize returns the size of the text SealValue produces for a
// plaintext of `plaintext_size` bytes.
size_t SealedTextSize(size_t plaintext_size);

// SealValue returns the sealed text of `plaintext`, valid until `expiry`
// (truncated to whole seconds), with a nonce from `random`. Fails when the
// generator does (Unavailable) or OpenSSL's cipher does (Internal).
absl::StatusOr<std::string> SealValue(const CookieKeys& keys, const CookieBinding& binding,
                                      absl::Time expiry, std::string_view plaintext,
                                      const RandomSource& random = RandomSource::System());

// OpenSealedValue returns true and sets *plaintext when `text` was sealed by
// one of `keys` for `binding` and `now` is before its expiry. Otherwise false
// with *why: session_invalid (malformed, oversized, tampered, truncated,
// bound to another name or host, or sealed with an unknown key) or
// session_expired (authentic but past its expiry).
bool OpenSealedValue(const CookieKeys& keys, const CookieBinding& binding, absl::Time now,
                     std::string_view text, std::string* plaintext, Rejection* why);

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_SEALED_VALUE_H_
