// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// verify_bench.cc: single- and two-thread verification throughput of
// JwtVerifier on realistic tokens, against the fastest raw OpenSSL check of
// the same signature with the same key. bench/README.md says what each
// benchmark measures.
//
// Benchmark names are a contract (bench/run_verify_bench.sh and README.md
// rely on them). BM_Verify/<ALG>, BM_VerifyWithClaims/<ALG>,
// BM_RawOpenSSL/<ALG> and BM_VerifyCached/<ALG> are registered without any
// modifier that appends to a name (Threads, Repetitions, Iterations, MinTime,
// UseRealTime, ...); repetitions come from --benchmark_repetitions. The
// two-thread runs are separate registrations with Threads(2), hence named
// BM_VerifyParallel/<ALG>/threads:2 and BM_VerifyCachedParallel/<ALG>/threads:2.
//
// Every benchmark reports items_per_second (one item = one verification).
// Google Benchmark divides it by CPU time summed over threads, so for a
// two-thread run it is a per-thread rate; the two-thread runs therefore also
// report all_threads_per_second, the combined wall-clock rate of both threads.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "absl/time/time.h"
#include "jose/key_set.h"
#include "jwks/key_source.h"
#include "jwt/jwt_verifier.h"
#include "jwt/verified_token.h"
#include "paired_runs.h"
#include "reason.h"
#include "support/test_http_server.h"
#include "support/token_factory.h"

