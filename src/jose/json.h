// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// json.h: a strict JSON (RFC 8259) parser producing a compact, immutable
// document. It is the one JSON parser of authgate: token headers and claims,
// JWKS documents and configuration all go through it.
//
//   JsonDocument doc;
//   absl::Status s = doc.Parse(text, JsonLimits{});
//   if (!s.ok()) return s;
//   JsonValue exp = doc.root().Find("exp");
//   double seconds;
//   if (exp.is_number() && exp.GetDouble(&seconds)) { ... }
//
// Why not RapidJSON's DOM: by default it accepts duplicate member names
// ({"alg":"none","alg":"RS256"}), invalid UTF-8 and unbounded nesting, and
// building its DOM costs more than the whole budget of an HS256 verification.
// This parser is strict by construction and, for a typical token, allocates
// nothing: the node tape and the text live in inline buffers.
//
// Strictness: the text must be valid UTF-8 (no overlong forms, no surrogate
// code points, nothing above U+10FFFF, no BOM); strings may not contain raw
// control characters (< 0x20); escapes are exactly those of RFC 8259 and a
// \u escape of a surrogate must form a valid pair; numbers follow the RFC
// grammar exactly (no leading zeros, '+', NaN, Infinity, hex, trailing '.');
// literals are lowercase true/false/null; nothing but whitespace (space, tab,
// CR, LF) may follow the value; member names must be unique within an object
// after unescaping ({"a":1,"\u0061":2} is rejected); nesting deeper than
// max_depth and text longer than max_size are rejected.

#ifndef AUTHGATE_SRC_JOSE_JSON_H_
#define AUTHGATE_SRC_JOSE_JSON_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"

namespace authgate {

enum class JsonType : uint8_t {
  kInvalid = 0,  // A JsonValue that refers to nothing (lookup miss).
  kNull,
  kFalse,
  kTrue,
  kNumber,
  kString,
  kArray,
  kObject,
};

struct JsonLimits {
  size_t max_size = 1 << 20;  // bytes of text
  int max_depth = 32;         // nested arrays/objects; the root container is depth 1
};

class JsonDocument;

// JsonValue is a cheap, copyable reference to one value of a JsonDocument. It
// is valid while the document is alive and not re-parsed or moved-from.
// Accessors called on a value of another type return an empty/false result;
// they never crash.
class JsonValue {
 public:
  JsonValue() = default;

  JsonType type() const;
  bool valid() const { return doc_ != nullptr; }
  bool is_null() const { return type() == JsonType::kNull; }
  bool is_bool() const { return type() == JsonType::kTrue || type() == JsonType::kFalse; }
  bool is_number() const { return type() == JsonType::kNumber; }
  bool is_string() const { return type() == JsonType::kString; }
  bool is_array() const { return type() == JsonType::kArray; }
  bool is_object() const { return type() == JsonType::kObject; }

  // bool_value is true for `true`, false for anything else.
  bool bool_value() const { return type() == JsonType::kTrue; }

  // string returns the unescaped UTF-8 content of a string (may contain NUL
  // bytes), or an empty view for a non-string.
  std::string_view string() const;

  // number_text returns the number's literal exactly as written in the text,
  // or an empty view for a non-number.
  std::string_view number_text() const;

  // GetDouble converts a number to the nearest double. Returns false for a
  // non-number and for a number outside the finite double range; a number
  // too small for a double (1e-400) becomes 0.
  bool GetDouble(double* out) const;

  // GetInt64 returns true and the value when the number is written as an
  // integer literal (no fraction, no exponent) that fits in int64_t.
  bool GetInt64(int64_t* out) const;

  // size returns the number of elements of an array or members of an object;
  // 0 for anything else.
  size_t size() const;

  // Find returns the value of member `name` of an object, or an invalid
  // JsonValue when this is not an object or has no such member. Names are
  // compared after unescaping, byte for byte.
  JsonValue Find(std::string_view name) const;

  // At returns element `index` of an array, or an invalid JsonValue.
  JsonValue At(size_t index) const;

  // Iteration. For an object, each step yields a member (name and value); for
  // an array, an element. Iterating a value of another type yields nothing.
  struct Member;
  class MemberIterator;
  class ElementIterator;
  class MemberRange;
  class ElementRange;
  MemberRange members() const;
  ElementRange elements() const;

  // raw_text returns the exact source text of this value (for a string, with
  // its quotes and escapes), e.g. to copy a nested claim out verbatim.
  std::string_view raw_text() const;

