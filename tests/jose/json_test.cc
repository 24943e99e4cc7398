// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jose/json.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace authgate {
namespace {

using std::string_literals::operator""s;

// Accepts tells whether `text` parses under `limits`.
bool Accepts(std::string_view text, const JsonLimits& limits = JsonLimits()) {
  JsonDocument doc;
  return doc.Parse(text, limits).ok();
}

// ErrorOf parses `text`, which must fail, and returns the error message.
std::string ErrorOf(std::string_view text, const JsonLimits& limits = JsonLimits()) {
  JsonDocument doc;
  const absl::Status status = doc.Parse(text, limits);
  EXPECT_FALSE(status.ok()) << testing::PrintToString(std::string(text));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

std::string Quoted(std::string_view text) {
  std::string out;
  JsonQuote(text, &out);
  return out;
}

// ParseOrDie parses `text` into `doc`, which must succeed, and returns its root.
JsonValue ParseOrDie(std::string_view text, JsonDocument* doc) {
  const absl::Status status = doc->Parse(text, JsonLimits());
  EXPECT_TRUE(status.ok()) << status << " for " << testing::PrintToString(std::string(text));
  return doc->root();
}

std::string Nested(int depth, char open, char close) {
  return std::string(depth, open) + std::string(depth, close);
}

// ObjectWithMembers returns {"m0":0,"m1":1,...} with `count` members, then
// the members of `extra`, which is either empty or starts with ','.
std::string ObjectWithMembers(int count, std::string_view extra = "") {
  std::string text = "{";
  for (int i = 0; i < count; ++i) {
    if (i > 0) text += ',';
    text += "\"m" + std::to_string(i) + "\":" + std::to_string(i);
  }
  text.append(extra);
  text += '}';
  return text;
}

TEST(JsonTest, AcceptsEveryType) {
  JsonDocument doc;
  EXPECT_TRUE(ParseOrDie("null", &doc).is_null());
  EXPECT_EQ(doc.root().type(), JsonType::kNull);
  EXPECT_TRUE(ParseOrDie("true", &doc).is_bool());
  EXPECT_TRUE(doc.root().bool_value());
  EXPECT_EQ(doc.root().type(), JsonType::kTrue);
  EXPECT_TRUE(ParseOrDie("false", &doc).is_bool());
  EXPECT_FALSE(doc.root().bool_value());
  EXPECT_EQ(doc.root().type(), JsonType::kFalse);
  EXPECT_TRUE(ParseOrDie("-12.5e3", &doc).is_number());
  EXPECT_EQ(doc.root().number_text(), "-12.5e3");
  EXPECT_TRUE(ParseOrDie("\"text\"", &doc).is_string());
  EXPECT_EQ(doc.root().string(), "text");
  EXPECT_TRUE(ParseOrDie("[]", &doc).is_array());
  EXPECT_EQ(doc.root().size(), 0u);
  EXPECT_TRUE(ParseOrDie("{}", &doc).is_object());
  EXPECT_EQ(doc.root().size(), 0u);

  const JsonValue root = ParseOrDie(
      R"({"n":null,"t":true,"f":false,"num":1,"s":"x","a":[1,[],{}],"o":{"p":{}}})", &doc);
  ASSERT_TRUE(root.is_object());
  EXPECT_EQ(root.size(), 7u);
  EXPECT_TRUE(root.Find("n").is_null());
  EXPECT_TRUE(root.Find("t").bool_value());
  EXPECT_TRUE(root.Find("f").is_bool());
  EXPECT_TRUE(root.Find("num").is_number());
  EXPECT_EQ(root.Find("s").string(), "x");
  EXPECT_EQ(root.Find("a").size(), 3u);
  EXPECT_TRUE(root.Find("o").Find("p").is_object());
}

TEST(JsonTest, AcceptsWhitespaceAroundTokens) {
  JsonDocument doc;
  const JsonValue root = ParseOrDie(" \t\r\n{ \"a\" :\t[ 1 ,\n2 ] ,\r\"b\" : { } } \n\t", &doc);
  EXPECT_EQ(root.Find("a").size(), 2u);
  EXPECT_TRUE(root.Find("b").is_object());
  EXPECT_EQ(root.raw_text(), "{ \"a\" :\t[ 1 ,\n2 ] ,\r\"b\" : { } }");
}

TEST(JsonTest, RejectsEmptyAndWhitespaceOnlyText) {
  EXPECT_EQ(ErrorOf(""), "invalid JSON at byte 0: expected a value");
  EXPECT_EQ(ErrorOf(" \n\t\r"), "invalid JSON at byte 4: expected a value");
}

TEST(JsonTest, RejectsWhitespaceOtherThanTheFourOfTheRfc) {
  EXPECT_FALSE(Accepts("\f1"));
  EXPECT_FALSE(Accepts("\v1"));
  EXPECT_FALSE(Accepts("1\xC2\xA0"));  // No-break space.
  EXPECT_FALSE(Accepts("[1,\0002]"s));
}

TEST(JsonTest, AcceptsValidUtf8IncludingBoundaries) {
  const std::string samples[] = {
      "\xC2\x80",          // U+0080
      "\xDF\xBF",          // U+07FF
      "\xE0\xA0\x80",      // U+0800
      "\xED\x9F\xBF",      // U+D7FF, last before the surrogates
      "\xEE\x80\x80",      // U+E000, first after the surrogates
      "\xEF\xBB\xBF",      // U+FEFF inside a string is content, not a BOM
      "\xEF\xBF\xBF",      // U+FFFF
      "\xF0\x90\x80\x80",  // U+10000
      "\xF4\x8F\xBF\xBF",  // U+10FFFF
      "h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC \xF0\x9F\x98\x80",
  };
  for (const std::string& sample : samples) {
    JsonDocument doc;
    EXPECT_EQ(ParseOrDie("\"" + sample + "\"", &doc).string(), sample);
    EXPECT_EQ(ParseOrDie("{\"" + sample + "\":1}", &doc).Find(sample).number_text(), "1");
  }
}

TEST(JsonTest, RejectsInvalidUtf8) {
  const std::string samples[] = {
      "\xC0\xAF",          // Overlong '/'.
      "\xC1\xBF",          // Overlong.
      "\xE0\x80\xAF",      // Overlong 3-byte form.
      "\xE0\x9F\xBF",      // Overlong 3-byte form, highest.
      "\xF0\x80\x80\xAF",  // Overlong 4-byte form.
      "\xF0\x8F\xBF\xBF",  // Overlong 4-byte form, highest.
      "\xED\xA0\x80",      // Encoded surrogate U+D800.
      "\xED\xBF\xBF",      // Encoded surrogate U+DFFF.
      "\xF4\x90\x80\x80",  // U+110000.
      "\xF5\x80\x80\x80",  // Lead byte beyond U+10FFFF.
      "\xF8\x88\x80\x80\x80",
      "\xFE",
      "\xFF",
      "\x80",  // Lone continuation byte.
      "\xBF",
      "\xC3",  // Truncated sequences.
      "\xE2\x82",
      "\xF0\x9F\x98",
      "\xC3\x28",  // Lead byte followed by a non-continuation.
      "\xE2\x28\xA1",
      "\xE2\x82\x28",
      "\xF0\x28\x8C\xBC",
      "\xF0\x90\x28\xBC",
      "\xF0\x9F\x98\x28",
  };
  for (const std::string& sample : samples) {
    EXPECT_FALSE(Accepts("\"" + sample + "\"")) << testing::PrintToString(sample);
    EXPECT_FALSE(Accepts("{\"" + sample + "\":1}")) << testing::PrintToString(sample);
    EXPECT_FALSE(Accepts("[\"" + sample + "\"]")) << testing::PrintToString(sample);
  }
  EXPECT_EQ(ErrorOf("\"ab\xC0\xAF\""), "invalid JSON at byte 3: invalid UTF-8");
  // Sequences cut by the end of the text. A text of more than twice the inline
  // capacity is allocated to its exact size, so AddressSanitizer sees reads
  // past it.
  for (const std::string& cut : {"\xC3"s, "\xE2\x82"s, "\xF0\x9F\x98"s}) {
    EXPECT_FALSE(Accepts("\"" + cut)) << testing::PrintToString(cut);
    EXPECT_FALSE(Accepts("\"" + std::string(2000, 'a') + cut)) << testing::PrintToString(cut);
  }
}

TEST(JsonTest, RejectsNonAsciiOutsideStrings) {
  EXPECT_FALSE(Accepts("\xC3\xA9"));
  EXPECT_FALSE(Accepts("[1,\xC3\xA9]"));
  EXPECT_FALSE(Accepts("{\"a\":1}\xC2\xA0"));
}

TEST(JsonTest, RejectsByteOrderMark) {
  EXPECT_EQ(ErrorOf("\xEF\xBB\xBF{}"), "invalid JSON at byte 0: byte order mark");
  EXPECT_FALSE(Accepts(" \xEF\xBB\xBF{}"));
  EXPECT_FALSE(Accepts("{}\xEF\xBB\xBF"));
}

// Every position in and around the 16- and 8-byte blocks of the string
// scanner must see special bytes.
TEST(JsonTest, FindsSpecialBytesAtEveryPosition) {
  for (size_t length = 0; length <= 40; ++length) {
    const std::string content(length, 'a');
    JsonDocument doc;
    EXPECT_EQ(ParseOrDie("\"" + content + "\"", &doc).string(), content);
    EXPECT_EQ(ParseOrDie("[\"" + content + "\",1]", &doc).At(0).string(), content);
    for (size_t i = 0; i < length; ++i) {
      std::string bad = content;
      const std::string offset = std::to_string(1 + i);
      bad[i] = '\x1F';
      EXPECT_EQ(ErrorOf("\"" + bad + "\""),
                "invalid JSON at byte " + offset + ": control character in string");
      bad[i] = '\xFF';
      EXPECT_EQ(ErrorOf("\"" + bad + "\""), "invalid JSON at byte " + offset + ": invalid UTF-8");
      bad[i] = '"';
      EXPECT_FALSE(Accepts("\"" + bad + "\"")) << bad;
      bad[i] = '\\';
      EXPECT_FALSE(Accepts("\"" + bad + "\"")) << bad;

      std::string good = content;
      good.replace(i, 1, "\xC3\xA9");
      EXPECT_EQ(ParseOrDie("\"" + good + "\"", &doc).string(), good);
      good = content;
      good.replace(i, 1, "\\n");
      std::string decoded = content;
      decoded[i] = '\n';
      EXPECT_EQ(ParseOrDie("\"" + good + "\"", &doc).string(), decoded);
    }
  }
}

TEST(JsonTest, RejectsRawControlCharactersInStrings) {
  for (int c = 0; c < 0x20; ++c) {
    EXPECT_FALSE(Accepts("\"a" + std::string(1, static_cast<char>(c)) + "b\"")) << c;
  }
  JsonDocument doc;
  EXPECT_EQ(ParseOrDie("\"\x7F\"", &doc).string(), "\x7F");  // DEL is not a control character.
}

TEST(JsonTest, DecodesEveryEscape) {
  JsonDocument doc;
  EXPECT_EQ(ParseOrDie(R"("\"\\\/\b\f\n\r\t")", &doc).string(), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(ParseOrDie(R"("\u0041\u00e9\u00E9\u20AC")", &doc).string(),
            "A\xC3\xA9\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(ParseOrDie(R"("\ud83d\ude00")", &doc).string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(ParseOrDie(R"("\uD83D\uDE00")", &doc).string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(ParseOrDie(R"("\udbff\udfff")", &doc).string(), "\xF4\x8F\xBF\xBF");
  EXPECT_EQ(ParseOrDie(R"("\u007f\u0080\u07ff\u0800\uffff")", &doc).string(),
            "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF");
  EXPECT_EQ(ParseOrDie(R"("a\u0000b")", &doc).string(), "a\0b"s);
  EXPECT_EQ(ParseOrDie(R"("plain then \n escaped then plain")", &doc).string(),
            "plain then \n escaped then plain");
}

TEST(JsonTest, RejectsBadEscapes) {
  const char* samples[] = {
      R"("\x41")",         R"("\'")",
      R"("\a")",           R"("\U0041")",
      R"("\u12")",         R"("\u123")",
      R"("\u12G4")",       R"("\u-123")",
      R"("\ud800")",       R"("\ud800x")",
      R"("\ud800\u0041")", R"("\ud800\ud800")",
      R"("\ud800\n")",     R"("\ud800\udbff")",
      R"("\udc00")",       R"("\udfff")",
      R"("\udc00\ud800")", R"("\udc00\udc00")",
      R"("\udfff\udfff")", R"("\ud800\ue000")",
      R"("\ud800\u")",     R"("\)",
      R"("\u00)",          "\"\\\t\"",
      "\"\\\xC3\xA9\"",
  };
  for (const char* sample : samples) EXPECT_FALSE(Accepts(sample)) << sample;
  EXPECT_EQ(ErrorOf(R"(["ab\x"])"), "invalid JSON at byte 4: invalid escape");
  EXPECT_EQ(ErrorOf(R"("\u12")"), "invalid JSON at byte 1: invalid \\u escape");
  EXPECT_EQ(ErrorOf(R"("x\ud800")"), "invalid JSON at byte 2: unpaired surrogate in \\u escape");
  EXPECT_EQ(ErrorOf(R"("\udc00\ud800")"),
            "invalid JSON at byte 1: unpaired surrogate in \\u escape");
}

TEST(JsonTest, RejectsUnterminatedStrings) {
  EXPECT_EQ(ErrorOf(R"(["abc)"), "invalid JSON at byte 1: unterminated string");
  EXPECT_FALSE(Accepts(R"("abc\")"));
  EXPECT_FALSE(Accepts(R"("abc\\)"));
  EXPECT_FALSE(Accepts("\""));
  EXPECT_FALSE(Accepts(R"({"a)"));
}

TEST(JsonTest, AcceptsNumbersOfTheRfcGrammar) {
  const char* samples[] = {"0",
                           "-0",
                           "1",
                           "-1",
                           "10",
                           "1.5",
                           "-0.5",
                           "0.0",
                           "1e5",
                           "1E5",
                           "1e+2",
                           "1E+2",
                           "1e-2",
                           "0e0",
                           "-0E-0",
                           "1.5e3",
                           "12345678901234567890123456789012345678901234567890"};
  for (const char* sample : samples) {
    JsonDocument doc;
    EXPECT_EQ(ParseOrDie(sample, &doc).number_text(), sample);
    EXPECT_EQ(ParseOrDie("[" + std::string(sample) + "]", &doc).At(0).number_text(), sample);
  }
}

TEST(JsonTest, RejectsNumbersOutsideTheRfcGrammar) {
  const char* samples[] = {"01",    "-01", "00",    "+1",       "1.",        ".5",   "-.5",
                           "1.e5",  "1e",  "1e+",   "1e-",      "1E",        "-",    "--1",
                           "- 1",   "NaN", "nan",   "Infinity", "-Infinity", "inf",  "0x10",
                           "1_000", "1,5", "0.5.1", "1e5e5",    "1ee5",      "[01]", "{\"a\":01}",
                           "[1.]",  "[-]", "[.5]"};
  for (const char* sample : samples) EXPECT_FALSE(Accepts(sample)) << sample;
  EXPECT_EQ(ErrorOf("[01]"), "invalid JSON at byte 1: leading zero in number");
  EXPECT_EQ(ErrorOf("[1.]"), "invalid JSON at byte 3: invalid number");
  EXPECT_EQ(ErrorOf("+1"), "invalid JSON at byte 0: unexpected character");
}

TEST(JsonTest, RejectsLiteralsThatAreNotLowercase) {
  const char* samples[] = {"True", "TRUE",  "False", "NULL", "Null",  "nul",    "tru",
                           "fals", "truee", "nulll", "t",    "[nul]", "[tRue]", "undefined"};
  for (const char* sample : samples) EXPECT_FALSE(Accepts(sample)) << sample;
}

TEST(JsonTest, RejectsTrailingData) {
  EXPECT_EQ(ErrorOf("{} x"), "invalid JSON at byte 3: unexpected data after the value");
  EXPECT_FALSE(Accepts("1 2"));
  EXPECT_FALSE(Accepts("[]]"));
  EXPECT_FALSE(Accepts("{}}"));
  EXPECT_FALSE(Accepts("\"a\"\"b\""));
  EXPECT_FALSE(Accepts("{},{}"));
  EXPECT_FALSE(Accepts("null\0"s));
  EXPECT_TRUE(Accepts("{} \n"));
}

TEST(JsonTest, RejectsTrailingAndMissingCommas) {
  EXPECT_EQ(ErrorOf("[1,]"), "invalid JSON at byte 3: unexpected character");
  EXPECT_EQ(ErrorOf(R"({"a":1,})"), "invalid JSON at byte 7: expected a member name");
  EXPECT_FALSE(Accepts("[,1]"));
  EXPECT_FALSE(Accepts("[1,,2]"));
  EXPECT_FALSE(Accepts("{,}"));
  EXPECT_FALSE(Accepts("[,]"));
  EXPECT_EQ(ErrorOf("[1 2]"), "invalid JSON at byte 3: expected ',' or ']'");
  EXPECT_EQ(ErrorOf(R"({"a":1 "b":2})"), "invalid JSON at byte 7: expected ',' or '}'");
}

TEST(JsonTest, RejectsMalformedObjectsAndArrays) {
  EXPECT_EQ(ErrorOf(R"({"a" 1})"), "invalid JSON at byte 5: expected ':'");
  EXPECT_FALSE(Accepts("{1:2}"));
  EXPECT_FALSE(Accepts("{a:1}"));
  EXPECT_FALSE(Accepts("{'a':1}"));
  EXPECT_FALSE(Accepts(R"({"a"})"));
  EXPECT_FALSE(Accepts(R"({"a":})"));
  EXPECT_FALSE(Accepts(R"({"a"::1})"));
  EXPECT_FALSE(Accepts("[1}"));
  EXPECT_FALSE(Accepts(R"({"a":1])"));
  EXPECT_EQ(ErrorOf("["), "invalid JSON at byte 1: expected a value");
  EXPECT_EQ(ErrorOf("{"), "invalid JSON at byte 1: expected a member name");
  EXPECT_EQ(ErrorOf("[1,"), "invalid JSON at byte 3: expected a value");
  EXPECT_EQ(ErrorOf("[1"), "invalid JSON at byte 2: expected ',' or ']'");
  EXPECT_EQ(ErrorOf(R"({"a":1)"), "invalid JSON at byte 6: expected ',' or '}'");
  EXPECT_FALSE(Accepts(R"({"a":)"));
  EXPECT_FALSE(Accepts(R"({"a")"));
  EXPECT_FALSE(Accepts("[[[]]"));
}

TEST(JsonTest, RejectsDuplicateMemberNames) {
  EXPECT_EQ(ErrorOf(R"({"a":1,"a":2})"), "invalid JSON at byte 7: duplicate member name \"a\"");
  EXPECT_EQ(ErrorOf(R"({"alg":"none","alg":"RS256"})"),
            "invalid JSON at byte 14: duplicate member name \"alg\"");
  // Equal after unescaping.
  EXPECT_FALSE(Accepts(R"({"a":1,"\u0061":2})"));
  EXPECT_FALSE(Accepts(R"({"\u0061":1,"a":2})"));
  EXPECT_FALSE(Accepts(R"({"\u0061":1,"\u0061":2})"));
  EXPECT_FALSE(Accepts(R"({"\/":1,"/":2})"));
  EXPECT_FALSE(Accepts(R"({"a\u00e9":1,"a)"
                       "\xC3\xA9"
                       R"(":2})"));
  EXPECT_FALSE(Accepts(R"({"abcdefghijk":1,"abcdefghij\u006b":2})"));
  EXPECT_FALSE(Accepts(R"({"":1,"":2})"));
  // In nested objects, and in an object after a nested one closed.
  EXPECT_FALSE(Accepts(R"({"x":{"a":1,"a":2}})"));
  EXPECT_FALSE(Accepts(R"([{"a":1,"b":{"c":1},"a":2}])"));
  EXPECT_FALSE(Accepts(R"({"a":{"b":[{"c":1}]},"d":2,"a":3})"));
  // Long names that agree on their first and last eight bytes.
  EXPECT_FALSE(Accepts(R"({"abcdefgh_abcdefgh":1,"b":2,"abcdefgh_abcdefgh":3})"));
}

TEST(JsonTest, AcceptsNamesThatOnlyLookAlike) {
  JsonDocument doc;
  const JsonValue root = ParseOrDie(
      R"({"a":1,"a\u0000":2,"A":3,"ab":4,"abcdefgh1":5,"abcdefgh2":6,"1abcdefgh":7,)"
      R"("2abcdefgh":8,"abcdefgh_abcdefgh":9,"abcdefgh__abcdefgh":10,"":11,"x":{"a":12}})",
      &doc);
  EXPECT_EQ(root.size(), 12u);
  EXPECT_EQ(root.Find("a\0"s).number_text(), "2");
  EXPECT_EQ(root.Find("abcdefgh2").number_text(), "6");
  EXPECT_EQ(root.Find("").number_text(), "11");
  // The same name in sibling and nested objects is no duplicate.
  EXPECT_TRUE(Accepts(R"([{"a":1},{"a":1}])"));
  EXPECT_TRUE(Accepts(R"({"a":{"a":{"a":1}},"b":{"a":2}})"));
}

TEST(JsonTest, RejectsDuplicatesInObjectsBeyondTheLinearLimit) {
  for (int members : {16, 17, 18, 40, 2000}) {
    EXPECT_TRUE(Accepts(ObjectWithMembers(members))) << members;
    // A duplicate of the first, of one in the middle and of the last member.
    for (int duplicate : {0, members / 2, members - 1}) {
      const std::string name = "\"m" + std::to_string(duplicate) + "\"";
      EXPECT_FALSE(Accepts(ObjectWithMembers(members, "," + name + ":true")))
          << members << " " << duplicate;
    }
    EXPECT_FALSE(Accepts(ObjectWithMembers(members, R"(,"\u006d0":true)"))) << members;
  }
  // A duplicate right after the switch to hashing, of a name seen after it.
  EXPECT_FALSE(Accepts(ObjectWithMembers(20, R"(,"m17":1)")));
  const std::string text = ObjectWithMembers(17, R"(,"m3":1)");
  EXPECT_EQ(ErrorOf(text), "invalid JSON at byte " + std::to_string(text.size() - 7) +
                               ": duplicate member name \"m3\"");
}

TEST(JsonTest, TracksDuplicatesOfNestedBigObjectsSeparately) {
  // Both objects are above the linear limit; the inner one closes before the
  // outer one continues.
  std::string inner = ObjectWithMembers(30);
  std::string outer = ObjectWithMembers(20, ",\"inner\":" + inner + ",\"m100\":1");
  EXPECT_TRUE(Accepts(outer));
  outer = ObjectWithMembers(20, ",\"inner\":" + inner + ",\"m5\":1");
  EXPECT_FALSE(Accepts(outer));
  outer = ObjectWithMembers(20, ",\"inner\":" + ObjectWithMembers(30, ",\"m29\":0") + "");
  EXPECT_FALSE(Accepts(outer));
  // The inner object's names do not leak into the outer one.
  outer = ObjectWithMembers(20, ",\"inner\":" + ObjectWithMembers(30, ",\"x\":0") + ",\"x\":1");
  EXPECT_TRUE(Accepts(outer));
}

TEST(JsonTest, DetectsDuplicatesAmongManyEscapedNames) {
  // Escaped names live in a buffer that grows while the hash set holds them.
  std::string text = "{";
  for (int i = 0; i < 300; ++i) {
    text += "\"\\u006eame_with_an_escape_" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  }
  JsonDocument doc;
  const JsonValue root = ParseOrDie(text + "\"last\":0}", &doc);
  EXPECT_EQ(root.size(), 301u);
  EXPECT_EQ(root.Find("name_with_an_escape_123").number_text(), "123");
  EXPECT_FALSE(Accepts(text + "\"name_with_an_escape_7\":0}"));
  EXPECT_FALSE(Accepts(text + "\"name_with_an_escape_299\":0}"));
}

TEST(JsonTest, ParsesABigObjectInLinearTime) {
  // Quadratic duplicate detection would take minutes here.
  JsonDocument doc;
  const JsonLimits limits{64 << 20, 32};
  const std::string text = ObjectWithMembers(200000);
  ASSERT_TRUE(doc.Parse(text, limits).ok());
  EXPECT_EQ(doc.root().size(), 200000u);
  EXPECT_FALSE(doc.Parse(ObjectWithMembers(200000, R"(,"m199998":0)"), limits).ok());
}

TEST(JsonTest, EnforcesTheDepthLimitExactly) {
  for (int max_depth : {1, 2, 5, 32}) {
    JsonLimits limits;
    limits.max_depth = max_depth;
    EXPECT_TRUE(Accepts(Nested(max_depth, '[', ']'), limits)) << max_depth;
    EXPECT_EQ(ErrorOf(Nested(max_depth + 1, '[', ']'), limits),
              "invalid JSON at byte " + std::to_string(max_depth) + ": nesting deeper than " +
                  std::to_string(max_depth));
    std::string objects;
    for (int i = 0; i < max_depth; ++i) objects += "{\"a\":";
    EXPECT_TRUE(Accepts(objects + "1" + std::string(max_depth, '}'), limits));
    EXPECT_FALSE(Accepts(objects + "[]" + std::string(max_depth, '}'), limits));
    EXPECT_FALSE(Accepts(objects + "{}" + std::string(max_depth, '}'), limits));
  }
  EXPECT_TRUE(Accepts(Nested(32, '[', ']')));
  EXPECT_FALSE(Accepts(Nested(33, '[', ']')));
  // Depth counts open containers, not all containers seen.
  JsonLimits two;
  two.max_depth = 2;
  EXPECT_TRUE(Accepts("[[],[],{\"a\":1},[1]]", two));
  EXPECT_FALSE(Accepts("[[],[],{\"a\":[]},[1]]", two));
  JsonLimits zero;
  zero.max_depth = 0;
  EXPECT_TRUE(Accepts("1", zero));
  EXPECT_FALSE(Accepts("[]", zero));
}

TEST(JsonTest, SurvivesVeryDeepNesting) {
  const std::string deep = Nested(100000, '[', ']');
  EXPECT_EQ(ErrorOf(deep), "invalid JSON at byte 32: nesting deeper than 32");
  EXPECT_FALSE(Accepts(std::string(100000, '[')));
  std::string deep_objects;
  for (int i = 0; i < 100000; ++i) deep_objects += "{\"a\":";
  EXPECT_FALSE(Accepts(deep_objects));
  // With the limit lifted the parser still uses no recursion.
  JsonLimits unlimited;
  unlimited.max_depth = 1 << 30;
  JsonDocument doc;
  ASSERT_TRUE(doc.Parse(deep, unlimited).ok());
  JsonValue value = doc.root();
  for (int i = 0; i < 99999; ++i) value = value.At(0);
  EXPECT_EQ(value.raw_text(), "[]");
  EXPECT_EQ(doc.root().raw_text().size(), deep.size());
  EXPECT_FALSE(doc.Parse(std::string(100000, '['), unlimited).ok());
}

TEST(JsonTest, EnforcesTheSizeLimit) {
  JsonLimits limits;
  limits.max_size = 10;
  EXPECT_TRUE(Accepts("[1,2,3,45]", limits));
  EXPECT_EQ(ErrorOf("[1,2,3,456]", limits),
            "invalid JSON at byte 10: text larger than the size limit");
  EXPECT_EQ(ErrorOf("[1,2,3,456]", limits).find("456"), std::string::npos);
  limits.max_size = 0;
  EXPECT_FALSE(Accepts("1", limits));
}

TEST(JsonTest, FindsMembers) {
  JsonDocument doc;
  const JsonValue root = ParseOrDie(R"({"a":1,"nested":{"a":2,"b":[3]},"b":"x","c\"d":4})", &doc);
  EXPECT_EQ(root.Find("a").number_text(), "1");
  EXPECT_EQ(root.Find("b").string(), "x");
  EXPECT_EQ(root.Find("c\"d").number_text(), "4");
  EXPECT_EQ(root.Find("nested").Find("a").number_text(), "2");
  EXPECT_EQ(root.Find("nested").Find("b").At(0).number_text(), "3");
  EXPECT_FALSE(root.Find("missing").valid());
  EXPECT_FALSE(root.Find("A").valid());
  EXPECT_FALSE(root.Find("").valid());
  EXPECT_FALSE(root.Find("nested").Find("c").valid());
  EXPECT_EQ(root.Find("missing").type(), JsonType::kInvalid);
}

TEST(JsonTest, IndexesArrayElements) {
  JsonDocument doc;
  const JsonValue root = ParseOrDie(R"([[1,2],{"a":[3]},"s",4,[]])", &doc);
  ASSERT_EQ(root.size(), 5u);
  EXPECT_EQ(root.At(0).raw_text(), "[1,2]");
  EXPECT_EQ(root.At(1).raw_text(), R"({"a":[3]})");
  EXPECT_EQ(root.At(2).string(), "s");
  EXPECT_EQ(root.At(3).number_text(), "4");
  EXPECT_EQ(root.At(4).size(), 0u);
  EXPECT_FALSE(root.At(5).valid());
  EXPECT_FALSE(root.At(static_cast<size_t>(-1)).valid());
  EXPECT_EQ(root.At(0).At(1).number_text(), "2");
}

TEST(JsonTest, IteratesMembersAndElementsInOrder) {
  JsonDocument doc;
  const JsonValue root =
      ParseOrDie(R"({"z":1,"a":{"x":[1,2]},"m":[{"q":1},[2]],"e\n":"v","b":true})", &doc);
  std::vector<std::string> names;
  std::vector<std::string> raw;
  for (const JsonValue::Member member : root.members()) {
    names.emplace_back(member.name);
    raw.emplace_back(member.value.raw_text());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"z", "a", "m", "e\n", "b"}));
  EXPECT_EQ(
      raw, (std::vector<std::string>{"1", R"({"x":[1,2]})", R"([{"q":1},[2]])", R"("v")", "true"}));
  std::vector<std::string> elements;
  for (const JsonValue element : root.Find("m").elements()) {
    elements.emplace_back(element.raw_text());
  }
  EXPECT_EQ(elements, (std::vector<std::string>{R"({"q":1})", "[2]"}));
  int count = 0;
  for (const JsonValue element : ParseOrDie("[]", &doc).elements()) {
    (void)element;
    ++count;
  }
  for (const JsonValue::Member member : ParseOrDie("{}", &doc).members()) {
    (void)member;
    ++count;
  }
  EXPECT_EQ(count, 0);
}