namespace authgate {
namespace {

using testing::TestKey;

constexpr int64_t kIssuedAt = 1767225600;  // 2026-01-01T00:00:00Z
constexpr int64_t kLifetime = 3600;
const absl::Time kNow = absl::FromUnixSeconds(kIssuedAt + 120);

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "authgate_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(bool ok, const char* what) {
  if (!ok) Die(std::string("OpenSSL setup failed: ") + what);
}

// A typical OIDC access token: 11 claims (6 registered), 362 bytes of JSON.
std::string Payload() {
  return "{\"iss\":\"https://login.example.com/realms/prod\","
         "\"sub\":\"8f14e45f-ceea-467f-a0e6-4b1d2c3a9e71\","
         "\"aud\":[\"api://orders\",\"api://billing\"],"
         "\"exp\":" + std::to_string(kIssuedAt + kLifetime) + ","
         "\"nbf\":" + std::to_string(kIssuedAt) + ","
         "\"iat\":" + std::to_string(kIssuedAt) + ","
         "\"jti\":\"5c8e2f0a-7d1b-4e3a-9b6c-2f4d8a1e0c7b\","
         "\"azp\":\"orders-web\","
         "\"scope\":\"openid profile email orders:read\","
         "\"email\":\"jane.doe@example.com\","
         "\"roles\":[\"orders-reader\",\"orders-writer\"]}";
}

// Claims are really checked: exp/nbf/iat with skew, lifetime, issuer (second
// of two), audience (first element of the token's array).
ClaimRules Rules() {
  ClaimRules rules;
  rules.issuers = {"https://accounts.example.org", "https://login.example.com/realms/prod"};
  rules.audiences = {"api://orders"};
  rules.max_lifetime = absl::Hours(24);
  return rules;
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// Everything one algorithm's benchmarks share, built once before any run.
struct Case {
  std::string alg;
  TestKey key;
  std::string token;
  std::string signing_input;
  std::string signature;  // the raw JWS signature (r || s for ECDSA)
  PkeyPtr public_key{nullptr, EVP_PKEY_free};  // public part only, for the raw path
  std::unique_ptr<JwtVerifier> verifier;         // cache off
  std::unique_ptr<JwtVerifier> cached_verifier;  // cache on
  // Keys from a jwks_uri on loopback, refreshed in the background every
  // second (max-age=1), cache off. Declared after the server it fetches from,
  // so that it goes first.
  std::unique_ptr<testing::TestHttpServer> jwks_server;
  std::unique_ptr<JwtVerifier> remote_verifier;
};

bool IsRsa(std::string_view alg) { return alg[0] == 'R' || alg[0] == 'P'; }
bool IsEcdsa(std::string_view alg) { return alg[0] == 'E' && alg[1] == 'S'; }
const char* DigestName(std::string_view alg) {
  return alg.substr(2) == "384" ? "SHA384" : alg.substr(2) == "512" ? "SHA512" : "SHA256";
}

PkeyPtr PublicOnly(EVP_PKEY* full) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(full, &der);
  Check(len > 0, "i2d_PUBKEY");
  const unsigned char* p = der;
  PkeyPtr pub(d2i_PUBKEY(nullptr, &p, len), EVP_PKEY_free);
  OPENSSL_free(der);
  Check(pub != nullptr, "d2i_PUBKEY");
  return pub;
}

std::unique_ptr<JwtVerifier> MakeVerifier(const std::string& jwks, size_t cache_entries) {
  auto loaded = KeySet::FromText(jwks);
  if (!loaded.ok()) Die("KeySet::FromText: " + std::string(loaded.status().message()));
  JwtVerifierOptions options;
  options.claims = Rules();
  options.cache.max_entries = cache_entries;
  auto verifier = JwtVerifier::Create(loaded->keys, std::move(options));
  if (!verifier.ok()) Die("JwtVerifier::Create: " + std::string(verifier.status().message()));
  return std::move(*verifier);
}

std::unique_ptr<JwtVerifier> MakeRemoteVerifier(const std::string& url) {
  RemoteKeySourceOptions source;
  source.jwks_uri = url;
  source.cache_duration = absl::Seconds(1);
  source.min_cache_duration = absl::Seconds(1);
  std::unique_ptr<HttpClient> http = NewCurlHttpClient(HttpClientOptions{});
  std::unique_ptr<Scheduler> scheduler = Scheduler::NewThreaded(Clock::System());
  auto keys = KeySource::Remote(source, http.get(), scheduler.get());
  if (!keys.ok()) Die("KeySource::Remote: " + std::string(keys.status().message()));
  std::vector<KeyProvider> providers(1);
  providers[0].keys = std::move(*keys);
  JwtVerifierOptions options;
  options.claims = Rules();
  auto verifier = JwtVerifier::Create(std::move(providers), std::move(options), std::move(http),
                                      std::move(scheduler));
  if (!verifier.ok()) Die("JwtVerifier::Create: " + std::string(verifier.status().message()));
  if (!(*verifier)->WaitReady(absl::Seconds(10))) Die("remote keys did not arrive");
  return std::move(*verifier);
}

std::unique_ptr<Case> MakeCase(std::string alg, TestKey key) {
  auto c = std::make_unique<Case>();
  c->alg = std::move(alg);
  c->key = std::move(key);
  std::string kid = "bench-" + c->alg;
  std::string header = "{\"alg\":\"" + c->alg + "\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}";
  c->signing_input = testing::Base64Url(header) + "." + testing::Base64Url(Payload());
  c->signature = c->key.Sign(c->alg, c->signing_input);
  c->token = c->signing_input + "." + testing::Base64Url(c->signature);
  if (c->key.pkey() != nullptr) c->public_key = PublicOnly(c->key.pkey());

  std::string jwks = c->key.PublicJwks(kid, c->alg);
  c->verifier = MakeVerifier(jwks, 0);
  c->cached_verifier = MakeVerifier(jwks, 10000);
  c->jwks_server = std::make_unique<testing::TestHttpServer>();
  c->jwks_server->SetHandler([jwks](const testing::TestHttpServer::Request&) {
    return testing::TestHttpServer::Response{200, {{"Cache-Control", "max-age=1"}}, jwks};
  });
  c->remote_verifier = MakeRemoteVerifier(c->jwks_server->Url("/jwks"));
  for (const JwtVerifier* v :
       {c->verifier.get(), c->cached_verifier.get(), c->remote_verifier.get()}) {
    Rejection why;
    VerifiedToken out;
    if (!v->Verify(c->token, kNow, &out, &why)) {
      Die(c->alg + " token does not verify: " + std::string(ReasonName(why.reason)) + ": " +
          why.detail);
    }
  }
  // A token that must fail, so that a benchmark can never measure a verifier
  // that accepts anything.
  std::string bad = c->token;
  bad[c->signing_input.size() + 5] = bad[c->signing_input.size() + 5] == 'A' ? 'B' : 'A';
  Rejection why;
  if (c->verifier->Verify(bad, kNow, nullptr, &why)) Die(c->alg + " accepts a bad signature");
  return c;
}

// ---------------------------------------------------------------------------
// The operations measured. Each is set up in its constructor (outside any
// timing), reports set-up failures through error(), and runs one
// verification per call, returning whether it succeeded. The same objects
// serve the benchmarks and --profile mode.

// BM_Verify: full verification through JwtVerifier (parse, base64url,
// header and claims JSON, key selection, signature, claim checks), verdict
// only (out = nullptr), as a gateway that needs allow/deny. With
// Case::remote_verifier it is BM_VerifyRemoteKeys: the keys then come from a
// remote source that a background refresh replaces every second, so the read
// path of key snapshots (SnapshotCell) and the refresh's CPU share are what
// differ.
template <std::unique_ptr<JwtVerifier> Case::*kVerifier>
class VerdictOnlyOp {
 public:
  explicit VerdictOnlyOp(const Case* c) : c_(c) {}
  const char* error() const { return nullptr; }
  bool operator()() { return (c_->*kVerifier)->Verify(c_->token, kNow, nullptr, &why_); }

