// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// cookie_binding.h: what a signed or sealed cookie value is bound to (its
// cookie name and the host it was issued for, or the cookie domain shared by
// several hosts: cookie_scope.h), and the unambiguous encoding of that
// context which the MAC or the AEAD authenticates.
//
//   CookieBinding binding{"__Host-authgate_session", "app.example"};
//   std::string context = EncodeBindingContext("authgate-sealed-v1", binding, expiry_seconds);
//
// Binding the name stops a value issued for one purpose (the OIDC state)
// from being accepted as another (the session); binding the host stops a
// cookie captured on one protected site from being replayed on another that
// shares the secrets. Every field is length-prefixed, so name "ab" with host
// "c" and name "a" with host "bc" authenticate different bytes.

#ifndef AUTHGATE_SRC_SESSION_COOKIE_BINDING_H_
#define AUTHGATE_SRC_SESSION_COOKIE_BINDING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "reason.h"

namespace authgate {

struct CookieBinding {
  std::string_view name;
  std::string_view host;  // or the cookie domain
};

// EncodeBindingContext returns the length-prefixed encoding of `domain_tag`
// (which names the format and its version), the binding's name and host,
// and `expiry_seconds` (Unix seconds, 8 bytes big-endian).
std::string EncodeBindingContext(std::string_view domain_tag, const CookieBinding& binding,
                                 int64_t expiry_seconds);

// AppendLengthPrefixed appends the size of `field` (4 bytes big-endian)
// then its bytes.
void AppendLengthPrefixed(std::string_view field, std::string* out);

// AppendInt64 appends `value` as 8 bytes big-endian (two's complement).
void AppendInt64(int64_t value, std::string* out);

// RejectBinding sets *why and returns false: the verdict of signed and sealed
// values.
bool RejectBinding(Rejection* why, Reason reason, std::string detail);

// RejectExpired sets *why to session_expired for the value of `binding`
// that expired at `expiry_seconds`, and returns false.
bool RejectExpired(Rejection* why, const CookieBinding& binding, int64_t expiry_seconds);

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_COOKIE_BINDING_H_
