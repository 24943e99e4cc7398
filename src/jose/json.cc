// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jose/json.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/numeric/bits.h"
#include "text.h"

namespace authgate {
namespace {

// Offsets are uint32_t, and source_end must be representable one past the end.
constexpr size_t kMaxTextSize = std::numeric_limits<uint32_t>::max() - 1;

// Objects with at most this many members check names for duplicates by linear
// comparison, which beats hashing for the handful of claims of a token; bigger
// objects switch to a hash set so that duplicate detection stays linear.
constexpr size_t kLinearNameLimit = 16;

// Duplicate member names are quoted in errors only when short and printable,
// so an error message never carries arbitrary token content.
constexpr size_t kMaxQuotedNameSize = 64;

absl::Status JsonError(size_t offset, std::string_view what) {
  std::string message = StrCat("invalid JSON at byte ", offset, ": ");
  message.append(what);
  return absl::InvalidArgumentError(message);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// IsWhitespace tests `c <= ' '` first: tokens usually follow each other directly.
bool IsWhitespace(char c) { return c <= ' ' && (c == ' ' || c == '\n' || c == '\r' || c == '\t'); }

bool IsContainer(JsonType type) { return type == JsonType::kArray || type == JsonType::kObject; }

// Bytes that end a run of plain string content: the closing quote, an escape,
// a control character (forbidden raw) or the first byte of a UTF-8 sequence
// (validated on the slow path).
bool IsStringSpecial(unsigned char c) { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80; }

// LoadLittleEndian64 reads eight bytes so that the first one is the lowest.
uint64_t LoadLittleEndian64(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, sizeof(x));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  x = __builtin_bswap64(x);
#endif
  return x;
}

// FindStringSpecial returns the first byte in [s, end) for which
// IsStringSpecial holds, or end. It tests sixteen (SSE2) or eight bytes at a
// time, as most string content of a token is plain ASCII.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline const char* FindStringSpecial(const char* s, const char* end) {
#if defined(__SSE2__)
  const __m128i quote16 = _mm_set1_epi8('"');
  const __m128i backslash16 = _mm_set1_epi8('\\');
  const __m128i space16 = _mm_set1_epi8(0x20);
  while (end - s >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    // The comparison is signed: bytes >= 0x80 are negative, so they are
    // caught with the control characters.
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote16), _mm_cmpeq_epi8(x, backslash16)),
                     _mm_cmplt_epi8(x, space16));
    const auto mask = static_cast<uint32_t>(_mm_movemask_epi8(special));
    if (mask != 0) return s + absl::countr_zero(mask);
    s += 16;
  }
#endif
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHighBits = 0x8080808080808080;
  while (end - s >= 8) {
    const uint64_t x = LoadLittleEndian64(s);
    const uint64_t quote = x ^ (kOnes * '"');
    const uint64_t backslash = x ^ (kOnes * '\\');
    // (v - kOnes) & ~v flags the zero bytes of v, x - 0x20.. the bytes below
    // 0x20 and x itself those >= 0x80. Borrows can also flag bytes above a
    // real hit, never below one, so the lowest flagged byte is exact.
    const uint64_t flagged =
        (((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) | (x - kOnes * 0x20) | x) &
        kHighBits;
    if (flagged != 0) return s + (absl::countr_zero(flagged) >> 3);
    s += 8;
  }
  while (s < end && !IsStringSpecial(static_cast<unsigned char>(*s))) ++s;
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  char buffer[4];
  size_t size;
  if (code_point < 0x80) {
    buffer[0] = static_cast<char>(code_point);
    size = 1;
  } else if (code_point < 0x800) {
    buffer[0] = static_cast<char>(0xC0 | (code_point >> 6));
    buffer[1] = static_cast<char>(0x80 | (code_point & 0x3F));
    size = 2;
  } else if (code_point < 0x10000) {
    buffer[0] = static_cast<char>(0xE0 | (code_point >> 12));
    buffer[1] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    buffer[2] = static_cast<char>(0x80 | (code_point & 0x3F));
    size = 3;
  } else {
    buffer[0] = static_cast<char>(0xF0 | (code_point >> 18));
    buffer[1] = static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    buffer[2] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    buffer[3] = static_cast<char>(0x80 | (code_point & 0x3F));
    size = 4;
  }
  out->append(buffer, size);
}

