// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "engine/fake_identity_provider.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cctype>
#include <deque>
#include <utility>
#include <vector>

#include "jose/base64url.h"
#include "jose/json.h"
#include "net/query_string.h"
#include "text.h"

namespace authgate::testing {

struct FakeIdentityProvider::Pending {
  struct Item {
    int client = 0;
    HttpRequest request;
    HttpClient::Callback done;
  };
  std::deque<Item> items;
  int busy_client = 0;  // the client whose answer the worker is delivering
  int next_client = 1;
};

namespace {

std::string Param(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return "";
}

std::string S256(std::string_view verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(digest), sizeof(digest)));
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// RFC 6749 Appendix B: what client_secret_basic encodes before base64.
std::string FormUrlEncodeForTest(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers = {{"content-type", "application/json"}};
  response.body = std::move(body);
  return response;
}

// Applies `patch` (a JSON object) to the claims object `base`: members of the
// patch replace or add; a null removes.
std::string Patch(std::string_view base, std::string_view patch) {
  JsonDocument b, p;
  if (!b.Parse(base, JsonLimits{}).ok() || !p.Parse(patch, JsonLimits{}).ok()) return "";
  std::string out = "{";
  auto add = [&](std::string_view name, JsonValue value) {
    if (value.is_null()) return;
    if (out.size() > 1) out += ",";
    JsonQuote(name, &out);
    out += ":";
    out += value.raw_text();
  };
  for (const JsonValue::Member& m : b.root().members()) {
    JsonValue replacement = p.root().Find(m.name);
    add(m.name, replacement.valid() ? replacement : m.value);
  }
  for (const JsonValue::Member& m : p.root().members()) {
    if (!b.root().Find(m.name).valid()) add(m.name, m.value);
  }
  return out + "}";
}

// Hands requests to the provider's worker; on destruction, cancels its own
// queued requests and waits for an answer being delivered to it.
class FakeClient final : public HttpClient {
 public:
  FakeClient(std::mutex* mutex, std::condition_variable* changed,
             FakeIdentityProvider::Pending* pending, int id)
      : mutex_(mutex), changed_(changed), pending_(pending), id_(id) {}

  ~FakeClient() override {
    std::vector<Callback> cancelled;
    {
      std::unique_lock<std::mutex> lock(*mutex_);
      changed_->wait(lock, [&] { return pending_->busy_client != id_; });
      for (auto it = pending_->items.begin(); it != pending_->items.end();) {
        if (it->client == id_) {
          cancelled.push_back(std::move(it->done));
          it = pending_->items.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (Callback& done : cancelled) done(absl::CancelledError("client destroyed"));
  }

  void Send(HttpRequest request, Callback done) override {
    std::lock_guard<std::mutex> lock(*mutex_);
    pending_->items.push_back({id_, std::move(request), std::move(done)});
    changed_->notify_all();
  }

 private:
  std::mutex* mutex_;
  std::condition_variable* changed_;
  FakeIdentityProvider::Pending* pending_;
  int id_;
};

}  // namespace

FakeIdentityProvider::FakeIdentityProvider(std::string issuer, const Clock& clock)
    : issuer_(std::move(issuer)), clock_(clock), key_(TestKey::Rsa()),
      queue_(std::make_shared<Pending>()) {
  worker_ = std::thread([this] { Worker(); });
}

FakeIdentityProvider::~FakeIdentityProvider() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  worker_.join();
}

std::unique_ptr<HttpClient> FakeIdentityProvider::NewClient() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::make_unique<FakeClient>(&mutex_, &changed_, queue_.get(), queue_->next_client++);
}

void FakeIdentityProvider::Worker() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] {
      if (stopping_) return true;
      for (const Pending::Item& item : queue_->items) {
        if (!HeldLocked(item.request)) return true;
      }
      return false;
    });
    if (stopping_) return;
    auto it = queue_->items.begin();
    while (HeldLocked(it->request)) ++it;
    Pending::Item item = std::move(*it);
    queue_->items.erase(it);
    queue_->busy_client = item.client;
    lock.unlock();
    HttpResponse response = Answer(item.request);
    item.done(std::move(response));
    lock.lock();
    queue_->busy_client = 0;
    changed_.notify_all();
  }
}

HttpResponse FakeIdentityProvider::Answer(const HttpRequest& request) {
  if (request.url == issuer_ + "/.well-known/openid-configuration") {
    return Json(200, StrCat(R"({"issuer":")", issuer_, R"(","authorization_endpoint":")", issuer_,
                            R"(/auth","token_endpoint":")", issuer_, R"(/token","jwks_uri":")",
                            issuer_, R"(/jwks","end_session_endpoint":")", issuer_,
                            R"(/session/end","authorization_response_iss_parameter_supported":true,)",
                            R"("token_endpoint_auth_methods_supported":["client_secret_basic"],)",
                            R"("code_challenge_methods_supported":["S256"],)",
                            R"("id_token_signing_alg_values_supported":["RS256"]})"));
  }
  if (request.url == issuer_ + "/jwks") return Json(200, key_.PublicJwks(std::string(kKid), "RS256"));
  if (request.url == issuer_ + "/token") return TokenEndpoint(request);
  return Json(404, R"({"error":"not_found"})");
}

