// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "oidc/fake_provider.h"

#include <stdexcept>

namespace authgate::testing {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw std::runtime_error("bad percent-encoding in a form body");
}

std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(HexDigit(text[i + 1]) * 16 + HexDigit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

IdTokenClaims::IdTokenClaims(std::string issuer) {
  SetString("iss", issuer);
  SetString("sub", "alice");
  SetString("aud", "app");
  Set("iat", std::to_string(kTestNow));
  Set("exp", std::to_string(kTestNow + 600));
  SetString("nonce", "n-123");
}

IdTokenClaims& IdTokenClaims::Set(const std::string& name, const std::string& raw_json) {
  Erase(name);
  members_.emplace_back(name, raw_json);
  return *this;
}

IdTokenClaims& IdTokenClaims::SetString(const std::string& name, const std::string& value) {
  return Set(name, Quote(value));
}

IdTokenClaims& IdTokenClaims::Erase(const std::string& name) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (it->first == name) {
      members_.erase(it);
      break;
    }
  }
  return *this;
}

std::string IdTokenClaims::Json() const {
  std::string out = "{";
  for (const auto& [name, value] : members_) {
    if (out.size() > 1) out += ",";
    out += Quote(name) + ":" + value;
  }
  return out + "}";
}

std::map<std::string, std::string> FormDecode(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    std::string pair = body.substr(start, end - start);
    size_t eq = pair.find('=');
    out[Unescape(pair.substr(0, eq))] =
        eq == std::string::npos ? "" : Unescape(pair.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

FakeProvider::FakeProvider()
    : server_(std::make_unique<TestHttpServer>()), key_(TestKey::Ec("P-256")) {
  issuer_ = server_->Url("");
  discovery_issuer_ = issuer_;
  server_->SetHandler([this](const TestHttpServer::Request& request) { return Handle(request); });
}

FakeProvider::~FakeProvider() {
  ReleaseTokenEndpoint();
  server_.reset();
}

OidcConfig FakeProvider::Config() const {
  OidcConfig config;
  config.issuer = issuer_;
  config.client_id = "app";
  config.client_secret = "app-secret";
  config.redirect_uri = "https://app.example/oauth2/callback";
  config.scopes = {"openid", "email"};
  return config;
}

void FakeProvider::SetIssParameterSupported(bool supported) {
  std::lock_guard<std::mutex> lock(mutex_);
  iss_supported_ = supported;
}

void FakeProvider::SetEndSessionEndpoint(bool present) {
  std::lock_guard<std::mutex> lock(mutex_);
  end_session_ = present;
}

void FakeProvider::SetAuthMethodsSupported(std::vector<std::string> methods) {
  std::lock_guard<std::mutex> lock(mutex_);
  auth_methods_ = std::move(methods);
}

void FakeProvider::SetDiscoveryIssuer(std::string issuer) {
  std::lock_guard<std::mutex> lock(mutex_);
  discovery_issuer_ = std::move(issuer);
}

void FakeProvider::SetSigningKey(const TestKey& key, std::string kid) {
  std::lock_guard<std::mutex> lock(mutex_);
  key_ = key;
  kid_ = std::move(kid);
}

std::string FakeProvider::Sign(const std::string& claims) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return SignToken(key_, "ES256", R"({"alg":"ES256","kid":)" + Quote(kid_) + "}", claims);
}

void FakeProvider::ExpectNonce(std::string nonce) {
  std::lock_guard<std::mutex> lock(mutex_);
  nonce_ = std::move(nonce);
}

void FakeProvider::SetTokenHandler(TokenHandler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  token_handler_ = std::move(handler);
}

TestHttpServer::Response FakeProvider::Json(int status, const std::string& body) {
  TestHttpServer::Response response;
  response.status = status;
  response.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
  response.body = body;
  return response;
}

void FakeProvider::HoldTokenEndpoint() {
  std::lock_guard<std::mutex> lock(mutex_);
  hold_ = true;
}

void FakeProvider::ReleaseTokenEndpoint() {
  std::lock_guard<std::mutex> lock(mutex_);
  hold_ = false;
  held_changed_.notify_all();
}

void FakeProvider::WaitForHeldRequests(int count) {
  std::unique_lock<std::mutex> lock(mutex_);
  held_changed_.wait(lock, [&] { return held_ >= count; });
}

std::vector<TestHttpServer::Request> FakeProvider::TokenRequests() const {
  std::vector<TestHttpServer::Request> out;
  for (const TestHttpServer::Request& request : server_->requests()) {
    if (request.target == "/token") out.push_back(request);
  }
  return out;
}

int FakeProvider::discovery_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return discovery_requests_;
}

std::string FakeProvider::DiscoveryDocument() const {
  std::string methods;
  for (const std::string& method : auth_methods_) {
    methods += (methods.empty() ? "" : ",") + Quote(method);
  }
  return "{\"issuer\":" + Quote(discovery_issuer_) +
         ",\"authorization_endpoint\":" + Quote(server_->Url("/authorize")) +
         ",\"token_endpoint\":" + Quote(server_->Url("/token")) +
         ",\"jwks_uri\":" + Quote(server_->Url("/jwks")) +
         (end_session_ ? ",\"end_session_endpoint\":" + Quote(server_->Url("/logout")) : "") +
         ",\"authorization_response_iss_parameter_supported\":" +
         (iss_supported_ ? "true" : "false") + ",\"token_endpoint_auth_methods_supported\":[" +
         methods + "]" +
         ",\"response_types_supported\":[\"code\"],\"code_challenge_methods_supported\":[\"S256\"]"
         "}";
}

TestHttpServer::Response FakeProvider::Handle(const TestHttpServer::Request& request) {
  if (request.target == "/.well-known/openid-configuration") {
    std::lock_guard<std::mutex> lock(mutex_);
    ++discovery_requests_;
    return Json(200, DiscoveryDocument());
  }
  if (request.target == "/jwks") {
    std::lock_guard<std::mutex> lock(mutex_);
    return Json(200, key_.PublicJwks(kid_));
  }
  if (request.target != "/token") return Json(404, "{}");
  TokenHandler handler;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    ++held_;
    held_changed_.notify_all();
    held_changed_.wait(lock, [&] { return !hold_; });
    --held_;
    handler = token_handler_;
  }
  return handler ? handler(request) : DefaultToken(request);
}

TestHttpServer::Response FakeProvider::DefaultToken(const TestHttpServer::Request& request) {
  std::map<std::string, std::string> form = FormDecode(request.body);
  int serial;
  std::string nonce;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    serial = ++issued_;
    nonce = nonce_;
  }
  IdTokenClaims claims(issuer_);
  if (form["grant_type"] == "refresh_token") {
    claims.Erase("nonce");
  } else {
    claims.SetString("nonce", nonce);
  }
  std::string n = std::to_string(serial);
  return Json(200, "{\"access_token\":\"at-" + n +
                       "\",\"token_type\":\"Bearer\",\"expires_in\":300," +
                       "\"refresh_token\":\"rt-" + n + "\",\"id_token\":" + Quote(Sign(claims)) +
                       ",\"scope\":\"openid email\"}");
}

}  // namespace authgate::testing
