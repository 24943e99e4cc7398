// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/cookie_keys.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace authgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kSecretA(32, 'a');
const std::string kSecretB = "0123456789abcdef0123456789abcdef-and-longer";

TEST(CookieKeysTest, DerivesFromOneToEightSecrets) {
  for (size_t count = 1; count <= CookieKeys::kMaxSecrets; ++count) {
    std::vector<std::string> secrets;
    for (size_t i = 0; i < count; ++i) secrets.push_back(std::string(32 + i, 'k'));
    absl::StatusOr<std::shared_ptr<const CookieKeys>> keys = CookieKeys::Derive(secrets);
    ASSERT_TRUE(keys.ok()) << keys.status();
    EXPECT_EQ((*keys)->size(), count);
  }
}

TEST(CookieKeysTest, RefusesNoSecret) {
  absl::StatusOr<std::shared_ptr<const CookieKeys>> keys = CookieKeys::Derive({});
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CookieKeysTest, RefusesAShortSecretNamingItsIndexButNotItsContent) {
  const std::string short_secret = "s3cr3t-but-only-31-bytes-long!!";
  ASSERT_EQ(short_secret.size(), 31u);
  absl::StatusOr<std::shared_ptr<const CookieKeys>> keys =
      CookieKeys::Derive({kSecretA, short_secret});
  ASSERT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(keys.status().message());
  EXPECT_THAT(message, HasSubstr("index 1"));
  EXPECT_THAT(message, HasSubstr("32"));
  EXPECT_THAT(message, Not(HasSubstr(short_secret)));
  EXPECT_THAT(message, Not(HasSubstr("s3cr3t")));
}

TEST(CookieKeysTest, RefusesAnEmptySecret) {
  EXPECT_EQ(CookieKeys::Derive({std::string()}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CookieKeysTest, RefusesMoreThanEightSecrets) {
  std::vector<std::string> secrets(CookieKeys::kMaxSecrets + 1, kSecretA);
  absl::StatusOr<std::shared_ptr<const CookieKeys>> keys = CookieKeys::Derive(secrets);
  ASSERT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("8"));
  EXPECT_THAT(std::string(keys.status().message()), Not(HasSubstr(kSecretA)));
}

TEST(CookieKeysTest, DerivationIsDeterministicAndDependsOnTheSecret) {
  std::shared_ptr<const CookieKeys> a1 = *CookieKeys::Derive({kSecretA});
  std::shared_ptr<const CookieKeys> a2 = *CookieKeys::Derive({kSecretA});
  std::shared_ptr<const CookieKeys> b = *CookieKeys::Derive({kSecretB});
  CookieKeys::Mac mac_a1, mac_a2, mac_b;
  ASSERT_TRUE(a1->ComputeMac(0, "message", &mac_a1));
  ASSERT_TRUE(a2->ComputeMac(0, "message", &mac_a2));
  ASSERT_TRUE(b->ComputeMac(0, "message", &mac_b));
  EXPECT_EQ(mac_a1, mac_a2);
  EXPECT_NE(mac_a1, mac_b);
}

TEST(CookieKeysTest, TheFirstSecretSealsAndEverySecretOpens) {
  std::shared_ptr<const CookieKeys> keys = *CookieKeys::Derive({kSecretB, kSecretA});
  std::shared_ptr<const CookieKeys> only_a = *CookieKeys::Derive({kSecretA});
  const uint8_t nonce[CookieKeys::kNonceSize] = {1, 2, 3};
  std::string sealed, opened;
  ASSERT_TRUE(only_a->Seal(nonce, "aad", "plaintext", &sealed));
  EXPECT_EQ(sealed.size(), 9 + CookieKeys::kTagSize);
  EXPECT_FALSE(keys->Open(0, nonce, "aad", sealed, &opened));
  ASSERT_TRUE(keys->Open(1, nonce, "aad", sealed, &opened));
  EXPECT_EQ(opened, "plaintext");
  EXPECT_FALSE(keys->Open(1, nonce, "other aad", sealed, &opened));
  EXPECT_TRUE(opened.empty());
  EXPECT_FALSE(keys->Open(2, nonce, "aad", sealed, &opened));
}

TEST(CookieKeysTest, AnIndexOutOfRangeFails) {
  std::shared_ptr<const CookieKeys> keys = *CookieKeys::Derive({kSecretA});
  CookieKeys::Mac mac;
  EXPECT_FALSE(keys->ComputeMac(1, "message", &mac));
}

TEST(CookieKeysTest, IsSafeToUseFromManyThreads) {
  std::shared_ptr<const CookieKeys> keys = *CookieKeys::Derive({kSecretA, kSecretB});
  CookieKeys::Mac expected;
  ASSERT_TRUE(keys->ComputeMac(1, "message", &expected));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const uint8_t nonce[CookieKeys::kNonceSize] = {static_cast<uint8_t>(t)};
      for (int i = 0; i < 200; ++i) {
        CookieKeys::Mac mac;
        std::string sealed, opened;
        if (!keys->ComputeMac(1, "message", &mac) || mac != expected ||
            !keys->Seal(nonce, "aad", "text", &sealed) ||
            !keys->Open(0, nonce, "aad", sealed, &opened) || opened != "text") {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace authgate
