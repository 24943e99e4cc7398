// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/signout_token.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "session/signed_value.h"

namespace authgate {
namespace {

const std::string kOldSecret(32, 'o');
const std::string kNewSecret(40, 'n');

std::shared_ptr<const CookieKeys> Keys(const std::vector<std::string>& secrets) {
  absl::StatusOr<std::shared_ptr<const CookieKeys>> keys = CookieKeys::Derive(secrets);
  EXPECT_TRUE(keys.ok()) << keys.status();
  return *keys;
}

TEST(SignOutTokenTest, VerifiesForItsSessionOnly) {
  std::shared_ptr<const CookieKeys> keys = Keys({kNewSecret});
  std::string token = SignOutToken(*keys, "session-1");
  ASSERT_EQ(token.size(), 43u);
  EXPECT_TRUE(VerifySignOutToken(*keys, "session-1", token));
  EXPECT_FALSE(VerifySignOutToken(*keys, "session-2", token));
  EXPECT_FALSE(VerifySignOutToken(*Keys({kOldSecret}), "session-1", token));
}

TEST(SignOutTokenTest, MalformedOrTamperedTokensDoNotVerify) {
  std::shared_ptr<const CookieKeys> keys = Keys({kNewSecret});
  std::string token = SignOutToken(*keys, "session-1");
  std::string tampered = token;
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string(), tampered, token.substr(0, 42), token + "AA",
                                 std::string(43, '*'), token + "="}) {
    EXPECT_FALSE(VerifySignOutToken(*keys, "session-1", bad)) << bad;
  }
}

TEST(SignOutTokenTest, RotatedSecretsStillVerify) {
  std::string token = SignOutToken(*Keys({kOldSecret}), "session-1");
  EXPECT_TRUE(VerifySignOutToken(*Keys({kNewSecret, kOldSecret}), "session-1", token));
}

TEST(SignOutTokenTest, IsNotASignedValueOfTheSameId) {
  // The domain tag keeps the token apart from anything else the keys sign.
  std::shared_ptr<const CookieKeys> keys = Keys({kNewSecret});
  std::string signed_value = SignValue(*keys, CookieBinding{"", ""}, absl::InfiniteFuture(),
                                       "session-1");
  std::string mac = signed_value.substr(signed_value.rfind('.') + 1);
  EXPECT_FALSE(VerifySignOutToken(*keys, "session-1", mac));
}

}  // namespace
}  // namespace authgate