 private:
  const Case* c_;
  Rejection why_;
};
using VerifyOp = VerdictOnlyOp<&Case::verifier>;
using VerifyRemoteKeysOp = VerdictOnlyOp<&Case::remote_verifier>;

// BM_VerifyWithClaims: the same, also handing the parsed header and claims
// to the caller (out != nullptr: one TokenRecord allocation per call).
class VerifyWithClaimsOp {
 public:
  explicit VerifyWithClaimsOp(const Case* c) : c_(c) {}
  const char* error() const { return nullptr; }
  bool operator()() {
    VerifiedToken out;
    bool ok = c_->verifier->Verify(c_->token, kNow, &out, &why_);
    benchmark::DoNotOptimize(out);
    return ok;
  }

 private:
  const Case* c_;
  Rejection why_;
};

// BM_VerifyCached: a token seen before, cache on, claims handed out: hash +
// shard lock + lookup + byte compare + expiry check + shared_ptr copy.
class VerifyCachedOp {
 public:
  explicit VerifyCachedOp(const Case* c) : c_(c) {
    VerifiedToken warm;
    if (!c_->cached_verifier->Verify(c_->token, kNow, &warm, &why_)) error_ = "warm-up failed";
  }
  const char* error() const { return error_; }
  bool operator()() {
    VerifiedToken out;
    bool ok = c_->cached_verifier->Verify(c_->token, kNow, &out, &why_);
    benchmark::DoNotOptimize(out);
    return ok;
  }

 private:
  const Case* c_;
  Rejection why_;
  const char* error_ = nullptr;
};

// Raw OpenSSL: only the signature check of the same signing input and
// signature with the same (public) key, on the fastest path found: contexts
// and algorithms fetched once, outside the loop.

// RSA (PKCS#1 v1.5, PSS) and ECDSA: pre-hash with a reused EVP_MD_CTX and an
// EVP_MD fetched once, then EVP_PKEY_verify on a context initialised once.
// The ECDSA signature is converted to DER once, here.
class RawDigestVerifyOp {
 public:
  explicit RawDigestVerifyOp(const Case* c) : input_(c->signing_input), sig_(c->signature) {
    md_ = EVP_MD_fetch(nullptr, DigestName(c->alg), nullptr);
    mctx_ = EVP_MD_CTX_new();
    pctx_ = EVP_PKEY_CTX_new_from_pkey(nullptr, c->public_key.get(), nullptr);
    Check(md_ && mctx_ && pctx_ && EVP_PKEY_verify_init(pctx_) == 1, "verify init");
    if (c->alg[0] == 'R') {
      Check(EVP_PKEY_CTX_set_rsa_padding(pctx_, RSA_PKCS1_PADDING) == 1, "pkcs1 padding");
    } else if (c->alg[0] == 'P') {
      Check(EVP_PKEY_CTX_set_rsa_padding(pctx_, RSA_PKCS1_PSS_PADDING) == 1 &&
                EVP_PKEY_CTX_set_rsa_mgf1_md(pctx_, md_) == 1 &&
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx_, RSA_PSS_SALTLEN_DIGEST) == 1,
            "pss parameters");
    }
    Check(EVP_PKEY_CTX_set_signature_md(pctx_, md_) == 1, "signature md");
    if (IsEcdsa(c->alg)) {
      size_t n = c->signature.size() / 2;
      const auto* raw = reinterpret_cast<const unsigned char*>(c->signature.data());
      ECDSA_SIG* ecdsa = ECDSA_SIG_new();
      Check(ecdsa != nullptr &&
                ECDSA_SIG_set0(ecdsa, BN_bin2bn(raw, static_cast<int>(n), nullptr),
                               BN_bin2bn(raw + n, static_cast<int>(n), nullptr)) == 1,
            "ECDSA_SIG_set0");
      unsigned char* der = nullptr;
      int len = i2d_ECDSA_SIG(ecdsa, &der);
      Check(len > 0, "i2d_ECDSA_SIG");
      sig_.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
      OPENSSL_free(der);
      ECDSA_SIG_free(ecdsa);
    }
  }
  ~RawDigestVerifyOp() {
    EVP_PKEY_CTX_free(pctx_);
    EVP_MD_CTX_free(mctx_);
    EVP_MD_free(md_);
  }
  RawDigestVerifyOp(const RawDigestVerifyOp&) = delete;
  RawDigestVerifyOp& operator=(const RawDigestVerifyOp&) = delete;
  const char* error() const { return nullptr; }
  bool operator()() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    return EVP_DigestInit_ex2(mctx_, md_, nullptr) == 1 &&
           EVP_DigestUpdate(mctx_, input_.data(), input_.size()) == 1 &&
           EVP_DigestFinal_ex(mctx_, digest, &digest_len) == 1 &&
           EVP_PKEY_verify(pctx_, reinterpret_cast<const unsigned char*>(sig_.data()),
                           sig_.size(), digest, digest_len) == 1;
  }

 private:
  const std::string& input_;
  std::string sig_;
  EVP_MD* md_ = nullptr;
  EVP_MD_CTX* mctx_ = nullptr;
  EVP_PKEY_CTX* pctx_ = nullptr;
};

