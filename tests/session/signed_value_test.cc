// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/signed_value.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace authgate {
namespace {

using ::testing::HasSubstr;

const std::string kOldSecret(32, 'o');
const std::string kNewSecret(40, 'n');
const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z
const absl::Time kExpiry = kNow + absl::Minutes(10);
const CookieBinding kBinding{"__Host-authgate_state", "app.example"};

std::shared_ptr<const CookieKeys> Keys(const std::vector<std::string>& secrets) {
  absl::StatusOr<std::shared_ptr<const CookieKeys>> keys = CookieKeys::Derive(secrets);
  EXPECT_TRUE(keys.ok()) << keys.status();
  return *keys;
}

class SignedValueTest : public ::testing::Test {
 protected:
  // Verify returns the reason (kNone on success) and the value.
  Reason Verify(std::string_view text, absl::Time now = kNow,
                const CookieBinding& binding = kBinding, const CookieKeys* keys = nullptr) {
    value_.clear();
    why_ = Rejection();
    if (VerifySignedValue(keys != nullptr ? *keys : *keys_, binding, now, text, &value_, &why_)) {
      return Reason::kNone;
    }
    EXPECT_FALSE(why_.detail.empty());
    return why_.reason;
  }

  // ExpectEveryChangeRejected alters each character of text[begin, end) in
  // turn, to a few other characters, and expects session_invalid each time.
  void ExpectEveryChangeRejected(const std::string& text, size_t begin, size_t end) {
    ASSERT_LT(begin, end);
    ASSERT_LE(end, text.size());
    for (size_t i = begin; i < end; ++i) {
      for (char replacement : {'A', 'B', 'w', '0', '1', '9', '-', '_', '.'}) {
        if (text[i] == replacement) continue;
        std::string altered = text;
        altered[i] = replacement;
        EXPECT_EQ(Verify(altered), Reason::kSessionInvalid) << "position " << i << " -> "
                                                            << replacement;
      }
    }
  }

  std::shared_ptr<const CookieKeys> keys_ = Keys({kNewSecret, kOldSecret});
  std::string value_;
  Rejection why_;
};

TEST_F(SignedValueTest, RoundTrip) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "return=/orders?page=2");
  ASSERT_EQ(Verify(text), Reason::kNone) << why_.detail;
  EXPECT_EQ(value_, "return=/orders?page=2");
  EXPECT_EQ(text.substr(0, 13), "1.1767226200.");
}

TEST_F(SignedValueTest, RoundTripOfEmptyAndBinaryValues) {
  std::string binary;
  for (int c = 0; c < 256; ++c) binary.push_back(static_cast<char>(c));
  for (const std::string& value : {std::string(), binary}) {
    ASSERT_EQ(Verify(SignValue(*keys_, kBinding, kExpiry, value)), Reason::kNone) << why_.detail;
    EXPECT_EQ(value_, value);
  }
}

TEST_F(SignedValueTest, OutputIsCookieAndUrlSafe) {
  std::string binary;
  for (int c = 0; c < 256; ++c) binary.push_back(static_cast<char>(c));
  const std::string text = SignValue(*keys_, kBinding, kExpiry, binary);
  for (char c : text) {
    EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.')
        << c;
  }
}

TEST_F(SignedValueTest, TamperedVersionIsInvalid) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "v");
  ExpectEveryChangeRejected(text, 0, 2);
  EXPECT_EQ(Verify("2" + text.substr(1)), Reason::kSessionInvalid);
}

TEST_F(SignedValueTest, TamperedExpiryIsInvalid) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "v");
  ExpectEveryChangeRejected(text, 2, 12);
}

TEST_F(SignedValueTest, NonCanonicalExpiryIsInvalid) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "v");
  const std::string rest = text.substr(2);
  EXPECT_EQ(Verify("1.0" + rest), Reason::kSessionInvalid);
  EXPECT_EQ(Verify("1.+" + rest), Reason::kSessionInvalid);
}

TEST_F(SignedValueTest, TamperedValueIsInvalid) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "user=alice;role=reader");
  const size_t value_begin = text.find('.', 2) + 1;
  const size_t value_end = text.find('.', value_begin);
  ExpectEveryChangeRejected(text, value_begin, value_end);
}

TEST_F(SignedValueTest, TamperedMacIsInvalid) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "v");
  ExpectEveryChangeRejected(text, text.rfind('.') + 1, text.size());
}

TEST_F(SignedValueTest, ATamperedValueIsInvalidEvenWhenAlsoExpired) {
  std::string text = SignValue(*keys_, kBinding, kExpiry, "v");
  text[text.size() - 2] = text[text.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Verify(text, kExpiry + absl::Hours(1)), Reason::kSessionInvalid);
}

TEST_F(SignedValueTest, TruncatedIsInvalid) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "some value");
  for (size_t size = 0; size < text.size(); ++size) {
    EXPECT_EQ(Verify(text.substr(0, size)), Reason::kSessionInvalid) << size;
  }
}