HttpResponse FakeIdentityProvider::TokenEndpoint(const HttpRequest& request) {
  std::string authorization;
  for (const auto& [name, value] : request.headers) {
    if (EqualsIgnoreCase(name, "authorization")) authorization = value;
  }
  std::string expected_basic =
      StrCat("Basic ", Base64Encode(StrCat(FormUrlEncodeForTest(kClientId), ":",
                                           FormUrlEncodeForTest(kClientSecret))));
  QueryParams form = ParseQueryString(request.body);
  std::lock_guard<std::mutex> lock(mutex_);
  ++token_requests_;
  if (authorization != expected_basic) return Json(401, R"({"error":"invalid_client"})");
  std::string grant = Param(form, "grant_type");
  std::string nonce, patch, sub = "alice";
  if (grant == "authorization_code") {
    auto it = codes_.find(Param(form, "code"));
    if (it == codes_.end()) return Json(400, R"({"error":"invalid_grant"})");
    Grant g = it->second;
    codes_.erase(it);  // one use
    if (S256(Param(form, "code_verifier")) != g.challenge ||
        Param(form, "redirect_uri") != g.redirect_uri) {
      return Json(400, R"({"error":"invalid_grant"})");
    }
    nonce = g.nonce;
    patch = g.patch;
  } else if (grant == "refresh_token") {
    ++refresh_requests_;
    auto it = refresh_tokens_.find(Param(form, "refresh_token"));
    if (refresh_fails_ || it == refresh_tokens_.end()) {
      return Json(400, R"({"error":"invalid_grant"})");
    }
    nonce = it->second;
    refresh_tokens_.erase(it);  // rotation: a refresh token works once
    patch = "{}";
    sub = refresh_sub_;
  } else {
    return Json(400, R"({"error":"unsupported_grant_type"})");
  }
  std::string refresh = StrCat("rt-", ++counter_);
  refresh_tokens_[refresh] = nonce;
  int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::string access = AccessToken(StrCat(R"({"iss":")", issuer_, R"(","sub":")", sub,
                                          R"(","aud":"api","scope":"openid api:read","iat":)", now,
                                          R"(,"exp":)", now + access_token_lifetime_, "}"));
  std::string id_token = IdTokenFor(nonce, patch, sub);
  return Json(200, StrCat(R"({"access_token":")", access, R"(","token_type":"Bearer","expires_in":)",
                          access_token_lifetime_, R"(,"id_token":")", id_token,
                          R"(","refresh_token":")", refresh, R"("})"));
}

std::string FakeIdentityProvider::IdTokenFor(const std::string& nonce, const std::string& patch,
                                             const std::string& sub) {
  int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::string claims =
      StrCat(R"({"iss":")", issuer_, R"(","sub":")", sub, R"(","aud":")", kClientId,
             R"(","iat":)", now, R"(,"exp":)", now + 600, R"(,"nonce":")", nonce,
             R"(","email":"alice@example.com","roles":["admin","dev"],)",
             R"("realm_access":{"roles":["ops"]},"https://example.com/team":"blue"})");
  return SignIdToken(Patch(claims, patch.empty() ? "{}" : patch));
}

std::string FakeIdentityProvider::SignIdToken(std::string_view claims_json) const {
  return SignToken(key_, "RS256", StrCat(R"({"alg":"RS256","kid":")", kKid, R"("})"),
                   claims_json);
}

std::string FakeIdentityProvider::AccessToken(std::string_view claims_json) const {
  return SignToken(key_, "RS256",
                   StrCat(R"({"alg":"RS256","typ":"at+jwt","kid":")", kKid, R"("})"),
                   claims_json);
}

std::string FakeIdentityProvider::Authorize(std::string_view authorization_url,
                                            std::string claims_patch) {
  std::string_view url = authorization_url;
  size_t q = url.find('?');
  QueryParams params = ParseQueryString(q == std::string_view::npos ? "" : url.substr(q + 1));
  if (url.substr(0, q) != issuer_ + "/auth" || Param(params, "response_type") != "code" ||
      Param(params, "client_id") != kClientId ||
      Param(params, "code_challenge_method") != "S256") {
    return "";
  }
  std::lock_guard<std::mutex> lock(mutex_);
  std::string code = StrCat("code-", ++counter_);
  codes_[code] = Grant{Param(params, "nonce"), Param(params, "code_challenge"),
                       Param(params, "redirect_uri"), std::move(claims_patch)};
  return code;
}

void FakeIdentityProvider::set_access_token_lifetime(int seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  access_token_lifetime_ = seconds;
}

void FakeIdentityProvider::set_refresh_fails(bool fails) {
  std::lock_guard<std::mutex> lock(mutex_);
  refresh_fails_ = fails;
}

void FakeIdentityProvider::set_refresh_sub(std::string sub) {
  std::lock_guard<std::mutex> lock(mutex_);
  refresh_sub_ = std::move(sub);
}

void FakeIdentityProvider::HoldTokenEndpoint(bool hold) {
  std::lock_guard<std::mutex> lock(mutex_);
  hold_ = hold;
  changed_.notify_all();
}

void FakeIdentityProvider::HoldJwks(bool hold) {
  std::lock_guard<std::mutex> lock(mutex_);
  hold_jwks_ = hold;
  changed_.notify_all();
}

bool FakeIdentityProvider::HeldLocked(const HttpRequest& request) const {
  return (hold_ && request.url == issuer_ + "/token") ||
         (hold_jwks_ && request.url == issuer_ + "/jwks");
}

int FakeIdentityProvider::token_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return token_requests_;
}

int FakeIdentityProvider::refresh_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refresh_requests_;
}

}  // namespace authgate::testing