int EdDsaVerify(EVP_MD_CTX* ctx, const std::string& input, const std::string& sig) {
  return EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size());
}

// EdDSA, fastest path: EVP_DigestVerifyInit_ex once, then one-shot
// EVP_DigestVerify calls on the same context. OpenSSL 3.0's Ed25519 one-shot
// verify keeps no state between calls; the constructor checks that (good,
// bad, good) gives (1, not 1, 1) on one context.
class RawEdDsaOp {
 public:
  explicit RawEdDsaOp(const Case* c) : input_(c->signing_input), sig_(c->signature) {
    ctx_ = EVP_MD_CTX_new();
    Check(ctx_ && EVP_DigestVerifyInit_ex(ctx_, nullptr, nullptr, nullptr, nullptr,
                                          c->public_key.get(), nullptr) == 1,
          "EVP_DigestVerifyInit_ex");
    std::string bad = sig_;
    bad[3] ^= 1;
    if (EdDsaVerify(ctx_, input_, sig_) != 1 || EdDsaVerify(ctx_, input_, bad) == 1 ||
        EdDsaVerify(ctx_, input_, sig_) != 1) {
      error_ = "a reused EdDSA context does not verify correctly";
    }
    ERR_clear_error();
  }
  ~RawEdDsaOp() { EVP_MD_CTX_free(ctx_); }
  RawEdDsaOp(const RawEdDsaOp&) = delete;
  RawEdDsaOp& operator=(const RawEdDsaOp&) = delete;
  const char* error() const { return error_; }
  bool operator()() { return EdDsaVerify(ctx_, input_, sig_) == 1; }

 private:
  const std::string& input_;
  const std::string& sig_;
  EVP_MD_CTX* ctx_ = nullptr;
  const char* error_ = nullptr;
};

// BM_RawOpenSSLReinit/EdDSA: EdDSA with reset + EVP_DigestVerifyInit_ex per
// call, to show what that set-up costs (about 2% of an Ed25519 check).
class RawEdDsaReinitOp {
 public:
  explicit RawEdDsaReinitOp(const Case* c)
      : input_(c->signing_input), sig_(c->signature), key_(c->public_key.get()) {
    ctx_ = EVP_MD_CTX_new();
    Check(ctx_ != nullptr, "EVP_MD_CTX_new");
  }
  ~RawEdDsaReinitOp() { EVP_MD_CTX_free(ctx_); }
  RawEdDsaReinitOp(const RawEdDsaReinitOp&) = delete;
  RawEdDsaReinitOp& operator=(const RawEdDsaReinitOp&) = delete;
  const char* error() const { return nullptr; }
  bool operator()() {
    EVP_MD_CTX_reset(ctx_);
    return EVP_DigestVerifyInit_ex(ctx_, nullptr, nullptr, nullptr, nullptr, key_, nullptr) ==
               1 &&
           EdDsaVerify(ctx_, input_, sig_) == 1;
  }