TEST(JsonTest, ReturnsStringsUnescapedWithEmbeddedNul) {
  JsonDocument doc;
  const JsonValue root =
      ParseOrDie(R"({"plain":"abc","esc":"a\"b\\c\u00e9\n","nul":"x\u0000y","\u0065sc2":1})", &doc);
  EXPECT_EQ(root.Find("esc2").number_text(), "1");
  EXPECT_EQ(root.Find("plain").string(), "abc");
  EXPECT_EQ(root.Find("esc").string(), "a\"b\\c\xC3\xA9\n");
  EXPECT_EQ(root.Find("nul").string(), "x\0y"s);
  EXPECT_EQ(root.Find("nul").string().size(), 3u);
  EXPECT_EQ(root.Find("esc").raw_text(), R"("a\"b\\c\u00e9\n")");
  EXPECT_EQ(root.Find("esc").number_text(), "");
  EXPECT_EQ(root.Find("esc").size(), 0u);
}

TEST(JsonTest, ConvertsNumbersToDouble) {
  JsonDocument doc;
  double value = 0;
  ASSERT_TRUE(ParseOrDie("1.5", &doc).GetDouble(&value));
  EXPECT_EQ(value, 1.5);
  ASSERT_TRUE(ParseOrDie("-0", &doc).GetDouble(&value));
  EXPECT_EQ(value, 0.0);
  EXPECT_TRUE(std::signbit(value));
  ASSERT_TRUE(ParseOrDie("1E+2", &doc).GetDouble(&value));
  EXPECT_EQ(value, 100.0);
  ASSERT_TRUE(ParseOrDie("1893456000", &doc).GetDouble(&value));
  EXPECT_EQ(value, 1893456000.0);
  ASSERT_TRUE(ParseOrDie("1.7976931348623157e308", &doc).GetDouble(&value));
  EXPECT_EQ(value, 1.7976931348623157e308);
  ASSERT_TRUE(ParseOrDie("4.9e-324", &doc).GetDouble(&value));
  EXPECT_GT(value, 0.0);

  value = 7;
  EXPECT_FALSE(ParseOrDie("1e400", &doc).GetDouble(&value));
  EXPECT_FALSE(ParseOrDie("-1e400", &doc).GetDouble(&value));
  EXPECT_FALSE(ParseOrDie("1.8e308", &doc).GetDouble(&value));
  EXPECT_FALSE(ParseOrDie("1" + std::string(400, '0'), &doc).GetDouble(&value));
  EXPECT_FALSE(ParseOrDie("1" + std::string(400, '0') + "e-10", &doc).GetDouble(&value));
  EXPECT_FALSE(ParseOrDie("0.001e99999999999999999999", &doc).GetDouble(&value));
  EXPECT_EQ(value, 7);

  // Underflow rounds to zero, which is within the double range.
  for (const char* tiny : {"1e-400", "0.0000001e-320", "1e-99999999999999999999"}) {
    value = 7;
    ASSERT_TRUE(ParseOrDie(tiny, &doc).GetDouble(&value)) << tiny;
    EXPECT_EQ(value, 0.0) << tiny;
  }
  ASSERT_TRUE(ParseOrDie("-1e-400", &doc).GetDouble(&value));
  EXPECT_TRUE(std::signbit(value));
  ASSERT_TRUE(ParseOrDie("0." + std::string(400, '0') + "1", &doc).GetDouble(&value));
  EXPECT_EQ(value, 0.0);

  EXPECT_FALSE(ParseOrDie("\"1\"", &doc).GetDouble(&value));
  EXPECT_FALSE(ParseOrDie("true", &doc).GetDouble(&value));
  EXPECT_FALSE(JsonValue().GetDouble(&value));
}

