// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the strict JSON parser: nothing may crash, leak or hang; a rejection
// must carry a located message; an accepted text must be valid UTF-8, and
// every value of its tree, reached through the public accessors only, must be
// consistent (raw text that re-parses to the same value, sizes that match
// iteration, unique member names that Find() reaches, strings that survive
// JsonQuote()).

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "fuzz_check.h"
#include "jose/json.h"

namespace {

using authgate::JsonDocument;
using authgate::JsonLimits;
using authgate::JsonType;
using authgate::JsonValue;

constexpr JsonLimits kLimits{1 << 16, 16};

// IsValidUtf8 is an independent, deliberately plain decoder: it rejects
// overlong forms, surrogates and code points above U+10FFFF.
bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    int extra;
    uint32_t code_point;
    if (lead < 0x80) {
      extra = 0;
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (text.size() - i <= static_cast<size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[extra] || code_point > 0x10FFFF) return false;
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;
    i += 1 + extra;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\r\n";
  const size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kWhitespace) - begin + 1);
}

// CheckQuoteRoundTrip: JsonQuote() of valid UTF-8 parses back to itself.
void CheckQuoteRoundTrip(std::string_view text) {
  std::string quoted;
  authgate::JsonQuote(text, &quoted);
  JsonDocument doc;
  FUZZ_CHECK(doc.Parse(quoted, JsonLimits{quoted.size(), 1}).ok());
  FUZZ_CHECK(doc.root().string() == text);
}

void CheckWrongTypeAccessors(const JsonValue& value) {
  if (!value.is_string()) FUZZ_CHECK(value.string().empty());
  if (!value.is_number()) FUZZ_CHECK(value.number_text().empty());
  if (!value.is_object()) {
    FUZZ_CHECK(!value.Find("").valid());
    FUZZ_CHECK(!(value.members().begin() != value.members().end()));
  }
  if (!value.is_array()) {
    FUZZ_CHECK(!value.At(0).valid());
    FUZZ_CHECK(!(value.elements().begin() != value.elements().end()));
  }
  if (!value.is_array() && !value.is_object()) FUZZ_CHECK(value.size() == 0);
  FUZZ_CHECK(value.bool_value() == (value.type() == JsonType::kTrue));
}

void Walk(const JsonDocument& doc, const JsonValue& value) {
  FUZZ_CHECK(value.valid());
  const std::string_view raw = value.raw_text();
  const std::string_view text = doc.text();
  FUZZ_CHECK(!raw.empty() && raw.data() >= text.data() &&
        raw.data() + raw.size() <= text.data() + text.size());

  // Every value's source text is a JSON text of its own.
  JsonDocument alone;
  FUZZ_CHECK(alone.Parse(raw, kLimits).ok());
  FUZZ_CHECK(alone.root().type() == value.type());
  FUZZ_CHECK(alone.root().raw_text() == raw);

  CheckWrongTypeAccessors(value);
  switch (value.type()) {
    case JsonType::kInvalid:
      FUZZ_CHECK(false);
      break;
    case JsonType::kNull:
      FUZZ_CHECK(raw == "null");
      break;
    case JsonType::kFalse:
      FUZZ_CHECK(raw == "false");
      break;
    case JsonType::kTrue:
      FUZZ_CHECK(raw == "true");
      break;
    case JsonType::kNumber: {
      FUZZ_CHECK(value.number_text() == raw);
      int64_t integer;
      double number;
      if (value.GetInt64(&integer)) {
        FUZZ_CHECK(raw.find_first_of(".eE") == std::string_view::npos);
        FUZZ_CHECK(value.GetDouble(&number) && number == static_cast<double>(integer));
      }
      break;
    }
    case JsonType::kString: {
      FUZZ_CHECK(raw.size() >= 2 && raw.front() == '"' && raw.back() == '"');
      const std::string_view content = value.string();
      if (raw.find('\\') == std::string_view::npos) {
        FUZZ_CHECK(content == raw.substr(1, raw.size() - 2));
      }
      FUZZ_CHECK(content == alone.root().string());
      CheckQuoteRoundTrip(content);
      break;
    }
    case JsonType::kArray: {
      size_t count = 0;
      for (const JsonValue element : value.elements()) {
        FUZZ_CHECK(value.At(count).raw_text().data() == element.raw_text().data());
        Walk(doc, element);
        ++count;
      }
      FUZZ_CHECK(count == value.size());
      FUZZ_CHECK(!value.At(count).valid());
      break;
    }
    case JsonType::kObject: {
      std::set<std::string_view> names;
      for (const JsonValue::Member member : value.members()) {
        FUZZ_CHECK(names.insert(member.name).second);
        FUZZ_CHECK(value.Find(member.name).raw_text().data() == member.value.raw_text().data());
        Walk(doc, member.value);
      }
      FUZZ_CHECK(names.size() == value.size());
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (IsValidUtf8(input)) CheckQuoteRoundTrip(input);

  JsonDocument doc;
  const absl::Status status = doc.Parse(input, kLimits);
  if (!status.ok()) {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(status.message(), "invalid JSON at byte "));
    FUZZ_CHECK(!doc.root().valid() && doc.text().empty());
    return 0;
  }
  FUZZ_CHECK(IsValidUtf8(input));
  FUZZ_CHECK(doc.text() == input);
  FUZZ_CHECK(doc.root().raw_text() == Trim(input));
  Walk(doc, doc.root());

  const JsonDocument copy = doc;
  FUZZ_CHECK(copy.root().raw_text() == doc.root().raw_text());
  FUZZ_CHECK(copy.root().type() == doc.root().type());
  return 0;
}