 private:
  const std::string& input_;
  const std::string& sig_;
  EVP_PKEY* key_;
  EVP_MD_CTX* ctx_ = nullptr;
};

// HMAC: a keyed EVP_MAC_CTX re-armed with EVP_MAC_init(ctx, NULL, 0, NULL)
// (keeps the key schedule), then a constant-time compare.
class RawHmacOp {
 public:
  explicit RawHmacOp(const Case* c) : input_(c->signing_input), sig_(c->signature) {
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx_ = mac_ ? EVP_MAC_CTX_new(mac_) : nullptr;
    char digest_name[16];
    std::snprintf(digest_name, sizeof(digest_name), "%s", DigestName(c->alg));
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end()};
    const std::string& secret = c->key.secret();
    Check(ctx_ && EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(secret.data()),
                               secret.size(), params) == 1,
          "EVP_MAC_init");
  }
  ~RawHmacOp() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  RawHmacOp(const RawHmacOp&) = delete;
  RawHmacOp& operator=(const RawHmacOp&) = delete;
  const char* error() const { return nullptr; }
  bool operator()() {
    unsigned char tag[EVP_MAX_MD_SIZE];
    size_t tag_len = 0;
    return EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1 &&
           EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(input_.data()),
                          input_.size()) == 1 &&
           EVP_MAC_final(ctx_, tag, &tag_len, sizeof(tag)) == 1 && tag_len == sig_.size() &&
           CRYPTO_memcmp(tag, sig_.data(), tag_len) == 0;
  }

 private:
  const std::string& input_;
  const std::string& sig_;
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
};

// ---------------------------------------------------------------------------
// Benchmark bodies.

// One thread: items_per_second is verifications per CPU-second.
template <typename Op>
void RunSingle(benchmark::State& state, const Case* c) {
  Op op(c);
  if (op.error() != nullptr) {
    state.SkipWithError(op.error());
    return;
  }
  int64_t failures = 0;
  for (auto _ : state) {
    bool ok = op();
    failures += !ok;
    benchmark::DoNotOptimize(ok);
  }
  if (failures != 0) state.SkipWithError("verification failed");
  state.SetItemsProcessed(state.iterations());
}

// Threads(n): each thread has its own Op over the shared verifier. Google
// Benchmark divides items_per_second by the CPU time summed over the threads
// (a per-thread rate), so this also reports all_threads_per_second: this
// thread's iterations over its wall time, summed over the threads (they start
// and stop together at Google Benchmark's barriers), i.e. the combined rate.
template <typename Op>
void RunParallel(benchmark::State& state, const Case* c) {
  Op op(c);
  if (op.error() != nullptr) {
    state.SkipWithError(op.error());
    return;
  }
  auto start = std::chrono::steady_clock::now();
  int64_t failures = 0;
  for (auto _ : state) {
    bool ok = op();
    failures += !ok;
    benchmark::DoNotOptimize(ok);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failures != 0) state.SkipWithError("verification failed");
  state.SetItemsProcessed(state.iterations());
  state.counters["all_threads_per_second"] =
      benchmark::Counter(seconds > 0 ? static_cast<double>(state.iterations()) / seconds : 0);
}

// BM_VerifyCached also checks that every timed call was a cache hit.
void BM_VerifyCached(benchmark::State& state, const Case* c) {
  VerifyCachedOp op(c);
  if (op.error() != nullptr) {
    state.SkipWithError(op.error());
    return;
  }
  const uint64_t hits_before = c->cached_verifier->cache().hits();
  int64_t failures = 0;
  for (auto _ : state) {
    bool ok = op();
    failures += !ok;
    benchmark::DoNotOptimize(ok);
  }
  if (failures != 0) state.SkipWithError("verification failed");
  if (c->cached_verifier->cache().hits() - hits_before <
      static_cast<uint64_t>(state.iterations())) {
    state.SkipWithError("cache misses in a cache-hit benchmark");
  }
  state.SetItemsProcessed(state.iterations());
}

using BenchFn = void (*)(benchmark::State&, const Case*);

