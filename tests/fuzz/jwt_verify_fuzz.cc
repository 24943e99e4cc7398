// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the whole verification path with arbitrary tokens against fixed
// keys of each family: nothing may crash, leak or hang, every rejection must
// carry a reason, and a token the fuzzer finds valid would be a forgery.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "jose/key_set.h"
#include "jwt/jwt_verifier.h"

namespace {

// Fixed public keys (RFC 7515 A.3 EC key and a 32-byte HMAC key).
constexpr char kJwksEc[] =
    R"({"keys":[{"kty":"EC","crv":"P-256","kid":"e",)"
    R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";
constexpr char kJwksHmac[] =
    R"({"keys":[{"kty":"oct","kid":"h","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]})";

std::unique_ptr<authgate::JwtVerifier> Make(const char* jwks) {
  auto loaded = authgate::KeySet::FromText(jwks);
  FUZZ_CHECK(loaded.ok());
  authgate::JwtVerifierOptions options;
  options.claims.require_exp = false;
  options.cache.max_entries = 16;
  auto verifier = authgate::JwtVerifier::Create(loaded->keys, options);
  FUZZ_CHECK(verifier.ok());
  return std::move(*verifier);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* ec = Make(kJwksEc).release();
  static const auto* hmac = Make(kJwksHmac).release();
  std::string_view token(reinterpret_cast<const char*>(data), size);
  for (const authgate::JwtVerifier* verifier : {ec, hmac}) {
    authgate::Rejection why;
    authgate::VerifiedToken out;
    FUZZ_CHECK(!verifier->Verify(token, absl::FromUnixSeconds(1700000000), &out, &why));
    FUZZ_CHECK(why.reason != authgate::Reason::kNone && !why.detail.empty());
  }
  return 0;
}
