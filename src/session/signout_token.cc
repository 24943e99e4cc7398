// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/signout_token.h"

#include <openssl/crypto.h>

#include "jose/base64url.h"
#include "session/cookie_binding.h"

namespace authgate {
namespace {

constexpr std::string_view kDomainTag = "authgate-signout-v1";

std::string MacInput(std::string_view session_id) {
  std::string input;
  AppendLengthPrefixed(kDomainTag, &input);
  AppendLengthPrefixed(session_id, &input);
  return input;
}

std::string_view MacText(const CookieKeys::Mac& mac) {
  return std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size());
}

}  // namespace

std::string SignOutToken(const CookieKeys& keys, std::string_view session_id) {
  CookieKeys::Mac mac;
  if (!keys.ComputeMac(0, MacInput(session_id), &mac)) return std::string();
  return Base64UrlEncode(MacText(mac));
}

bool VerifySignOutToken(const CookieKeys& keys, std::string_view session_id,
                        std::string_view token) {
  std::string presented;
  if (!Base64UrlDecode(token, &presented) || presented.size() != CookieKeys::kMacSize) {
    return false;
  }
  const std::string input = MacInput(session_id);
  bool valid = false;
  for (size_t i = 0; i < keys.size(); ++i) {
    CookieKeys::Mac mac;
    valid |= keys.ComputeMac(i, input, &mac) &&
             CRYPTO_memcmp(mac.data(), presented.data(), mac.size()) == 0;
  }
  return valid;
}

}  // namespace authgate
