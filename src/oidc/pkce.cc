// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "oidc/pkce.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "jose/base64url.h"

namespace authgate {

absl::StatusOr<std::string> RandomUrlSafe(size_t bytes, const RandomSource& random) {
  std::string raw(bytes, '\0');
  if (absl::Status s = random.Fill(reinterpret_cast<unsigned char*>(raw.data()), bytes); !s.ok()) {
    return s;
  }
  return Base64UrlEncode(raw);
}

std::string PkceChallengeS256(std::string_view verifier) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(verifier.data(), verifier.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    std::fputs("authgate: SHA-256 failed\n", stderr);
    std::abort();
  }
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

}  // namespace authgate