// NameFingerprint returns a value that is equal for equal member names, and
// rarely for different ones, so that duplicate detection compares one integer
// per name. `buffer_end` bounds the buffer holding `name`.
uint64_t NameFingerprint(std::string_view name, const char* buffer_end) {
  const size_t size = name.size();
  if (size >= 8) {
    const uint64_t last = LoadLittleEndian64(name.data() + size - 8);
    return LoadLittleEndian64(name.data()) ^ (last * 0x9E3779B97F4A7C15) ^ size;
  }
  // Shorter names: the bytes themselves, zero-padded, and the size on top.
  uint64_t bytes = 0;
  if (buffer_end - name.data() >= 8) {
    bytes = LoadLittleEndian64(name.data()) & ((uint64_t{1} << (8 * size)) - 1);
  } else {
    for (size_t i = 0; i < size; ++i) {
      bytes |= uint64_t{static_cast<unsigned char>(name[i])} << (8 * i);
    }
  }
  return bytes | (uint64_t{size} << 56);
}

// QuotableName tells whether a duplicate member name may appear in an error.
bool QuotableName(std::string_view name) {
  if (name.size() > kMaxQuotedNameSize) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return c >= 0x20 && c < 0x7F && c != '"' && c != '\\'; });
}

// MagnitudeBelowOne tells, for a valid JSON number literal that from_chars
// found out of range, whether it underflowed (rather than overflowed): such a
// literal is beyond 1e308 or below 1e-323 in magnitude, so comparing it with 1
// decides. It computes the decimal exponent of the first significant digit.
bool MagnitudeBelowOne(std::string_view literal) {
  size_t i = literal[0] == '-' ? 1 : 0;
  const size_t integer_begin = i;
  while (i < literal.size() && IsDigit(literal[i])) ++i;
  int64_t exponent = static_cast<int64_t>(i - integer_begin) - 1;
  if (i < literal.size() && literal[i] == '.') ++i;
  if (literal[integer_begin] == '0') {
    // "0.000ddd": out of range implies that some fraction digit is not zero.
    for (exponent = -1; i < literal.size() && literal[i] == '0'; ++i) --exponent;
  }
  while (i < literal.size() && IsDigit(literal[i])) ++i;
  if (i == literal.size()) return exponent < 0;
  ++i;  // 'e' or 'E'
  const bool negative = literal[i] == '-';
  if (literal[i] == '-' || literal[i] == '+') ++i;
  // Saturating: any written exponent beyond this dwarfs the digit count.
  constexpr int64_t kExponentCap = int64_t{1} << 40;
  int64_t written = 0;
  for (; i < literal.size(); ++i) {
    written = std::min(written * 10 + (literal[i] - '0'), kExponentCap);
  }
  return exponent + (negative ? -written : written) < 0;
}

}  // namespace

// JsonParser fills a JsonDocument whose text_ holds the input. It is iterative:
// open containers live on an explicit stack whose depth is checked before each
// push, so no input can exhaust the call stack.
class JsonParser {
 public:
  JsonParser(JsonDocument* doc, const JsonLimits& limits)
      : doc_(*doc),
        begin_(doc->text_.data()),
        end_(doc->text_.data() + doc->text_.size()),
        max_depth_(static_cast<size_t>(std::max(limits.max_depth, 0))) {}

  absl::Status Parse();

 private:
  using Node = JsonDocument::Node;

  // An array or object being parsed.
  struct Frame {
    uint32_t node;
    uint32_t count;
    uint32_t names_begin;  // This object's first entry in name_fingerprints_.
    // One bit per name fingerprint (hashed to 0..63) of this object: a clear
    // bit proves a name new without scanning the fingerprints.
    uint64_t name_filter;
    bool is_object;
    bool hashed;  // This object's names are in name_sets_.back().
  };

  // The hash set holds name node indices rather than string_views because
  // unescaped_ may reallocate while parsing.
  struct NameHash {
    const JsonParser* parser;
    size_t operator()(uint32_t node) const {
      const std::string_view name = parser->NameAt(node);
      return absl::Hash<absl::string_view>()(absl::string_view(name.data(), name.size()));
    }
  };
  struct NameEq {
    const JsonParser* parser;
    bool operator()(uint32_t a, uint32_t b) const { return parser->NameAt(a) == parser->NameAt(b); }
  };
  using NameSet = absl::flat_hash_set<uint32_t, NameHash, NameEq>;