BenchFn RawFor(const std::string& alg) {
  if (IsRsa(alg) || IsEcdsa(alg)) return RunSingle<RawDigestVerifyOp>;
  if (alg == "EdDSA") return RunSingle<RawEdDsaOp>;
  return RunSingle<RawHmacOp>;
}

std::vector<std::unique_ptr<Case>> MakeCases() {
  std::vector<std::unique_ptr<Case>> cases;
  cases.push_back(MakeCase("RS256", TestKey::Rsa(2048)));
  cases.push_back(MakeCase("PS256", TestKey::Rsa(2048)));
  cases.push_back(MakeCase("ES256", TestKey::Ec("P-256")));
  cases.push_back(MakeCase("ES384", TestKey::Ec("P-384")));
  cases.push_back(MakeCase("EdDSA", TestKey::Ed25519()));
  cases.push_back(MakeCase("HS256", TestKey::Hmac("bench-hmac-secret-0123456789abcdef")));
  return cases;
}

// Every benchmark: name prefix, body, thread count (0: no Threads() call, so
// the name gets no suffix).
struct Entry {
  const char* prefix;
  BenchFn (*body)(const std::string& alg);
  int threads;
};

const Entry kEntries[] = {
    {"BM_RawOpenSSL", RawFor, 0},
    {"BM_RawOpenSSLReinit",
     [](const std::string& alg) -> BenchFn {
       return alg == "EdDSA" ? RunSingle<RawEdDsaReinitOp> : nullptr;
     },
     0},
    {"BM_Verify", [](const std::string&) -> BenchFn { return RunSingle<VerifyOp>; }, 0},
    {"BM_VerifyRemoteKeys",
     [](const std::string&) -> BenchFn { return RunSingle<VerifyRemoteKeysOp>; }, 0},
    {"BM_VerifyWithClaims",
     [](const std::string&) -> BenchFn { return RunSingle<VerifyWithClaimsOp>; }, 0},
    {"BM_VerifyCached", [](const std::string&) -> BenchFn { return BM_VerifyCached; }, 0},
    {"BM_VerifyParallel", [](const std::string&) -> BenchFn { return RunParallel<VerifyOp>; },
     2},
    {"BM_VerifyCachedParallel",
     [](const std::string&) -> BenchFn { return RunParallel<VerifyCachedOp>; }, 2},
};

void Register(const std::vector<std::unique_ptr<Case>>& cases) {
  // Grouped by algorithm so that the runs compared with each other are close
  // in time.
  for (const auto& owned : cases) {
    const Case* c = owned.get();
    for (const Entry& e : kEntries) {
      BenchFn fn = e.body(c->alg);
      if (fn == nullptr) continue;
      std::string name = std::string(e.prefix) + "/" + c->alg;
      benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(name.c_str(), fn, c);
      if (e.threads > 0) b->Threads(e.threads);
    }
  }
}

// ---------------------------------------------------------------------------
// Modes without Google Benchmark, for this noisy 2-core machine class.
//
// --profile=NAME [--iterations=N] runs the operation of the single-thread
// benchmark NAME (BM_Verify/HS256, BM_RawOpenSSL/RS256, ...) N times inside
// ProfileLoop, for instruction counts that do not depend on machine load:
//   valgrind --tool=callgrind --toggle-collect='*ProfileLoop*'
//       authgate_bench --profile=BM_Verify/HS256 --iterations=5000
// then total Ir / N is the cost of one verification.
//
// --compare=A,B [--iterations=N] [--rounds=R] alternates batches of N
// iterations of A and of B, R times, and prints the median of the per-round
// ratios rate(A) / rate(B): a ratio that survives the machine changing speed
// between two Google Benchmark runs.

template <typename Op>
[[gnu::noinline]] int64_t ProfileLoop(Op& op, int64_t n) {
  int64_t failures = 0;
  for (int64_t i = 0; i < n; ++i) failures += !op();
  return failures;
}

template <typename Op>
Batch MakeBatch(const Case* c) {
  auto op = std::make_shared<Op>(c);
  if (op->error() != nullptr) Die(op->error());
  return [op](int64_t n) {
    double start = ThreadCpuSeconds();
    int64_t failures = ProfileLoop(*op, n);
    double seconds = ThreadCpuSeconds() - start;
    if (failures != 0) Die("verification failed in a batch");
    return seconds;
  };
}