TEST(JsonTest, ConvertsIntegerLiteralsToInt64) {
  JsonDocument doc;
  int64_t value = 0;
  ASSERT_TRUE(ParseOrDie("1700000000", &doc).GetInt64(&value));
  EXPECT_EQ(value, 1700000000);
  ASSERT_TRUE(ParseOrDie("-0", &doc).GetInt64(&value));
  EXPECT_EQ(value, 0);
  ASSERT_TRUE(ParseOrDie("9223372036854775807", &doc).GetInt64(&value));
  EXPECT_EQ(value, INT64_MAX);
  ASSERT_TRUE(ParseOrDie("-9223372036854775808", &doc).GetInt64(&value));
  EXPECT_EQ(value, INT64_MIN);

  value = 7;
  EXPECT_FALSE(ParseOrDie("9223372036854775808", &doc).GetInt64(&value));
  EXPECT_FALSE(ParseOrDie("-9223372036854775809", &doc).GetInt64(&value));
  EXPECT_FALSE(ParseOrDie("1.0", &doc).GetInt64(&value));
  EXPECT_FALSE(ParseOrDie("1e2", &doc).GetInt64(&value));
  EXPECT_FALSE(ParseOrDie("1E2", &doc).GetInt64(&value));
  EXPECT_FALSE(ParseOrDie("\"1\"", &doc).GetInt64(&value));
  EXPECT_FALSE(ParseOrDie("[1]", &doc).GetInt64(&value));
  EXPECT_FALSE(JsonValue().GetInt64(&value));
  EXPECT_EQ(value, 7);
}