  uint32_t Offset(const char* p) const { return static_cast<uint32_t>(p - begin_); }

  uint32_t NodeCount() const { return node_count_; }
  // AddNode appends a node. Nodes are written through a cached pointer, since
  // InlinedVector::emplace_back decodes its packed size and capacity per call.
  Node& AddNode(JsonType type, uint32_t offset, uint32_t length, uint32_t source_end) {
    if (node_count_ == node_capacity_) {
      doc_.nodes_.resize(std::max<size_t>(doc_.nodes_.capacity(), 2 * node_capacity_));
      nodes_ = doc_.nodes_.data();
      node_capacity_ = static_cast<uint32_t>(doc_.nodes_.size());
    }
    Node& node = nodes_[node_count_++];
    node.type = type;
    node.unescaped = false;
    node.offset = offset;
    node.length = length;
    node.source_end = source_end;
    node.count = 0;
    return node;
  }

  std::string_view NameAt(uint32_t node) const {
    const Node& n = nodes_[node];
    const char* base = n.unescaped ? doc_.unescaped_.data() : begin_;
    return std::string_view(base + n.offset, n.length);
  }

  // NextName returns the index of the member name node that follows the
  // member whose name node is `name`, assuming that member's value is complete.
  uint32_t NextName(uint32_t name) const {
    const Node& value = nodes_[name + 1];
    return IsContainer(value.type) ? value.length : name + 2;
  }

  const char* SkipWhitespace(const char* p) const {
    while (p < end_ && IsWhitespace(*p)) ++p;
    return p;
  }

  // Fail records the error and returns nullptr, which the parsing helpers
  // return to mean failure.
  ABSL_ATTRIBUTE_NOINLINE const char* Fail(const char* at, std::string_view what) {
    status_ = JsonError(Offset(at), what);
    return nullptr;
  }

  // The hot paths are forced inline into Parse(): calls would cost more than
  // the work of a typical token, and GCC does not inline them by itself.
  ABSL_ATTRIBUTE_ALWAYS_INLINE const char* ParseScalar(const char* p);
  // ParseString handles the common case of plain ASCII content and hands
  // escapes, UTF-8 and errors, from `s` on, to ParseStringSlow.
  ABSL_ATTRIBUTE_ALWAYS_INLINE const char* ParseString(const char* quote);
  ABSL_ATTRIBUTE_NOINLINE const char* ParseStringSlow(const char* quote, const char* s);
  const char* DecodeEscape(const char* s);
  const char* SkipUtf8Sequence(const char* s);
  ABSL_ATTRIBUTE_ALWAYS_INLINE const char* ParseNumber(const char* p);
  ABSL_ATTRIBUTE_ALWAYS_INLINE const char* ParseMember(const char* p, Frame* object);
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool IsDuplicateName(Frame* object, uint32_t name_node);
  ABSL_ATTRIBUTE_NOINLINE bool IsDuplicateNameHashed(Frame* object, uint32_t name_node);

  JsonDocument& doc_;
  const char* const begin_;
  const char* const end_;
  const size_t max_depth_;
  absl::Status status_;
  Node* nodes_ = nullptr;  // doc_.nodes_.data(), whose size is node_capacity_.
  uint32_t node_count_ = 0;
  uint32_t node_capacity_ = 0;
  // The containers enclosing the innermost open one, which Parse() keeps in
  // locals.
  absl::InlinedVector<Frame, 32> outer_frames_;
  // NameFingerprint() of the member names of the open objects.
  absl::InlinedVector<uint64_t, 32> name_fingerprints_;
  std::vector<NameSet> name_sets_;  // One per open object above kLinearNameLimit members.
};

