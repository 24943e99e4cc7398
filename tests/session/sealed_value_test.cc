// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/sealed_value.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jose/base64url.h"

namespace authgate {
namespace {

using ::testing::HasSubstr;

const std::string kOldSecret(32, 'o');
const std::string kNewSecret(40, 'n');
const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z
const absl::Time kExpiry = kNow + absl::Hours(1);
const CookieBinding kBinding{"__Host-authgate_session", "app.example"};
const std::string kPlaintext = R"({"sub":"alice","access_token":"eyJhbGciOi..."})";

// Byte regions of the decoded sealed value.
constexpr size_t kVersionAt = 0;
constexpr size_t kExpiryAt = 1;
constexpr size_t kNonceAt = 9;
constexpr size_t kCiphertextAt = 21;

std::shared_ptr<const CookieKeys> Keys(const std::vector<std::string>& secrets) {
  absl::StatusOr<std::shared_ptr<const CookieKeys>> keys = CookieKeys::Derive(secrets);
  EXPECT_TRUE(keys.ok()) << keys.status();
  return *keys;
}

std::string Decode(std::string_view text) {
  std::string raw;
  EXPECT_TRUE(Base64UrlDecode(text, &raw));
  return raw;
}

class SealedValueTest : public ::testing::Test {
 protected:
  Reason Open(std::string_view text, absl::Time now = kNow,
              const CookieBinding& binding = kBinding, const CookieKeys* keys = nullptr) {
    plaintext_.clear();
    why_ = Rejection();
    if (OpenSealedValue(keys != nullptr ? *keys : *keys_, binding, now, text, &plaintext_,
                        &why_)) {
      return Reason::kNone;
    }
    EXPECT_FALSE(why_.detail.empty());
    EXPECT_TRUE(plaintext_.empty());
    return why_.reason;
  }

  // ExpectEveryBitFlipRejected flips each bit of raw[begin, end) of the
  // decoded value in turn, re-encodes it, and expects session_invalid.
  void ExpectEveryBitFlipRejected(size_t begin, size_t end) {
    const std::string raw = Decode(*SealValue(*keys_, kBinding, kExpiry, kPlaintext));
    ASSERT_LT(begin, end);
    ASSERT_LE(end, raw.size());
    for (size_t i = begin; i < end; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string altered = raw;
        altered[i] = static_cast<char>(altered[i] ^ (1 << bit));
        EXPECT_EQ(Open(Base64UrlEncode(altered)), Reason::kSessionInvalid)
            << "byte " << i << " bit " << bit;
      }
    }
  }