TEST_F(SignedValueTest, ExtendedIsInvalid) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "v");
  EXPECT_EQ(Verify(text + "A"), Reason::kSessionInvalid);
  EXPECT_EQ(Verify(text + ".AAAA"), Reason::kSessionInvalid);
}

TEST_F(SignedValueTest, AnotherCookieNameIsInvalid) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "v");
  EXPECT_EQ(Verify(text, kNow, CookieBinding{"__Host-authgate_session", kBinding.host}),
            Reason::kSessionInvalid);
}

TEST_F(SignedValueTest, AnotherHostIsInvalid) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "v");
  EXPECT_EQ(Verify(text, kNow, CookieBinding{kBinding.name, "evil.example"}),
            Reason::kSessionInvalid);
  EXPECT_EQ(Verify(text, kNow, CookieBinding{kBinding.name, "app.example:8443"}),
            Reason::kSessionInvalid);
}

TEST_F(SignedValueTest, FieldBoundariesAreUnambiguous) {
  const std::string text = SignValue(*keys_, CookieBinding{"ab", "c"}, kExpiry, "v");
  EXPECT_EQ(Verify(text, kNow, CookieBinding{"ab", "c"}), Reason::kNone);
  EXPECT_EQ(Verify(text, kNow, CookieBinding{"a", "bc"}), Reason::kSessionInvalid);
  EXPECT_EQ(Verify(text, kNow, CookieBinding{"abc", ""}), Reason::kSessionInvalid);
}

TEST_F(SignedValueTest, ExpiredWhenAuthentic) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "v");
  EXPECT_EQ(Verify(text, kExpiry - absl::Seconds(1)), Reason::kNone);
  EXPECT_EQ(Verify(text, kExpiry), Reason::kSessionExpired);
  EXPECT_THAT(why_.detail, HasSubstr("2026-01-01T00:10:00Z"));
  EXPECT_TRUE(value_.empty());
  EXPECT_EQ(Verify(text, kExpiry + absl::Hours(100)), Reason::kSessionExpired);
}

TEST_F(SignedValueTest, WrongKeyIsInvalid) {
  std::shared_ptr<const CookieKeys> other = Keys({std::string(32, 'x')});
  const std::string text = SignValue(*other, kBinding, kExpiry, "v");
  EXPECT_EQ(Verify(text), Reason::kSessionInvalid);
}

TEST_F(SignedValueTest, RotationOldKeyVerifiesNewKeySigns) {
  std::shared_ptr<const CookieKeys> old_only = Keys({kOldSecret});
  std::shared_ptr<const CookieKeys> new_only = Keys({kNewSecret});
  // Issued before the rotation: still accepted while the old secret is listed.
  const std::string before = SignValue(*old_only, kBinding, kExpiry, "v");
  EXPECT_EQ(Verify(before), Reason::kNone);
  // Issued after: signed with the new (first) secret only.
  const std::string after = SignValue(*keys_, kBinding, kExpiry, "v");
  EXPECT_EQ(Verify(after, kNow, kBinding, new_only.get()), Reason::kNone);
  EXPECT_EQ(Verify(after, kNow, kBinding, old_only.get()), Reason::kSessionInvalid);
  // Once the old secret is removed, what it signed is refused.
  EXPECT_EQ(Verify(before, kNow, kBinding, new_only.get()), Reason::kSessionInvalid);
}

TEST_F(SignedValueTest, GarbageIsInvalid) {
  for (const char* garbage : {"", ".", "1", "1.", "1..", "1...", "1.1767226200..",
                              "1.x.dg.AAAA", "1.1767226200.dg", "1.-.dg.AAAA",
                              "1.1767226200.dg=.AAAA", "1.1767226200.d g.AAAA",
                              "1.99999999999999999999.dg.AAAA", "not a signed value",
                              "\xff\xfe\x00"}) {
    EXPECT_EQ(Verify(garbage), Reason::kSessionInvalid) << garbage;
  }
}

TEST_F(SignedValueTest, OversizedIsInvalidBeforeAnyWork) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, std::string(7000, 'v'));
  ASSERT_GT(text.size(), kMaxSignedText);
  EXPECT_EQ(Verify(text), Reason::kSessionInvalid);
  EXPECT_THAT(why_.detail, HasSubstr("larger than 8192"));
  EXPECT_EQ(Verify(std::string(kMaxSignedText + 1, 'A')), Reason::kSessionInvalid);
  EXPECT_THAT(why_.detail, HasSubstr("larger than 8192"));
}

TEST_F(SignedValueTest, DetailsNeverContainTheValue) {
  const std::string text = SignValue(*keys_, kBinding, kExpiry, "secret-token-material");
  std::string altered = text;
  altered[text.size() - 1] = altered[text.size() - 1] == 'A' ? 'Q' : 'A';
  Verify(altered);
  EXPECT_EQ(why_.detail.find(text.substr(13, 20)), std::string::npos);
  EXPECT_EQ(why_.detail.find("secret-token"), std::string::npos);
}

}  // namespace
}  // namespace authgate