absl::Status JsonParser::Parse() {
  Frame top{};  // The innermost open container when depth > 0.
  size_t depth = 0;
  const char* p = SkipWhitespace(begin_);
  for (;;) {
    // A value starts at p.
    if (p == end_) return JsonError(Offset(p), "expected a value");
    bool closes_at_once = false;
    if (*p == '{' || *p == '[') {
      if (depth >= max_depth_) {
        return JsonError(Offset(p), StrCat("nesting deeper than ", max_depth_));
      }
      if (depth > 0) outer_frames_.push_back(top);
      ++depth;
      const bool is_object = *p == '{';
      top = Frame();
      top.node = NodeCount();
      top.names_begin = static_cast<uint32_t>(name_fingerprints_.size());
      top.is_object = is_object;
      AddNode(is_object ? JsonType::kObject : JsonType::kArray, Offset(p), 0, 0);
      p = SkipWhitespace(p + 1);
      closes_at_once = p != end_ && *p == (is_object ? '}' : ']');
      if (!closes_at_once) {
        if (is_object && (p = ParseMember(p, &top)) == nullptr) return status_;
        continue;
      }
    } else if ((p = ParseScalar(p)) == nullptr) {
      return status_;
    } else {
      p = SkipWhitespace(p);
    }
    // A value ended before p: close the containers it completes, up to one
    // that continues with another value.
    for (;;) {
      if (depth == 0) {
        if (p != end_) return JsonError(Offset(p), "unexpected data after the value");
        doc_.nodes_.resize(node_count_);
        return absl::OkStatus();
      }
      if (!closes_at_once) {
        ++top.count;
        if (p != end_ && *p == ',') {
          p = SkipWhitespace(p + 1);
          if (top.is_object && (p = ParseMember(p, &top)) == nullptr) return status_;
          break;
        }
        if (p == end_ || *p != (top.is_object ? '}' : ']')) {
          return JsonError(Offset(p),
                           top.is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
      }
      closes_at_once = false;
      Node& node = nodes_[top.node];
      node.length = NodeCount();
      node.source_end = Offset(p) + 1;
      node.count = top.count;
      if (top.is_object) {
        name_fingerprints_.resize(top.names_begin);
        if (top.hashed) name_sets_.pop_back();
      }
      if (--depth > 0) {
        top = outer_frames_.back();
        outer_frames_.pop_back();
      }
      p = SkipWhitespace(p + 1);
    }
  }
}

inline const char* JsonParser::ParseMember(const char* p, Frame* object) {
  if (p == end_ || *p != '"') return Fail(p, "expected a member name");
  const char* name_begin = p;
  if ((p = ParseString(p)) == nullptr) return nullptr;
  const uint32_t name_node = NodeCount() - 1;
  if (IsDuplicateName(object, name_node)) {
    const std::string_view name = NameAt(name_node);
    return Fail(name_begin, QuotableName(name) ? StrCat("duplicate member name \"", name, "\"")
                                               : std::string("duplicate member name"));
  }
  p = SkipWhitespace(p);
  if (p == end_ || *p != ':') return Fail(p, "expected ':'");
  return SkipWhitespace(p + 1);
}

inline bool JsonParser::IsDuplicateName(Frame* object, uint32_t name_node) {
  // Hashed objects stop adding fingerprints, so they stay at the limit.
  if (name_fingerprints_.size() - object->names_begin >= kLinearNameLimit) {
    return IsDuplicateNameHashed(object, name_node);
  }
  const std::string_view name = NameAt(name_node);
  const char* buffer_end =
      nodes_[name_node].unescaped ? doc_.unescaped_.data() + doc_.unescaped_.size() : end_;
  const uint64_t fingerprint = NameFingerprint(name, buffer_end);
  const uint64_t filter_bit = uint64_t{1} << ((fingerprint * 0x9E3779B97F4A7C15) >> 58);
  const bool maybe_seen = (object->name_filter & filter_bit) != 0;
  object->name_filter |= filter_bit;
  const bool fingerprint_seen =
      maybe_seen && std::find(name_fingerprints_.begin() + object->names_begin,
                              name_fingerprints_.end(), fingerprint) != name_fingerprints_.end();
  name_fingerprints_.push_back(fingerprint);
  if (!fingerprint_seen) return false;
  for (uint32_t i = object->node + 1; i < name_node; i = NextName(i)) {
    if (NameAt(i) == name) return true;
  }
  return false;
}

bool JsonParser::IsDuplicateNameHashed(Frame* object, uint32_t name_node) {
  if (!object->hashed) {
    name_sets_.emplace_back(2 * kLinearNameLimit, NameHash{this}, NameEq{this});
    for (uint32_t i = object->node + 1; i < name_node; i = NextName(i)) {
      name_sets_.back().insert(i);
    }
    object->hashed = true;
  }
  return !name_sets_.back().insert(name_node).second;
}

inline const char* JsonParser::ParseScalar(const char* p) {
  const auto literal = [&](JsonType type, std::string_view word) -> const char* {
    if (static_cast<size_t>(end_ - p) < word.size() ||
        std::memcmp(p, word.data(), word.size()) != 0) {
      return Fail(p, "unexpected character");
    }
    const uint32_t offset = Offset(p);
    const auto length = static_cast<uint32_t>(word.size());
    AddNode(type, offset, length, offset + length);
    return p + word.size();
  };
  switch (*p) {
    case '"':
      return ParseString(p);
    case 't':
      return literal(JsonType::kTrue, "true");
    case 'f':
      return literal(JsonType::kFalse, "false");
    case 'n':
      return literal(JsonType::kNull, "null");
    case '\xEF':
      if (end_ - p >= 3 && p[1] == '\xBB' && p[2] == '\xBF') return Fail(p, "byte order mark");
      return Fail(p, "unexpected character");
    default:
      if (*p == '-' || IsDigit(*p)) return ParseNumber(p);
      return Fail(p, "unexpected character");
  }
}

inline const char* JsonParser::ParseString(const char* quote) {
  const char* s = FindStringSpecial(quote + 1, end_);
  if (s == end_ || *s != '"') return ParseStringSlow(quote, s);
  AddNode(JsonType::kString, Offset(quote + 1), static_cast<uint32_t>(s - quote - 1), Offset(s) + 1)
      .count = Offset(quote);
  return s + 1;
}

const char* JsonParser::ParseStringSlow(const char* quote, const char* s) {
  // Strings without escapes stay in text_; from the first escape on, the
  // content is copied to unescaped_, `run` being the first byte not yet copied.
  const char* run = quote + 1;
  bool escaped = false;
  size_t unescaped_begin = 0;
  for (;; s = FindStringSpecial(s, end_)) {
    if (s == end_) return Fail(quote, "unterminated string");
    const auto c = static_cast<unsigned char>(*s);
    if (c == '"') break;
    if (c == '\\') {
      if (!escaped) {
        escaped = true;
        unescaped_begin = doc_.unescaped_.size();
      }
      doc_.unescaped_.append(run, s - run);
      if ((s = DecodeEscape(s)) == nullptr) return nullptr;
      run = s;
    } else if (c < 0x20) {
      return Fail(s, "control character in string");
    } else if ((s = SkipUtf8Sequence(s)) == nullptr) {
      return nullptr;
    }
  }
  Node* node;
  if (escaped) {
    doc_.unescaped_.append(run, s - run);
    node = &AddNode(JsonType::kString, static_cast<uint32_t>(unescaped_begin),
                    static_cast<uint32_t>(doc_.unescaped_.size() - unescaped_begin), Offset(s) + 1);
    node->unescaped = true;
  } else {
    node = &AddNode(JsonType::kString, Offset(quote + 1), static_cast<uint32_t>(s - quote - 1),
                    Offset(s) + 1);
  }
  node->count = Offset(quote);
  return s + 1;
}

const char* JsonParser::DecodeEscape(const char* s) {
  const auto hex4 = [this](const char* h, uint32_t* value) {
    if (end_ - h < 4) return false;
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = HexValue(h[i]);
      if (digit < 0) return false;
      *value = (*value << 4) | static_cast<uint32_t>(digit);
    }
    return true;
  };
  if (end_ - s < 2) return Fail(s, "unterminated string");
  std::string& out = doc_.unescaped_;
  switch (s[1]) {
    case '"':
    case '\\':
    case '/':
      out.push_back(s[1]);
      return s + 2;
    case 'b':
      out.push_back('\b');
      return s + 2;
    case 'f':
      out.push_back('\f');
      return s + 2;
    case 'n':
      out.push_back('\n');
      return s + 2;
    case 'r':
      out.push_back('\r');
      return s + 2;
    case 't':
      out.push_back('\t');
      return s + 2;
    case 'u': {
      uint32_t code_point;
      if (!hex4(s + 2, &code_point)) return Fail(s, "invalid \\u escape");
      const char* next = s + 6;
      if (code_point >= 0xD800 && code_point <= 0xDFFF) {
        uint32_t low;
        if (code_point >= 0xDC00 || end_ - next < 6 || next[0] != '\\' || next[1] != 'u' ||
            !hex4(next + 2, &low) || low < 0xDC00 || low > 0xDFFF) {
          return Fail(s, "unpaired surrogate in \\u escape");
        }
        code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
        next += 6;
      }
      AppendUtf8(code_point, &out);
      return next;
    }
    default:
      return Fail(s, "invalid escape");
  }
}

// SkipUtf8Sequence validates the multi-byte UTF-8 sequence starting at s (a
// byte >= 0x80) per RFC 3629's table, which excludes overlong forms,
// surrogates and code points above U+10FFFF.
const char* JsonParser::SkipUtf8Sequence(const char* s) {
  const auto* u = reinterpret_cast<const unsigned char*>(s);
  const size_t available = static_cast<size_t>(end_ - s);
  const auto continuation = [](unsigned char c) { return (c & 0xC0) == 0x80; };
  const unsigned char lead = u[0];
  if (lead >= 0xC2 && lead <= 0xDF) {
    if (available >= 2 && continuation(u[1])) return s + 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned char high = lead == 0xED ? 0x9F : 0xBF;
    if (available >= 3 && u[1] >= low && u[1] <= high && continuation(u[2])) return s + 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned char low = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned char high = lead == 0xF4 ? 0x8F : 0xBF;
    if (available >= 4 && u[1] >= low && u[1] <= high && continuation(u[2]) && continuation(u[3])) {
      return s + 4;
    }
  }
  return Fail(s, "invalid UTF-8");
}

inline const char* JsonParser::ParseNumber(const char* p) {
  const char* start = p;
  if (*p == '-') ++p;
  if (p == end_ || !IsDigit(*p)) return Fail(p, "invalid number");
  if (*p == '0') {
    ++p;
    if (p != end_ && IsDigit(*p)) return Fail(start, "leading zero in number");
  } else {
    while (p != end_ && IsDigit(*p)) ++p;
  }
  if (p != end_ && *p == '.') {
    ++p;
    if (p == end_ || !IsDigit(*p)) return Fail(p, "invalid number");
    while (p != end_ && IsDigit(*p)) ++p;
  }
  if (p != end_ && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p != end_ && (*p == '+' || *p == '-')) ++p;
    if (p == end_ || !IsDigit(*p)) return Fail(p, "invalid number");
    while (p != end_ && IsDigit(*p)) ++p;
  }
  AddNode(JsonType::kNumber, Offset(start), static_cast<uint32_t>(p - start), Offset(p));
  return p;
}

