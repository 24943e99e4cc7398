// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// verified_token.h: what a successful verification yields: the token's header
// and claims (parsed, owned) and which key and algorithm verified it.
//
//   VerifiedToken token;
//   if (verifier->Verify(text, now, &token, &why)) {
//     std::string_view sub = token.claims().Find("sub").string();
//   }
//
// The data is immutable and shared: copying a VerifiedToken, or handing out
// one from the verified-token cache, costs a reference count.

#ifndef AUTHGATE_SRC_JWT_VERIFIED_TOKEN_H_
#define AUTHGATE_SRC_JWT_VERIFIED_TOKEN_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jose/algorithm.h"
#include "jose/json.h"
#include "jwt/claims_validator.h"

namespace authgate {

// TokenRecord is the shared, immutable body of a VerifiedToken.
struct TokenRecord {
  JsonDocument header;
  JsonDocument claims;
  Algorithm algorithm = Algorithm::kRS256;
  std::optional<std::string> kid;  // of the key that verified the token
  ClaimTimes times;
  // The verifier's key generation when the token was verified: a cached
  // verdict only counts while the keys have not changed.
  uint64_t key_generation = 0;
};

class VerifiedToken {
 public:
  VerifiedToken() = default;
  explicit VerifiedToken(std::shared_ptr<const TokenRecord> record) : record_(std::move(record)) {}

  bool has_value() const { return record_ != nullptr; }
  JsonValue claims() const { return record_->claims.root(); }
  // claims_json is the payload exactly as signed.
  std::string_view claims_json() const { return record_->claims.text(); }
  std::string_view header_json() const { return record_->header.text(); }
  Algorithm algorithm() const { return record_->algorithm; }
  const std::optional<std::string>& key_id() const { return record_->kid; }
  const std::shared_ptr<const TokenRecord>& record() const { return record_; }

 private:
  std::shared_ptr<const TokenRecord> record_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_JWT_VERIFIED_TOKEN_H_