 private:
  friend class JsonDocument;
  JsonValue(const JsonDocument* doc, uint32_t index) : doc_(doc), index_(index) {}
  // Index one past the last node of this value's subtree.
  uint32_t end_index() const;

  const JsonDocument* doc_ = nullptr;
  uint32_t index_ = 0;
};

// JsonDocument owns a copy of the parsed text and the node tape describing it.
// It is movable (values taken before a move are invalidated) and immutable
// after Parse(); reading it from several threads is safe.
class JsonDocument {
 public:
  JsonDocument() = default;
  JsonDocument(JsonDocument&&) noexcept = default;
  JsonDocument& operator=(JsonDocument&&) noexcept = default;
  JsonDocument(const JsonDocument&) = default;
  JsonDocument& operator=(const JsonDocument&) = default;

  // Parse replaces the document's contents with `text` parsed strictly (see
  // the file comment). On failure the document is empty and the status is
  // InvalidArgument with a message such as
  //   "invalid JSON at byte 17: duplicate member name \"alg\"".
  // The message quotes at most a short member name, never other content.
  absl::Status Parse(std::string_view text, const JsonLimits& limits);

  // root returns the top-level value, or an invalid JsonValue before a
  // successful Parse().
  JsonValue root() const;

  // text returns the parsed source text (owned by the document).
  std::string_view text() const { return std::string_view(text_.data(), text_.size()); }

 private:
  friend class JsonValue;
  friend class JsonParser;

  struct Node {
    JsonType type = JsonType::kInvalid;
    // For strings: true when the content (after unescaping) lives in
    // `unescaped_` rather than in `text_`.
    bool unescaped = false;
    // Strings: offset of the content (in text_ or unescaped_), numbers: offset
    // of the literal in text_; containers: offset of the opening bracket.
    uint32_t offset = 0;
    // Strings and numbers: length of the content/literal. Containers: the
    // index one past the last node of the subtree.
    uint32_t length = 0;
    // Offset one past the end of this value's source text in text_ (for
    // raw_text()); for a member name node, one past its closing quote.
    uint32_t source_end = 0;
    // Arrays/objects: number of elements/members. Strings: offset of the
    // opening quote in text_ (for raw_text(), as `offset` may be in unescaped_).
    uint32_t count = 0;
  };

  // An object's members are stored as a name node (kString) followed by the
  // value's subtree; an array's elements are consecutive subtrees.
  absl::InlinedVector<char, 512> text_;
  absl::InlinedVector<Node, 48> nodes_;
  std::string unescaped_;
};

// Defined out of line: a member of type JsonValue needs JsonValue complete.
struct JsonValue::Member {
  std::string_view name;
  JsonValue value;
};

class JsonValue::MemberIterator {
 public:
  Member operator*() const;
  MemberIterator& operator++();
  bool operator!=(const MemberIterator& other) const { return index_ != other.index_; }

 private:
  friend class JsonValue;
  MemberIterator(const JsonDocument* doc, uint32_t index) : doc_(doc), index_(index) {}
  const JsonDocument* doc_;
  uint32_t index_;
};

class JsonValue::ElementIterator {
 public:
  JsonValue operator*() const { return JsonValue(doc_, index_); }
  ElementIterator& operator++();
  bool operator!=(const ElementIterator& other) const { return index_ != other.index_; }

 private:
  friend class JsonValue;
  ElementIterator(const JsonDocument* doc, uint32_t index) : doc_(doc), index_(index) {}
  const JsonDocument* doc_;
  uint32_t index_;
};

class JsonValue::MemberRange {
 public:
  MemberIterator begin() const { return begin_; }
  MemberIterator end() const { return end_; }

 private:
  friend class JsonValue;
  MemberRange(MemberIterator b, MemberIterator e) : begin_(b), end_(e) {}
  MemberIterator begin_, end_;
};

class JsonValue::ElementRange {
 public:
  ElementIterator begin() const { return begin_; }
  ElementIterator end() const { return end_; }

 private:
  friend class JsonValue;
  ElementRange(ElementIterator b, ElementIterator e) : begin_(b), end_(e) {}
  ElementIterator begin_, end_;
};

// JsonQuote appends `text` to `out` as a JSON string literal with quotes,
// escaping '"', '\\' and control characters (for building JSON output).
// Bytes from 0x80 up pass through unchanged: `text` must be valid UTF-8 for
// the output to be valid JSON.
void JsonQuote(std::string_view text, std::string* out);

}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_JSON_H_