absl::Status JsonDocument::Parse(std::string_view text, const JsonLimits& limits) {
  const char* own = text_.data();
  if (!text.empty() && std::less_equal<const char*>()(own, text.data()) &&
      std::less<const char*>()(text.data(), own + text_.size())) {
    // `text` lies in this document's text, which is about to be overwritten.
    const std::string copy(text);
    return Parse(copy, limits);
  }
  nodes_.clear();
  unescaped_.clear();
  const size_t max_size = std::min(limits.max_size, kMaxTextSize);
  if (text.size() > max_size) {
    text_.clear();
    return JsonError(max_size, "text larger than the size limit");
  }
  // resize and memcpy: assign() copies byte by byte.
  text_.resize(text.size());
  if (!text.empty()) std::memcpy(text_.data(), text.data(), text.size());
  absl::Status status = JsonParser(this, limits).Parse();
  if (!status.ok()) {
    text_.clear();
    nodes_.clear();
    unescaped_.clear();
  }
  return status;
}

JsonValue JsonDocument::root() const { return nodes_.empty() ? JsonValue() : JsonValue(this, 0); }

JsonType JsonValue::type() const {
  return doc_ == nullptr ? JsonType::kInvalid : doc_->nodes_[index_].type;
}

std::string_view JsonValue::string() const {
  if (!is_string()) return {};
  const JsonDocument::Node& node = doc_->nodes_[index_];
  const char* base = node.unescaped ? doc_->unescaped_.data() : doc_->text_.data();
  return std::string_view(base + node.offset, node.length);
}

