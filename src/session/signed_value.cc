// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/signed_value.h"

#include <charconv>
#include <cstdint>

#include <openssl/crypto.h>

#include "jose/base64url.h"
#include "text.h"

namespace authgate {
namespace {

bool Invalid(Rejection* why, std::string detail) {
  return RejectBinding(why, Reason::kSessionInvalid, std::move(detail));
}

constexpr std::string_view kDomainTag = "authgate-signed-v1";
constexpr std::string_view kVersionPrefix = "1.";

std::string MacInput(const CookieBinding& binding, int64_t expiry_seconds,
                     std::string_view value) {
  std::string input = EncodeBindingContext(kDomainTag, binding, expiry_seconds);
  AppendLengthPrefixed(value, &input);
  return input;
}

// ParseCanonicalInt64 accepts exactly the text StrCat would write for the
// number, so that one expiry has one text (no "+1", "01" or "-0").
bool ParseCanonicalInt64(std::string_view text, int64_t* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && StrCat(*out) == text;
}

}  // namespace

std::string SignValue(const CookieKeys& keys, const CookieBinding& binding, absl::Time expiry,
                      std::string_view value) {
  const int64_t expiry_seconds = absl::ToUnixSeconds(expiry);
  CookieKeys::Mac mac;
  if (!keys.ComputeMac(0, MacInput(binding, expiry_seconds, value), &mac)) return std::string();
  return StrCat(kVersionPrefix, expiry_seconds, ".", Base64UrlEncode(value), ".",
                Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac.data()),
                                                 mac.size())));
}

bool VerifySignedValue(const CookieKeys& keys, const CookieBinding& binding, absl::Time now,
                       std::string_view text, std::string* value, Rejection* why) {
  if (text.size() > kMaxSignedText) {
    return Invalid(why,
                   StrCat("signed value is larger than ", kMaxSignedText, " bytes"));
  }
  const std::string malformed = "signed value is malformed";
  if (text.substr(0, kVersionPrefix.size()) != kVersionPrefix) {
    return Invalid(why, "signed value has an unknown format version");
  }
  std::string_view rest = text.substr(kVersionPrefix.size());
  const size_t expiry_end = rest.find('.');
  if (expiry_end == std::string_view::npos) return Invalid(why, malformed);
  const size_t value_end = rest.find('.', expiry_end + 1);
  if (value_end == std::string_view::npos) return Invalid(why, malformed);
  int64_t expiry_seconds = 0;
  std::string decoded_value, decoded_mac;
  if (!ParseCanonicalInt64(rest.substr(0, expiry_end), &expiry_seconds) ||
      !Base64UrlDecode(rest.substr(expiry_end + 1, value_end - expiry_end - 1), &decoded_value) ||
      !Base64UrlDecode(rest.substr(value_end + 1), &decoded_mac) ||
      decoded_mac.size() != CookieKeys::kMacSize) {
    return Invalid(why, malformed);
  }
  const std::string input = MacInput(binding, expiry_seconds, decoded_value);
  bool authentic = false;
  for (size_t i = 0; i < keys.size() && !authentic; ++i) {
    CookieKeys::Mac mac;
    authentic = keys.ComputeMac(i, input, &mac) &&
                CRYPTO_memcmp(mac.data(), decoded_mac.data(), mac.size()) == 0;
  }
  if (!authentic) {
    return Invalid(why,
                   StrCat("signature of the \"", binding.name,
                          "\" value does not match (tampered, issued for another cookie or "
                          "host, or signed with a retired secret)"));
  }
  if (now >= absl::FromUnixSeconds(expiry_seconds)) {
    return RejectExpired(why, binding, expiry_seconds);
  }
  *value = std::move(decoded_value);
  return true;
}

}  // namespace authgate