TEST(JsonTest, ReturnsRawTextOfEveryKindOfValue) {
  JsonDocument doc;
  const std::string text =
      "  {\"obj\" : { \"b\" : [1, 2] , \"s\":\"\\u0041\\n\"} , \"n\":-1.5e+3,\"t\":true} ";
  const JsonValue root = ParseOrDie(text, &doc);
  EXPECT_EQ(root.raw_text(), text.substr(2, text.size() - 3));
  EXPECT_EQ(root.Find("obj").raw_text(), "{ \"b\" : [1, 2] , \"s\":\"\\u0041\\n\"}");
  EXPECT_EQ(root.Find("obj").Find("b").raw_text(), "[1, 2]");
  EXPECT_EQ(root.Find("obj").Find("s").raw_text(), "\"\\u0041\\n\"");
  EXPECT_EQ(root.Find("obj").Find("s").string(), "A\n");
  EXPECT_EQ(root.Find("n").raw_text(), "-1.5e+3");
  EXPECT_EQ(root.Find("t").raw_text(), "true");
  EXPECT_EQ(doc.text(), text);
}

TEST(JsonTest, AccessorsOfTheWrongTypeReturnNothing) {
  JsonDocument doc;
  const JsonValue root = ParseOrDie(R"({"s":"x","n":1,"a":[1],"o":{"k":1},"z":null})", &doc);
  for (const char* name : {"s", "n", "a", "o", "z"}) {
    const JsonValue value = root.Find(name);
    ASSERT_TRUE(value.valid()) << name;
    if (!value.is_string()) {
      EXPECT_EQ(value.string(), "") << name;
    }
    if (!value.is_number()) {
      EXPECT_EQ(value.number_text(), "") << name;
    }
    if (!value.is_object()) {
      EXPECT_FALSE(value.Find("k").valid()) << name;
      EXPECT_TRUE(!(value.members().begin() != value.members().end())) << name;
    }
    if (!value.is_array()) {
      EXPECT_FALSE(value.At(0).valid()) << name;
      EXPECT_TRUE(!(value.elements().begin() != value.elements().end())) << name;
    }
    if (!value.is_array() && !value.is_object()) {
      EXPECT_EQ(value.size(), 0u) << name;
    }
    EXPECT_FALSE(value.bool_value()) << name;
  }

  const JsonValue invalid;
  EXPECT_FALSE(invalid.valid());
  EXPECT_EQ(invalid.type(), JsonType::kInvalid);
  EXPECT_FALSE(invalid.is_null() || invalid.is_bool() || invalid.is_number() ||
               invalid.is_string() || invalid.is_array() || invalid.is_object());
  EXPECT_EQ(invalid.string(), "");
  EXPECT_EQ(invalid.number_text(), "");
  EXPECT_EQ(invalid.raw_text(), "");
  EXPECT_EQ(invalid.size(), 0u);
  EXPECT_FALSE(invalid.Find("a").valid());
  EXPECT_FALSE(invalid.At(0).valid());
  EXPECT_FALSE(invalid.members().begin() != invalid.members().end());
  EXPECT_FALSE(invalid.elements().begin() != invalid.elements().end());
  EXPECT_FALSE(root.Find("missing").Find("deeper").At(3).valid());
}

