// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// cookie_keys.h: the keys that sign and seal authgate's cookies, derived from
// the configured secrets, with rotation.
//
//   absl::StatusOr<std::shared_ptr<const CookieKeys>> keys =
//       CookieKeys::Derive({new_secret, previous_secret});
//   if (!keys.ok()) return keys.status();
//   std::string value = SignValue(**keys, binding, expiry, "state");
//
// Each secret (at least 32 bytes) yields two independent 32-byte keys through
// HKDF-SHA256 (RFC 5869) with a fixed salt: one for HMAC-SHA256 signing and
// one for AES-256-GCM sealing, so that no key serves two algorithms. The
// first secret signs and seals; every secret verifies and opens, so a secret
// is rotated by putting the new one first and dropping the old one after the
// longest cookie lifetime has passed.
//
// The key bytes never leave this class: callers ask for a MAC, a seal or an
// open by key index. Thread-safe: immutable after Derive(), every operation
// uses its own OpenSSL context. Keys are wiped on destruction.

#ifndef AUTHGATE_SRC_SESSION_COOKIE_KEYS_H_
#define AUTHGATE_SRC_SESSION_COOKIE_KEYS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "absl/status/statusor.h"

namespace authgate {

class CookieKeys {
 public:
  static constexpr size_t kMinSecretSize = 32;
  static constexpr size_t kMaxSecrets = 8;
  static constexpr size_t kMacSize = 32;    // HMAC-SHA256
  static constexpr size_t kNonceSize = 12;  // AES-GCM, 96 bits
  static constexpr size_t kTagSize = 16;    // AES-GCM

  using Mac = std::array<uint8_t, kMacSize>;

  // Derive returns the keys of `secrets` (1 to kMaxSecrets, each at least
  // kMinSecretSize bytes), or InvalidArgument naming the offending index,
  // never its content.
  static absl::StatusOr<std::shared_ptr<const CookieKeys>> Derive(
      const std::vector<std::string>& secrets);

  ~CookieKeys();
  CookieKeys(const CookieKeys&) = delete;
  CookieKeys& operator=(const CookieKeys&) = delete;

  // size returns the number of keys; index 0 is the current one.
  size_t size() const { return keys_.size(); }

  // ComputeMac sets *mac to HMAC-SHA256(signing key `index`, message).
  // Returns false only when OpenSSL fails (out of memory).
  bool ComputeMac(size_t index, std::string_view message, Mac* mac) const;

  // Seal encrypts `plaintext` with AES-256-GCM under the current sealing key,
  // the given nonce and additional data, appending ciphertext then tag to
  // *out. Returns false only when OpenSSL fails.
  bool Seal(const uint8_t (&nonce)[kNonceSize], std::string_view aad, std::string_view plaintext,
            std::string* out) const;

  // Open authenticates and decrypts `sealed` (ciphertext then tag) under
  // sealing key `index`. Returns false, with *plaintext unspecified, when the
  // tag does not match.
  bool Open(size_t index, const uint8_t (&nonce)[kNonceSize], std::string_view aad,
            std::string_view sealed, std::string* plaintext) const;

 private:
  struct KeyPair {
    std::array<uint8_t, 32> sign;
    std::array<uint8_t, 32> seal;
  };

  CookieKeys() = default;

  std::vector<KeyPair> keys_;
  // Fetched once: fetching an algorithm per call costs a lookup under a lock.
  std::shared_ptr<EVP_MAC> hmac_;
  std::shared_ptr<EVP_CIPHER> aes_gcm_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_COOKIE_KEYS_H_
