// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// jws.h: the compact JWS serialisation (RFC 7515 section 7.1): splitting,
// strict decoding and the protected header's rules. No key is involved here.
//
//   ParsedJws jws;
//   Rejection why;
//   if (!ParsedJws::Parse(token, &jws, &why)) return why;   // malformed, ...
//   Algorithm alg = *jws.algorithm();                       // when known
//
// The header must be a JSON object with a string `alg`; `kid`, `typ` and
// `cty` are strings when present. A header with `enc`, or five segments, is
// a JWE (unsupported_token_type). `crit` must be a non-empty array of
// distinct strings naming members that are present and not registered by
// RFC 7515/7518 (else malformed); since authgate implements no extension,
// any valid `crit` is unsupported_header, and so is `b64` (RFC 7797).
// Header members `jwk`, `jku`, `x5u`, `x5c` are never used: keys come only
// from configuration.

#ifndef AUTHGATE_SRC_JOSE_JWS_H_
#define AUTHGATE_SRC_JOSE_JWS_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "jose/algorithm.h"
#include "jose/base64url.h"
#include "jose/json.h"
#include "reason.h"

namespace authgate {

class ParsedJws {
 public:
  // Parse splits `token` and decodes its header and signature. On failure
  // returns false and sets *why (malformed, unsupported_token_type or
  // unsupported_header). The token must outlive the ParsedJws: the signing
  // input and payload segment are views into it.
  static bool Parse(std::string_view token, ParsedJws* out, Rejection* why);

  // algorithm is the header's `alg` when authgate implements it.
  std::optional<Algorithm> algorithm() const { return algorithm_; }
  std::string_view algorithm_name() const { return header_.root().Find("alg").string(); }
  std::optional<std::string_view> kid() const { return OptionalMember("kid"); }
  std::optional<std::string_view> typ() const { return OptionalMember("typ"); }

  const JsonDocument& header() const { return header_; }
  // ReleaseHeader moves the parsed header out (the accessors above are then
  // unusable).
  JsonDocument ReleaseHeader() { return std::move(header_); }
  // signing_input is "<header>.<payload>" as it appears in the token.
  std::string_view signing_input() const { return signing_input_; }
  // payload_segment is the base64url payload text.
  std::string_view payload_segment() const { return payload_segment_; }
  absl::Span<const uint8_t> signature() const { return signature_; }

  // DecodePayload decodes the payload segment into *out (replacing its
  // contents). Returns false, with *why set to malformed, when the segment is
  // not strict base64url.
  template <typename Buffer>
  bool DecodePayload(Buffer* out, Rejection* why) const;

 private:
  std::optional<std::string_view> OptionalMember(std::string_view name) const;

  JsonDocument header_;
  std::optional<Algorithm> algorithm_;
  std::string_view signing_input_;
  std::string_view payload_segment_;
  // Large enough for an RSA-4096 signature without allocating.
  absl::InlinedVector<uint8_t, 512> signature_;
};

template <typename Buffer>
bool ParsedJws::DecodePayload(Buffer* out, Rejection* why) const {
  out->resize(Base64UrlDecodedSize(payload_segment_.size()));
  size_t len = 0;
  if (!Base64UrlDecodeTo(payload_segment_, reinterpret_cast<uint8_t*>(out->data()), &len)) {
    why->reason = Reason::kMalformed;
    why->detail = "payload is not strict base64url";
    return false;
  }
  out->resize(len);
  return true;
}

}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_JWS_H_
