// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/cookie_binding.h"

#include "absl/time/time.h"
#include "text.h"

namespace authgate {

void AppendLengthPrefixed(std::string_view field, std::string* out) {
  const uint32_t size = static_cast<uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(size >> shift));
  out->append(field);
}

void AppendInt64(int64_t value, std::string* out) {
  const uint64_t bits = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(bits >> shift));
}

std::string EncodeBindingContext(std::string_view domain_tag, const CookieBinding& binding,
                                 int64_t expiry_seconds) {
  std::string context;
  context.reserve(3 * 4 + domain_tag.size() + binding.name.size() + binding.host.size() + 8);
  AppendLengthPrefixed(domain_tag, &context);
  AppendLengthPrefixed(binding.name, &context);
  AppendLengthPrefixed(binding.host, &context);
  AppendInt64(expiry_seconds, &context);
  return context;
}

bool RejectBinding(Rejection* why, Reason reason, std::string detail) {
  why->reason = reason;
  why->detail = std::move(detail);
  return false;
}

bool RejectExpired(Rejection* why, const CookieBinding& binding, int64_t expiry_seconds) {
  return RejectBinding(
      why, Reason::kSessionExpired,
      StrCat("\"", binding.name, "\" value expired at ",
             absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(expiry_seconds),
                              absl::UTCTimeZone())));
}

}  // namespace authgate
