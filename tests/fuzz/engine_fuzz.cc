// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the engine's decision with arbitrary requests (method, target,
// Host, Cookie, Authorization, Accept): nothing may crash or hang, answers
// must be well formed, and since the fuzzer holds neither the session secret
// nor a signing key, no protected route may ever be allowed (that would be a
// forged session or token, or a rule bypass).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "fuzz_check.h"
#include "policy/path_normalizer.h"

namespace {

constexpr char kConfig[] = R"({
  "session": {"secret": "fuzzing-secret-fuzzing-secret-0123456789"},
  "oidc": {"issuer": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s",
           "redirect_uri": "http://127.0.0.1:8000/callback",
           "authorization_endpoint": "http://127.0.0.1:9/auth",
           "token_endpoint": "http://127.0.0.1:9/token",
           "jwks_uri": "http://127.0.0.1:9/jwks",
           "claim_to_headers": [{"claim": "sub", "header": "x-user"}]},
  "jwt": {"providers": {"ec": {"issuer": "https://issuer.test", "jwks": {"keys": [
      {"kty": "EC", "crv": "P-256", "kid": "e",
       "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
       "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]},
      "from_cookies": ["tok"], "from_params": ["access_token"]}}},
  "evaluate_timeout": "100ms",
  "rules": [
    {"match": {"prefix": "/public"}, "requires": "none"},
    {"match": {"prefix": "/api"}, "requires": {"jwt": ["ec"]}},
    {"match": {"regex": "^/items/[0-9]+$"}, "requires": {"login_or_jwt": ["ec"]}},
    {"match": {"prefix": "/"}, "requires": "login"}
  ]})";

std::string_view NextField(std::string_view* input) {
  size_t end = input->find('\n');
  std::string_view field = input->substr(0, end);
  *input = end == std::string_view::npos ? std::string_view() : input->substr(end + 1);
  return field;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const authgate::Engine* engine = [] {
    auto created = authgate::Engine::Create(kConfig);
    FUZZ_CHECK(created.ok());
    return created->release();
  }();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  authgate::Request request;
  request.method = std::string(NextField(&input));
  request.scheme = "http";
  request.target = std::string(NextField(&input));
  request.authority = std::string(NextField(&input));
  const char* names[] = {"Cookie", "Authorization", "Accept", "X-User"};
  for (const char* name : names) {
    std::string_view value = NextField(&input);
    if (!value.empty()) request.headers.emplace_back(name, std::string(value));
  }
  authgate::Decision d = engine->Evaluate(request);
  if (d.action == authgate::Decision::Action::kAllow) {
    std::string_view target = d.upstream_target;
    std::string_view path = target.substr(0, target.find('?'));
    // No path the rules did not see.
    FUZZ_CHECK(!path.empty() && path[0] == '/' && path.find("/../") == std::string_view::npos &&
               path.find("//") == std::string_view::npos);
    // No protected route allowed without credentials. The rules match the
    // path without segment parameters ("/public;x" is "/public"), as servlet
    // containers serve it.
    const std::string matched = authgate::PathForMatching(path);
    FUZZ_CHECK(matched == "/public" || matched.rfind("/public/", 0) == 0);
    // No identity header from nowhere.
    for (const auto& [name, value] : d.set_headers) FUZZ_CHECK(name != "x-user");
  } else {
    FUZZ_CHECK(d.status >= 200 && d.status <= 599);
  }
  return 0;
}
