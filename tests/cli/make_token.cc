// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// make_token: writes keys and signed tokens for verify_cli_test.sh, using the
// test token factory (OpenSSL directly, no code of the verifier).
//
//   make_token DIR < SPEC
//
// SPEC has one command per line; fields are separated by single spaces and
// the last field takes the rest of the line (so a payload may hold spaces,
// a header may not). Empty lines and lines starting with '#' are skipped.
//
//   key NAME TYPE [KID]
//       TYPE: rsa | rsa1024 | ec256 | ec384 | ed25519 | hmac
//       Writes DIR/NAME.jwks (JWKS), NAME.jwk (JWK), and for asymmetric keys
//       NAME.pem (SubjectPublicKeyInfo) and NAME.crt (self-signed certificate).
//   token NAME KEY ALG HEADER PAYLOAD
//       Signs HEADER.PAYLOAD (JSON text, used byte for byte) with key KEY and
//       algorithm ALG. Writes DIR/NAME.jwt (no trailing newline) and
//       DIR/NAME.payload (the exact payload bytes).
//
// Exit status: 0 on success, 1 with a message on stderr otherwise.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/token_factory.h"

namespace {

using authgate::testing::SignToken;
using authgate::testing::TestKey;

// Split returns at most `max_fields` fields; the last takes the rest.
std::vector<std::string> Split(const std::string& line, size_t max_fields) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (fields.size() + 1 < max_fields) {
    size_t space = line.find(' ', start);
    if (space == std::string::npos) break;
    fields.push_back(line.substr(start, space - start));
    start = space + 1;
  }
  fields.push_back(line.substr(start));
  return fields;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) throw std::runtime_error("cannot write " + path);
}

TestKey MakeKey(const std::string& type) {
  if (type == "rsa") return TestKey::Rsa(2048);
  if (type == "rsa1024") return TestKey::Rsa(1024);
  if (type == "ec256") return TestKey::Ec("P-256");
  if (type == "ec384") return TestKey::Ec("P-384");
  if (type == "ed25519") return TestKey::Ed25519();
  if (type == "hmac") return TestKey::Hmac(std::string("0123456789abcdef0123456789abcdef"));
  throw std::runtime_error("unknown key type " + type);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_token DIR < SPEC\n";
    return 1;
  }
  const std::string dir = argv[1];
  std::map<std::string, TestKey> keys;
  std::string line;
  int line_number = 0;
  try {
    while (std::getline(std::cin, line)) {
      ++line_number;
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string> head = Split(line, 2);
      if (head[0] == "key") {
        std::vector<std::string> f = Split(line, 4);
        if (f.size() < 3) throw std::runtime_error("key needs NAME TYPE [KID]");
        std::optional<std::string> kid;
        if (f.size() == 4) kid = f[3];
        TestKey key = MakeKey(f[2]);
        const std::string base = dir + "/" + f[1];
        WriteFile(base + ".jwks", key.PublicJwks(kid));
        WriteFile(base + ".jwk", key.PublicJwk(kid));
        if (f[2] != "hmac") {
          WriteFile(base + ".pem", key.PublicPem());
          WriteFile(base + ".crt", key.CertificatePem());
        }
        keys.insert_or_assign(f[1], std::move(key));
      } else if (head[0] == "token") {
        std::vector<std::string> f = Split(line, 6);
        if (f.size() != 6) throw std::runtime_error("token needs NAME KEY ALG HEADER PAYLOAD");
        auto key = keys.find(f[2]);
        if (key == keys.end()) throw std::runtime_error("no key named " + f[2]);
        WriteFile(dir + "/" + f[1] + ".jwt", SignToken(key->second, f[3], f[4], f[5]));
        WriteFile(dir + "/" + f[1] + ".payload", f[5]);
      } else {
        throw std::runtime_error("unknown command " + head[0]);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "make_token: line " << line_number << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