  std::shared_ptr<const CookieKeys> keys_ = Keys({kNewSecret, kOldSecret});
  std::string plaintext_;
  Rejection why_;
};

TEST_F(SealedValueTest, RoundTrip) {
  const std::string text = *SealValue(*keys_, kBinding, kExpiry, kPlaintext);
  ASSERT_EQ(Open(text), Reason::kNone) << why_.detail;
  EXPECT_EQ(plaintext_, kPlaintext);
  EXPECT_EQ(text.size(), SealedTextSize(kPlaintext.size()));
  EXPECT_EQ(text.find("alice"), std::string::npos);
}

TEST_F(SealedValueTest, RoundTripOfEmptyAndBinaryPlaintexts) {
  std::string binary;
  for (int c = 0; c < 256; ++c) binary.push_back(static_cast<char>(c));
  for (const std::string& plaintext : {std::string(), binary}) {
    const std::string text = *SealValue(*keys_, kBinding, kExpiry, plaintext);
    EXPECT_EQ(text.size(), SealedTextSize(plaintext.size()));
    ASSERT_EQ(Open(text), Reason::kNone) << why_.detail;
    EXPECT_EQ(plaintext_, plaintext);
  }
}

TEST_F(SealedValueTest, LayoutIsVersionExpiryNonceCiphertextTag) {
  const std::string raw = Decode(*SealValue(*keys_, kBinding, kExpiry, kPlaintext));
  ASSERT_EQ(raw.size(), kCiphertextAt + kPlaintext.size() + CookieKeys::kTagSize);
  EXPECT_EQ(raw[kVersionAt], 1);
  const std::string expiry = raw.substr(kExpiryAt, 8);
  // 1767229200 = 0x6955C710.
  EXPECT_EQ(expiry, std::string("\x00\x00\x00\x00\x69\x55\xC7\x10", 8));
}

TEST_F(SealedValueTest, EachSealUsesAFreshNonce) {
  const std::string a = *SealValue(*keys_, kBinding, kExpiry, kPlaintext);
  const std::string b = *SealValue(*keys_, kBinding, kExpiry, kPlaintext);
  EXPECT_NE(a, b);
  EXPECT_NE(Decode(a).substr(kNonceAt, CookieKeys::kNonceSize),
            Decode(b).substr(kNonceAt, CookieKeys::kNonceSize));
  EXPECT_EQ(Open(a), Reason::kNone);
  EXPECT_EQ(Open(b), Reason::kNone);
}

TEST_F(SealedValueTest, TamperedVersionIsInvalid) {
  ExpectEveryBitFlipRejected(kVersionAt, kExpiryAt);
}

TEST_F(SealedValueTest, TamperedExpiryIsInvalid) {
  ExpectEveryBitFlipRejected(kExpiryAt, kNonceAt);
}

TEST_F(SealedValueTest, AnExpiryPushedLaterIsInvalidNotExpired) {
  std::string raw = Decode(*SealValue(*keys_, kBinding, kExpiry, kPlaintext));
  raw[kExpiryAt + 3] = 0x7f;  // years later
  EXPECT_EQ(Open(Base64UrlEncode(raw), kExpiry + absl::Hours(1)), Reason::kSessionInvalid);
}

TEST_F(SealedValueTest, TamperedNonceIsInvalid) {
  ExpectEveryBitFlipRejected(kNonceAt, kCiphertextAt);
}

TEST_F(SealedValueTest, TamperedCiphertextIsInvalid) {
  ExpectEveryBitFlipRejected(kCiphertextAt, kCiphertextAt + kPlaintext.size());
}

TEST_F(SealedValueTest, TamperedTagIsInvalid) {
  const size_t tag_at = kCiphertextAt + kPlaintext.size();
  ExpectEveryBitFlipRejected(tag_at, tag_at + CookieKeys::kTagSize);
}

TEST_F(SealedValueTest, TamperedTextIsInvalid) {
  const std::string text = *SealValue(*keys_, kBinding, kExpiry, "short");
  for (size_t i = 0; i < text.size(); ++i) {
    std::string altered = text;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(Open(altered), Reason::kSessionInvalid) << i;
  }
}

TEST_F(SealedValueTest, TruncatedIsInvalid) {
  const std::string text = *SealValue(*keys_, kBinding, kExpiry, kPlaintext);
  for (size_t size = 0; size < text.size(); ++size) {
    EXPECT_EQ(Open(text.substr(0, size)), Reason::kSessionInvalid) << size;
  }
  const std::string raw = Decode(text);
  for (size_t size = 0; size < raw.size(); ++size) {
    EXPECT_EQ(Open(Base64UrlEncode(raw.substr(0, size))), Reason::kSessionInvalid) << size;
  }
}

TEST_F(SealedValueTest, ExtendedIsInvalid) {
  const std::string raw = Decode(*SealValue(*keys_, kBinding, kExpiry, kPlaintext));
  EXPECT_EQ(Open(Base64UrlEncode(raw + "x")), Reason::kSessionInvalid);
}

TEST_F(SealedValueTest, AnotherCookieNameIsInvalid) {
  const std::string text = *SealValue(*keys_, kBinding, kExpiry, kPlaintext);
  EXPECT_EQ(Open(text, kNow, CookieBinding{"__Host-authgate_state", kBinding.host}),
            Reason::kSessionInvalid);
}

TEST_F(SealedValueTest, AnotherHostIsInvalid) {
  const std::string text = *SealValue(*keys_, kBinding, kExpiry, kPlaintext);
  EXPECT_EQ(Open(text, kNow, CookieBinding{kBinding.name, "other.example"}),
            Reason::kSessionInvalid);
}

TEST_F(SealedValueTest, FieldBoundariesAreUnambiguous) {
  const std::string text = *SealValue(*keys_, CookieBinding{"ab", "c"}, kExpiry, kPlaintext);
  EXPECT_EQ(Open(text, kNow, CookieBinding{"ab", "c"}), Reason::kNone);
  EXPECT_EQ(Open(text, kNow, CookieBinding{"a", "bc"}), Reason::kSessionInvalid);
}

TEST_F(SealedValueTest, ExpiredWhenAuthentic) {
  const std::string text = *SealValue(*keys_, kBinding, kExpiry, kPlaintext);
  EXPECT_EQ(Open(text, kExpiry - absl::Seconds(1)), Reason::kNone);
  EXPECT_EQ(Open(text, kExpiry), Reason::kSessionExpired);
  EXPECT_THAT(why_.detail, HasSubstr("2026-01-01T01:00:00Z"));
}

TEST_F(SealedValueTest, WrongKeyIsInvalid) {
  std::shared_ptr<const CookieKeys> other = Keys({std::string(32, 'x')});
  EXPECT_EQ(Open(*SealValue(*other, kBinding, kExpiry, kPlaintext)), Reason::kSessionInvalid);
}

TEST_F(SealedValueTest, RotationOldKeyOpensNewKeySeals) {
  std::shared_ptr<const CookieKeys> old_only = Keys({kOldSecret});
  std::shared_ptr<const CookieKeys> new_only = Keys({kNewSecret});
  const std::string before = *SealValue(*old_only, kBinding, kExpiry, kPlaintext);
  EXPECT_EQ(Open(before), Reason::kNone);
  const std::string after = *SealValue(*keys_, kBinding, kExpiry, kPlaintext);
  EXPECT_EQ(Open(after, kNow, kBinding, new_only.get()), Reason::kNone);
  EXPECT_EQ(Open(after, kNow, kBinding, old_only.get()), Reason::kSessionInvalid);
  EXPECT_EQ(Open(before, kNow, kBinding, new_only.get()), Reason::kSessionInvalid);
}

TEST_F(SealedValueTest, GarbageIsInvalid) {
  for (const char* garbage : {"", "A", "AAAA", "not base64!", "AQ==", "....", "1.abc.def"}) {
    EXPECT_EQ(Open(garbage), Reason::kSessionInvalid) << garbage;
  }
  EXPECT_EQ(Open(std::string(200, 'A')), Reason::kSessionInvalid);
}

TEST_F(SealedValueTest, OversizedIsInvalidBeforeAnyWork) {
  EXPECT_EQ(Open(std::string(kMaxSealedText + 1, 'A')), Reason::kSessionInvalid);
  EXPECT_THAT(why_.detail, HasSubstr("larger than"));
  const std::string big = *SealValue(*keys_, kBinding, kExpiry, std::string(50000, 'p'));
  ASSERT_GT(big.size(), kMaxSealedText);
  EXPECT_EQ(Open(big), Reason::kSessionInvalid);
}

TEST_F(SealedValueTest, DetailsNeverContainThePlaintext) {
  std::string raw = Decode(*SealValue(*keys_, kBinding, kExpiry, kPlaintext));
  raw.back() = static_cast<char>(raw.back() ^ 1);
  Open(Base64UrlEncode(raw));
  EXPECT_EQ(why_.detail.find("alice"), std::string::npos);
}

}  // namespace
}  // namespace authgate