TEST(JsonTest, EmptyDocumentHasNoRoot) {
  JsonDocument doc;
  EXPECT_FALSE(doc.root().valid());
  EXPECT_EQ(doc.text(), "");
  ASSERT_TRUE(doc.Parse(R"({"a":"\n"})", JsonLimits()).ok());
  EXPECT_TRUE(doc.root().valid());
  EXPECT_FALSE(doc.Parse(R"({"a":1,)", JsonLimits()).ok());
  EXPECT_FALSE(doc.root().valid());
  EXPECT_EQ(doc.text(), "");
}

TEST(JsonTest, CopiesAndMovesKeepValues) {
  // One small document (inline buffers) and one big one (heap buffers), both
  // with escaped strings.
  const std::string big_tail = ",\"pad\":\"" + std::string(2000, 'p') + "\"";
  for (const std::string& tail : {std::string(), big_tail}) {
    const std::string text =
        R"({"iss":"https://idp\/x","aud":["a","\u0062"],"exp":17)" + tail + "}";
    const auto check = [&](const JsonDocument& doc) {
      const JsonValue root = doc.root();
      ASSERT_TRUE(root.is_object());
      EXPECT_EQ(root.Find("iss").string(), "https://idp/x");
      EXPECT_EQ(root.Find("aud").At(1).string(), "b");
      EXPECT_EQ(root.Find("exp").number_text(), "17");
      EXPECT_EQ(root.raw_text(), text);
      EXPECT_EQ(doc.text(), text);
    };
    JsonDocument original;
    ASSERT_TRUE(original.Parse(text, JsonLimits()).ok());
    JsonDocument copy(original);
    check(copy);
    JsonDocument assigned;
    ASSERT_TRUE(assigned.Parse(R"(["replaced"])", JsonLimits()).ok());
    assigned = original;
    check(assigned);
    // Re-parsing the original leaves the copies alone.
    ASSERT_TRUE(original.Parse(R"({"other":"\u0041"})", JsonLimits()).ok());
    EXPECT_EQ(original.root().Find("other").string(), "A");
    check(copy);
    JsonDocument moved(std::move(copy));
    check(moved);
    JsonDocument move_assigned;
    move_assigned = std::move(moved);
    check(move_assigned);
  }
}

