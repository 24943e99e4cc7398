// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jose/base64url.h"

#include <array>

namespace authgate {
namespace {

constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> MakeDecodeTable(char c62, char c63) {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (int i = 0; i < 26; ++i) {
    table['A' + i] = static_cast<uint8_t>(i);
    table['a' + i] = static_cast<uint8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) table['0' + i] = static_cast<uint8_t>(52 + i);
  table[static_cast<uint8_t>(c62)] = 62;
  table[static_cast<uint8_t>(c63)] = 63;
  return table;
}

constexpr std::array<uint8_t, 256> kUrlTable = MakeDecodeTable('-', '_');
constexpr std::array<uint8_t, 256> kStdTable = MakeDecodeTable('+', '/');
constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Decodes unpadded text with `table`. The main loop ORs every looked-up
// sextet into one accumulator and tests it once per block, so the common
// valid case costs no branch per character.
bool DecodeUnpadded(const std::array<uint8_t, 256>& table, std::string_view in, uint8_t* out,
                    size_t* out_len) {
  const size_t n = in.size();
  if (n % 4 == 1) return false;
  const auto* src = reinterpret_cast<const uint8_t*>(in.data());
  uint8_t* dst = out;
  size_t full = n / 4 * 4;
  uint32_t bad = 0;
  for (size_t i = 0; i < full; i += 4) {
    uint32_t a = table[src[i]], b = table[src[i + 1]], c = table[src[i + 2]],
             d = table[src[i + 3]];
    bad |= a | b | c | d;
    uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    dst[0] = static_cast<uint8_t>(v >> 16);
    dst[1] = static_cast<uint8_t>(v >> 8);
    dst[2] = static_cast<uint8_t>(v);
    dst += 3;
  }
  if (bad & 0x80) return false;
  switch (n - full) {
    case 0:
      break;
    case 2: {
      uint32_t a = table[src[full]], b = table[src[full + 1]];
      if ((a | b) & 0x80) return false;
      if (b & 0x0f) return false;  // non-canonical trailing bits
      *dst++ = static_cast<uint8_t>((a << 2) | (b >> 4));
      break;
    }
    case 3: {
      uint32_t a = table[src[full]], b = table[src[full + 1]], c = table[src[full + 2]];
      if ((a | b | c) & 0x80) return false;
      if (c & 0x03) return false;  // non-canonical trailing bits
      uint32_t v = (a << 18) | (b << 12) | (c << 6);
      *dst++ = static_cast<uint8_t>(v >> 16);
      *dst++ = static_cast<uint8_t>(v >> 8);
      break;
    }
    default:
      return false;
  }
  *out_len = static_cast<size_t>(dst - out);
  return true;
}

}  // namespace

bool Base64UrlDecodeTo(std::string_view in, uint8_t* out, size_t* out_len) {
  return DecodeUnpadded(kUrlTable, in, out, out_len);
}

bool Base64UrlDecode(std::string_view in, std::string* out) {
  out->resize(Base64UrlDecodedSize(in.size()));
  size_t len = 0;
  if (!DecodeUnpadded(kUrlTable, in, reinterpret_cast<uint8_t*>(out->data()), &len)) {
    out->clear();
    return false;
  }
  out->resize(len);
  return true;
}

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  const auto* src = reinterpret_cast<const uint8_t*>(in.data());
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8) | src[i + 2];
    out.push_back(kUrlAlphabet[v >> 18]);
    out.push_back(kUrlAlphabet[(v >> 12) & 63]);
    out.push_back(kUrlAlphabet[(v >> 6) & 63]);
    out.push_back(kUrlAlphabet[v & 63]);
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{src[i]} << 16;
    out.push_back(kUrlAlphabet[v >> 18]);
    out.push_back(kUrlAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8);
    out.push_back(kUrlAlphabet[v >> 18]);
    out.push_back(kUrlAlphabet[(v >> 12) & 63]);
    out.push_back(kUrlAlphabet[(v >> 6) & 63]);
  }
  return out;
}

bool Base64Decode(std::string_view in, std::string* out) {
  if (in.size() % 4 != 0) return false;
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = (in.size() >= 2 && in[in.size() - 2] == '=') ? 2 : 1;
  std::string_view body = in.substr(0, in.size() - pad);
  out->resize(Base64UrlDecodedSize(body.size()));
  size_t len = 0;
  if (!DecodeUnpadded(kStdTable, body, reinterpret_cast<uint8_t*>(out->data()), &len)) {
    out->clear();
    return false;
  }
  out->resize(len);
  return true;
}

}  // namespace authgate