Batch BatchFor(const std::vector<std::unique_ptr<Case>>& cases, const std::string& name) {
  size_t slash = name.find('/');
  if (slash == std::string::npos) Die("want NAME/ALG, e.g. BM_Verify/HS256, not " + name);
  std::string prefix = name.substr(0, slash);
  std::string alg = name.substr(slash + 1);
  for (const auto& owned : cases) {
    const Case* c = owned.get();
    if (c->alg != alg) continue;
    if (prefix == "BM_Verify") return MakeBatch<VerifyOp>(c);
    if (prefix == "BM_VerifyRemoteKeys") return MakeBatch<VerifyRemoteKeysOp>(c);
    if (prefix == "BM_VerifyWithClaims") return MakeBatch<VerifyWithClaimsOp>(c);
    if (prefix == "BM_VerifyCached") return MakeBatch<VerifyCachedOp>(c);
    if (prefix == "BM_RawOpenSSLReinit" && alg == "EdDSA") return MakeBatch<RawEdDsaReinitOp>(c);
    if (prefix == "BM_RawOpenSSL") {
      if (IsRsa(alg) || IsEcdsa(alg)) return MakeBatch<RawDigestVerifyOp>(c);
      if (alg == "EdDSA") return MakeBatch<RawEdDsaOp>(c);
      return MakeBatch<RawHmacOp>(c);
    }
  }
  Die("unknown single-thread benchmark " + name);
}

int ProfileMain(const std::string& name, int64_t n) {
  auto cases = MakeCases();
  Batch batch = BatchFor(cases, name);
  double seconds = batch(n);
  std::printf("%s: %lld iterations, %.0f ns each (thread CPU time)\n", name.c_str(),
              static_cast<long long>(n), 1e9 * seconds / static_cast<double>(n));
  return 0;
}

int CompareMain(const std::string& names, int64_t n, int rounds) {
  size_t comma = names.find(',');
  if (comma == std::string::npos) Die("--compare wants A,B");
  std::string name_a = names.substr(0, comma), name_b = names.substr(comma + 1);
  auto cases = MakeCases();
  Batch a = BatchFor(cases, name_a), b = BatchFor(cases, name_b);
  std::vector<double> rate_a, rate_b, ratio;
  for (const PairedRound& round : RunPaired(a, b, n, rounds)) {
    rate_a.push_back(static_cast<double>(n) / round.seconds_a);
    rate_b.push_back(static_cast<double>(n) / round.seconds_b);
    ratio.push_back(round.seconds_b / round.seconds_a);
  }
  std::vector<double> sorted = ratio;
  std::sort(sorted.begin(), sorted.end());
  std::printf("%s: median %.0f/s\n%s: median %.0f/s\n", name_a.c_str(), Median(rate_a),
              name_b.c_str(), Median(rate_b));
  std::printf("%s / %s: median of %d paired rounds %.3f (min %.3f, max %.3f)\n", name_a.c_str(),
              name_b.c_str(), rounds, Median(ratio), sorted.front(), sorted.back());
  return 0;
}

}  // namespace
}  // namespace authgate

int main(int argc, char** argv) {
  using authgate::FlagValue;
  const char* profile = FlagValue(argc, argv, "--profile");
  const char* compare = FlagValue(argc, argv, "--compare");
  if (profile != nullptr || compare != nullptr) {
    const char* iterations = FlagValue(argc, argv, "--iterations");
    const char* rounds = FlagValue(argc, argv, "--rounds");
    int64_t n = iterations != nullptr ? std::atoll(iterations) : 0;
    int r = rounds != nullptr ? std::atoi(rounds) : 0;
    if (profile != nullptr) return authgate::ProfileMain(profile, n > 0 ? n : 1000);
    return authgate::CompareMain(compare, n > 0 ? n : 1000, r > 0 ? r : 21);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::vector<std::unique_ptr<authgate::Case>> cases = authgate::MakeCases();
  authgate::Register(cases);
  benchmark::AddCustomContext("openssl", OpenSSL_version(OPENSSL_VERSION));
  benchmark::AddCustomContext("claims_json_bytes", std::to_string(authgate::Payload().size()));
  for (const auto& c : cases) {
    benchmark::AddCustomContext("token_bytes_" + c->alg, std::to_string(c->token.size()));
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
