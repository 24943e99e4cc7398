// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// PKCE S256 and the random values of the login flow.

#include "oidc/pkce.h"

#include <set>

#include "gtest/gtest.h"

namespace authgate {
namespace {

TEST(PkceTest, ChallengeMatchesRfc7636AppendixB) {
  EXPECT_EQ(PkceChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(PkceTest, RandomValuesAreUnpaddedBase64UrlOfTheRequestedSize) {
  std::string value = *RandomUrlSafe(32);
  EXPECT_EQ(value.size(), 43u) << "32 bytes: a verifier of the minimum RFC 7636 length";
  for (char c : value) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
  }
  EXPECT_EQ(*RandomUrlSafe(0), "");
}

TEST(PkceTest, AFailingGeneratorIsAStatusNotAnAbort) {
  class Failing final : public RandomSource {
   public:
    absl::Status Fill(unsigned char*, size_t) const override {
      return absl::UnavailableError("no entropy");
    }
  } failing;
  absl::StatusOr<std::string> value = RandomUrlSafe(32, failing);
  EXPECT_TRUE(absl::IsUnavailable(value.status())) << value.status();
}

TEST(PkceTest, RandomValuesDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(*RandomUrlSafe(16)).second);
}

}  // namespace
}  // namespace authgate
