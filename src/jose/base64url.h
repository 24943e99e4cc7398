// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// base64url.h: strict base64url (RFC 4648 section 5, as JWS uses it: RFC 7515
// section 2, no padding) and standard base64 (for JWK `x5c`, RFC 7517 4.7).
//
//   std::string bytes;
//   if (!Base64UrlDecode(segment, &bytes)) return Malformed("bad base64url");
//
// Strict means one text per byte string: no '=' padding, no whitespace, no
// '+' or '/', no length of 1 mod 4, and the unused low bits of the last
// character must be zero (so "Zm9v" and "Zm9w" cannot both decode to "foo").

#ifndef AUTHGATE_SRC_JOSE_BASE64URL_H_
#define AUTHGATE_SRC_JOSE_BASE64URL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace authgate {

// Base64UrlDecodedSize returns the number of bytes `encoded_size` characters
// of unpadded base64url decode to (an upper bound when the text is invalid).
constexpr size_t Base64UrlDecodedSize(size_t encoded_size) {
  return encoded_size / 4 * 3 + (encoded_size % 4 == 0 ? 0 : encoded_size % 4 - 1);
}

// Base64UrlDecodeTo decodes `in` into `out`, which must have room for
// Base64UrlDecodedSize(in.size()) bytes, and stores the decoded length in
// *out_len. Returns false (leaving `out` unspecified) on any strictness failure.
bool Base64UrlDecodeTo(std::string_view in, uint8_t* out, size_t* out_len);

// Base64UrlDecode decodes `in` into *out (replacing its contents).
bool Base64UrlDecode(std::string_view in, std::string* out);

// Base64UrlEncode returns `in` encoded as unpadded base64url.
std::string Base64UrlEncode(std::string_view in);

// Base64Decode decodes standard base64 with mandatory '=' padding and no
// whitespace, as RFC 7517 requires for `x5c` certificates.
bool Base64Decode(std::string_view in, std::string* out);

}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_BASE64URL_H_