std::string_view JsonValue::number_text() const {
  if (!is_number()) return {};
  const JsonDocument::Node& node = doc_->nodes_[index_];
  return std::string_view(doc_->text_.data() + node.offset, node.length);
}

bool JsonValue::GetDouble(double* out) const {
  const std::string_view literal = number_text();
  if (literal.empty()) return false;
  double value;
  const std::from_chars_result result =
      std::from_chars(literal.data(), literal.data() + literal.size(), value);
  if (result.ec == std::errc()) {
    *out = value;
    return true;
  }
  // Underflow rounds to zero, which is in range; overflow is not.
  if (result.ec == std::errc::result_out_of_range && MagnitudeBelowOne(literal)) {
    *out = literal[0] == '-' ? -0.0 : 0.0;
    return true;
  }
  return false;
}

bool JsonValue::GetInt64(int64_t* out) const {
  const std::string_view literal = number_text();
  if (literal.empty() || literal.find_first_of(".eE") != std::string_view::npos) return false;
  int64_t value;
  const std::from_chars_result result =
      std::from_chars(literal.data(), literal.data() + literal.size(), value);
  if (result.ec != std::errc()) return false;
  *out = value;
  return true;
}

size_t JsonValue::size() const { return IsContainer(type()) ? doc_->nodes_[index_].count : 0; }

