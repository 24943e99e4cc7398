// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jose/base64url.h"

#include <string>

#include "gtest/gtest.h"

namespace authgate {
namespace {

TEST(Base64UrlTest, DecodesRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},           {"Zg", "f"},          {"Zm8", "fo"},        {"Zm9v", "foo"},
      {"Zm9vYg", "foob"}, {"Zm9vYmE", "fooba"}, {"Zm9vYmFy", "foobar"}};
  for (const auto& [encoded, decoded] : vectors) {
    std::string out;
    ASSERT_TRUE(Base64UrlDecode(encoded, &out)) << encoded;
    EXPECT_EQ(out, decoded);
    EXPECT_EQ(Base64UrlEncode(decoded), encoded);
  }
}

TEST(Base64UrlTest, UsesUrlAlphabet) {
  std::string out;
  ASSERT_TRUE(Base64UrlDecode("-_8", &out));
  EXPECT_EQ(out, std::string("\xfb\xff", 2));
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
}

TEST(Base64UrlTest, RejectsEverythingNotStrict) {
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("Zg==", &out)) << "padding";
  EXPECT_FALSE(Base64UrlDecode("Zm9v\n", &out)) << "newline";
  EXPECT_FALSE(Base64UrlDecode(" Zm9v", &out)) << "space";
  EXPECT_FALSE(Base64UrlDecode("+_8", &out)) << "standard alphabet +";
  EXPECT_FALSE(Base64UrlDecode("-/8", &out)) << "standard alphabet /";
  EXPECT_FALSE(Base64UrlDecode("Z", &out)) << "length 1 mod 4";
  EXPECT_FALSE(Base64UrlDecode("Zm9vY", &out)) << "length 1 mod 4";
  EXPECT_FALSE(Base64UrlDecode("Zh", &out)) << "non-zero trailing bits (2 chars)";
  EXPECT_FALSE(Base64UrlDecode("Zm9", &out)) << "non-zero trailing bits (3 chars)";
  EXPECT_FALSE(Base64UrlDecode(std::string("Zm\0v", 4), &out)) << "NUL";
  EXPECT_FALSE(Base64UrlDecode("Zm9v?A", &out));
  EXPECT_FALSE(Base64UrlDecode("Zm\xc3\xa9", &out)) << "non-ASCII";
}

TEST(Base64UrlTest, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 7) {
    std::string out;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(all.substr(0, len)), &out));
    EXPECT_EQ(out, all.substr(0, len));
  }
}

TEST(Base64Test, StandardWithPaddingForX5c) {
  std::string out;
  ASSERT_TRUE(Base64Decode("Zm9vYg==", &out));
  EXPECT_EQ(out, "foob");
  ASSERT_TRUE(Base64Decode("+/8=", &out));
  EXPECT_EQ(out, std::string("\xfb\xff", 2));
  EXPECT_FALSE(Base64Decode("Zm9vYg", &out)) << "padding is mandatory";
  EXPECT_FALSE(Base64Decode("Zm9vYg=", &out));
  EXPECT_FALSE(Base64Decode("-_8=", &out)) << "url alphabet";
  EXPECT_FALSE(Base64Decode("Zm=v", &out));
  EXPECT_FALSE(Base64Decode("Zm9v\nYg==", &out));
}

}  // namespace
}  // namespace authgate
