// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jose/jws.h"

#include <cstring>

#include "text.h"
#include "jose/base64url.h"

namespace authgate {
namespace {

// A header holds a handful of members; `jwk` nests one level more.
constexpr JsonLimits kHeaderLimits{/*max_size=*/16 << 10, /*max_depth=*/8};

// Header parameters RFC 7515 and RFC 7518 register for JWS: a `crit` list
// must not name them (RFC 7515 4.1.11).
constexpr std::string_view kRegisteredHeaderNames[] = {
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit"};

bool Fail(Rejection* why, Reason reason, std::string detail) {
  why->reason = reason;
  why->detail = std::move(detail);
  return false;
}

bool CheckCrit(JsonValue header, JsonValue crit, Rejection* why) {
  if (!crit.is_array() || crit.size() == 0) {
    return Fail(why, Reason::kMalformed, "header \"crit\" must be a non-empty array of strings");
  }
  size_t index = 0;
  for (JsonValue name : crit.elements()) {
    if (!name.is_string()) {
      return Fail(why, Reason::kMalformed, "header \"crit\" must hold only strings");
    }
    for (std::string_view registered : kRegisteredHeaderNames) {
      if (name.string() == registered) {
        return Fail(why, Reason::kMalformed,
                    StrCat("header \"crit\" names the registered parameter \"", registered,
                                 "\" (RFC 7515 4.1.11)"));
      }
    }
    for (size_t j = 0; j < index; ++j) {
      if (crit.At(j).string() == name.string()) {
        return Fail(why, Reason::kMalformed, "header \"crit\" lists a name twice");
      }
    }
    if (!header.Find(name.string()).valid()) {
      return Fail(why, Reason::kMalformed, "header \"crit\" names a parameter that is absent");
    }
    ++index;
  }
  return Fail(why, Reason::kUnsupportedHeader,
              "header \"crit\" requires an extension authgate does not implement");
}

bool CheckHeader(JsonValue header, Rejection* why) {
  if (!header.is_object()) return Fail(why, Reason::kMalformed, "header is not a JSON object");
  if (header.Find("enc").valid()) {
    return Fail(why, Reason::kUnsupportedTokenType,
                "header has \"enc\": a JWE, and only JWS is accepted");
  }
  JsonValue alg = header.Find("alg");
  if (!alg.valid()) return Fail(why, Reason::kMalformed, "header lacks \"alg\"");
  for (std::string_view name : {"alg", "kid", "typ", "cty"}) {
    JsonValue value = header.Find(name);
    if (value.valid() && !value.is_string()) {
      return Fail(why, Reason::kMalformed, StrCat("header \"", name, "\" is not a string"));
    }
  }
  if (header.Find("b64").valid()) {
    return Fail(why, Reason::kUnsupportedHeader,
                "header has \"b64\" (RFC 7797 unencoded payload), which authgate does not accept");
  }
  JsonValue crit = header.Find("crit");
  if (crit.valid()) return CheckCrit(header, crit, why);
  return true;
}

}  // namespace

bool ParsedJws::Parse(std::string_view token, ParsedJws* out, Rejection* why) {
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) {
    return Fail(why, Reason::kMalformed, "not a compact JWS: expected three dot-separated parts");
  }
  size_t third = token.find('.', second + 1);
  if (third != std::string_view::npos) {
    size_t fourth = token.find('.', third + 1);
    bool five_parts = fourth != std::string_view::npos &&
                      token.find('.', fourth + 1) == std::string_view::npos;
    if (five_parts) {
      return Fail(why, Reason::kUnsupportedTokenType,
                  "five parts: a JWE, and only JWS is accepted");
    }
    return Fail(why, Reason::kMalformed, "not a compact JWS: too many parts");
  }
  std::string_view header_segment = token.substr(0, first);
  if (header_segment.empty()) return Fail(why, Reason::kMalformed, "empty header");

  absl::InlinedVector<uint8_t, 256> header_bytes(Base64UrlDecodedSize(header_segment.size()));
  size_t header_len = 0;
  if (!Base64UrlDecodeTo(header_segment, header_bytes.data(), &header_len)) {
    return Fail(why, Reason::kMalformed, "header is not strict base64url");
  }
  absl::Status parsed = out->header_.Parse(
      std::string_view(reinterpret_cast<const char*>(header_bytes.data()), header_len),
      kHeaderLimits);
  if (!parsed.ok()) {
    return Fail(why, Reason::kMalformed, StrCat("header: ", parsed.message()));
  }
  JsonValue header = out->header_.root();
  if (!CheckHeader(header, why)) return false;

  std::string_view signature_segment = token.substr(second + 1);
  out->signature_.resize(Base64UrlDecodedSize(signature_segment.size()));
  size_t signature_len = 0;
  if (!Base64UrlDecodeTo(signature_segment, out->signature_.data(), &signature_len)) {
    return Fail(why, Reason::kMalformed, "signature is not strict base64url");
  }
  out->signature_.resize(signature_len);
  out->signing_input_ = token.substr(0, second);
  out->payload_segment_ = token.substr(first + 1, second - first - 1);
  out->algorithm_ = AlgorithmFromName(header.Find("alg").string());
  return true;
}

std::optional<std::string_view> ParsedJws::OptionalMember(std::string_view name) const {
  JsonValue value = header_.root().Find(name);
  if (!value.is_string()) return std::nullopt;
  return value.string();
}

}  // namespace authgate