uint32_t JsonValue::end_index() const {
  const JsonDocument::Node& node = doc_->nodes_[index_];
  return IsContainer(node.type) ? node.length : index_ + 1;
}

JsonValue JsonValue::Find(std::string_view name) const {
  if (!is_object()) return JsonValue();
  const uint32_t end = doc_->nodes_[index_].length;
  for (uint32_t i = index_ + 1; i < end; i = JsonValue(doc_, i + 1).end_index()) {
    const JsonDocument::Node& name_node = doc_->nodes_[i];
    if (name_node.length == name.size() && JsonValue(doc_, i).string() == name) {
      return JsonValue(doc_, i + 1);
    }
  }
  return JsonValue();
}

JsonValue JsonValue::At(size_t index) const {
  if (!is_array() || index >= doc_->nodes_[index_].count) return JsonValue();
  uint32_t i = index_ + 1;
  for (size_t k = 0; k < index; ++k) i = JsonValue(doc_, i).end_index();
  return JsonValue(doc_, i);
}

JsonValue::MemberRange JsonValue::members() const {
  if (!is_object()) return MemberRange(MemberIterator(doc_, 0), MemberIterator(doc_, 0));
  return MemberRange(MemberIterator(doc_, index_ + 1), MemberIterator(doc_, end_index()));
}

JsonValue::ElementRange JsonValue::elements() const {
  if (!is_array()) return ElementRange(ElementIterator(doc_, 0), ElementIterator(doc_, 0));
  return ElementRange(ElementIterator(doc_, index_ + 1), ElementIterator(doc_, end_index()));
}

std::string_view JsonValue::raw_text() const {
  if (!valid()) return {};
  const JsonDocument::Node& node = doc_->nodes_[index_];
  const uint32_t begin = node.type == JsonType::kString ? node.count : node.offset;
  return std::string_view(doc_->text_.data() + begin, node.source_end - begin);
}

JsonValue::Member JsonValue::MemberIterator::operator*() const {
  return Member{JsonValue(doc_, index_).string(), JsonValue(doc_, index_ + 1)};
}

JsonValue::MemberIterator& JsonValue::MemberIterator::operator++() {
  index_ = JsonValue(doc_, index_ + 1).end_index();
  return *this;
}

JsonValue::ElementIterator& JsonValue::ElementIterator::operator++() {
  index_ = JsonValue(doc_, index_).end_index();
  return *this;
}

void JsonQuote(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + text.size() + 2);
  out->push_back('"');
  size_t run = 0;  // First byte of `text` not yet appended.
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
  }
  out->append(text.data() + run, text.size() - run);
  out->push_back('"');
}

}  // namespace authgate