TEST(JsonTest, ParsesItsOwnText) {
  JsonDocument doc;
  ASSERT_TRUE(doc.Parse(R"({"inner":{"a":"\u0041"}})", JsonLimits()).ok());
  ASSERT_TRUE(doc.Parse(doc.root().Find("inner").raw_text(), JsonLimits()).ok());
  EXPECT_EQ(doc.root().Find("a").string(), "A");
  EXPECT_EQ(doc.text(), R"({"a":"\u0041"})");
  ASSERT_TRUE(doc.Parse(doc.text(), JsonLimits()).ok());
  EXPECT_EQ(doc.root().Find("a").string(), "A");
}

TEST(JsonTest, ErrorMessagesCarryOffsetsButNoContent) {
  const std::string secret = "s3cr3t-v4lu3";
  for (const std::string& text : {
           R"({"k":")" + secret + "\n\"}",
           R"({"k":")" + secret + R"(\q"})",
           R"({")" + secret + R"(":01})",
           R"({")" + secret + R"(":1,")" + secret + R"(\u0000":1,"x":tru})",
           R"([")" + secret + R"(", )" + secret + "]",
       }) {
    const std::string message = ErrorOf(text);
    EXPECT_EQ(message.rfind("invalid JSON at byte ", 0), 0u) << message;
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
  }
  // A duplicate name is quoted only when short and printable.
  const std::string long_name(65, 'n');
  EXPECT_EQ(ErrorOf("{\"" + long_name + "\":1,\"" + long_name + "\":2}"),
            "invalid JSON at byte 71: duplicate member name");
  const std::string name64(64, 'n');
  EXPECT_EQ(ErrorOf("{\"" + name64 + "\":1,\"" + name64 + "\":2}"),
            "invalid JSON at byte 70: duplicate member name \"" + name64 + "\"");
  EXPECT_EQ(ErrorOf(R"({"a\n":1,"a\n":2})"), "invalid JSON at byte 9: duplicate member name");
  EXPECT_EQ(ErrorOf(R"({"a\"":1,"a\"":2})"), "invalid JSON at byte 9: duplicate member name");
  EXPECT_EQ(ErrorOf("{\"\xC3\xA9\":1,\"\xC3\xA9\":2}"),
            "invalid JSON at byte 8: duplicate member name");
}

