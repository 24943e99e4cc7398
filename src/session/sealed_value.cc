// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/sealed_value.h"

#include <cstdint>
#include <cstring>

#include "jose/base64url.h"
#include "text.h"

namespace authgate {
namespace {

bool Invalid(Rejection* why, std::string detail) {
  return RejectBinding(why, Reason::kSessionInvalid, std::move(detail));
}

constexpr std::string_view kDomainTag = "authgate-sealed-v1";
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderSize = 1 + 8 + CookieKeys::kNonceSize;

int64_t ReadInt64(const char* bytes) {
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = bits << 8 | static_cast<uint8_t>(bytes[i]);
  return static_cast<int64_t>(bits);
}

size_t Base64UrlEncodedSize(size_t size) {
  return size / 3 * 4 + (size % 3 == 0 ? 0 : size % 3 + 1);
}

}  // namespace

size_t SealedTextSize(size_t plaintext_size) {
  return Base64UrlEncodedSize(kHeaderSize + plaintext_size + CookieKeys::kTagSize);
}

absl::StatusOr<std::string> SealValue(const CookieKeys& keys, const CookieBinding& binding,
                                      absl::Time expiry, std::string_view plaintext,
                                      const RandomSource& random) {
  const int64_t expiry_seconds = absl::ToUnixSeconds(expiry);
  uint8_t nonce[CookieKeys::kNonceSize];
  if (absl::Status s = random.Fill(nonce, sizeof(nonce)); !s.ok()) return s;
  std::string raw;
  raw.reserve(kHeaderSize + plaintext.size() + CookieKeys::kTagSize);
  raw.push_back(static_cast<char>(kVersion));
  AppendInt64(expiry_seconds, &raw);
  raw.append(reinterpret_cast<const char*>(nonce), sizeof(nonce));
  if (!keys.Seal(nonce, EncodeBindingContext(kDomainTag, binding, expiry_seconds), plaintext,
                 &raw)) {
    return absl::InternalError("sealing failed (OpenSSL AES-256-GCM)");
  }
  return Base64UrlEncode(raw);
}

bool OpenSealedValue(const CookieKeys& keys, const CookieBinding& binding, absl::Time now,
                     std::string_view text, std::string* plaintext, Rejection* why) {
  if (text.size() > kMaxSealedText) {
    return Invalid(why,
                   StrCat("sealed value is larger than ", kMaxSealedText, " bytes"));
  }
  std::string raw;
  if (!Base64UrlDecode(text, &raw) || raw.size() < kHeaderSize + CookieKeys::kTagSize) {
    return Invalid(why, "sealed value is malformed or truncated");
  }
  if (static_cast<uint8_t>(raw[0]) != kVersion) {
    return Invalid(why, "sealed value has an unknown format version");
  }
  const int64_t expiry_seconds = ReadInt64(raw.data() + 1);
  uint8_t nonce[CookieKeys::kNonceSize];
  std::memcpy(nonce, raw.data() + 9, sizeof(nonce));
  const std::string aad = EncodeBindingContext(kDomainTag, binding, expiry_seconds);
  const std::string_view sealed = std::string_view(raw).substr(kHeaderSize);
  std::string opened;
  bool authentic = false;
  for (size_t i = 0; i < keys.size() && !authentic; ++i) {
    authentic = keys.Open(i, nonce, aad, sealed, &opened);
  }
  if (!authentic) {
    return Invalid(why,
                   StrCat("\"", binding.name,
                          "\" value does not authenticate (tampered, truncated, issued for another "
                          "cookie or host, or sealed with a retired secret)"));
  }
  if (now >= absl::FromUnixSeconds(expiry_seconds)) {
    return RejectExpired(why, binding, expiry_seconds);
  }
  *plaintext = std::move(opened);
  return true;
}

}  // namespace authgate