TEST(JsonTest, QuotesStrings) {
  std::string out = "prefix:";
  JsonQuote("a\"b\\c/\b\f\n\r\t\x01\x1F\x7F\xC3\xA9", &out);
  EXPECT_EQ(out, "prefix:\"a\\\"b\\\\c/\\b\\f\\n\\r\\t\\u0001\\u001f\x7F\xC3\xA9\"");
  EXPECT_EQ(Quoted(""), "\"\"");
  EXPECT_EQ(Quoted("\0"s), "\"\\u0000\"");
}

TEST(JsonTest, QuotedStringsParseBackToThemselves) {
  std::string every_ascii;
  for (int c = 0; c < 0x80; ++c) every_ascii.push_back(static_cast<char>(c));
  for (const std::string& text :
       {every_ascii, "plain"s, ""s, "\0\0"s, "\xF0\x9F\x98\x80 \xE2\x82\xAC \xC3\xA9\xEF\xBB\xBF"s,
        std::string(100, '\\'), std::string(100, '"')}) {
    JsonDocument doc;
    const std::string quoted = Quoted(text);
    EXPECT_EQ(ParseOrDie(quoted, &doc).string(), text);
    EXPECT_EQ(doc.root().raw_text(), quoted);
  }
}

TEST(JsonTest, ParsesATypicalTokenPayload) {
  JsonDocument doc;
  const JsonValue root = ParseOrDie(
      R"({"iss":"https://idp.example.com/","sub":"user-1234567890","aud":["api://orders",)"
      R"("api://billing"],"exp":1893456000,"nbf":1700000000,"iat":1700000000,)"
      R"("jti":"b3c1a9e2-7f4d-4c1e-9a8b-0d2e6f7a8b9c","scope":"openid profile email orders:read )"
      R"(orders:write","azp":"web-frontend","email":"jane.doe@example.com",)"
      R"("email_verified":true,"roles":["admin","ops"]})",
      &doc);
  EXPECT_EQ(root.size(), 12u);
  EXPECT_EQ(root.Find("iss").string(), "https://idp.example.com/");
  EXPECT_EQ(root.Find("aud").At(1).string(), "api://billing");
  int64_t exp = 0;
  ASSERT_TRUE(root.Find("exp").GetInt64(&exp));
  EXPECT_EQ(exp, 1893456000);
  EXPECT_TRUE(root.Find("email_verified").bool_value());
  EXPECT_EQ(root.Find("roles").At(1).string(), "ops");
}

}  // namespace
}  // namespace authgate
