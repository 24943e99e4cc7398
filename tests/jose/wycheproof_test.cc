// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// wycheproof_test.cc: the Wycheproof vectors that apply to a JWS verifier
// (../shared/vectors/wycheproof/README.md says which and how), run through
// the JOSE core. The vector files are parsed with authgate's own strict JSON
// parser, which thereby also meets a few megabytes of real-world JSON.
//
// Every test of every applicable file is run; a file's count must equal its
// numberOfTests minus the documented exclusions. `valid` must be accepted,
// `invalid` rejected, `acceptable` may go either way (counted). The eight
// README errata are listed below with their reason, and they must be exactly
// the tests that deviate from their label: an erratum that starts matching its
// label fails the run as much as any other deviation does.

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "jose/algorithm.h"
#include "jose/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/jws_verifier.h"
#include "jose/key_set.h"
#include "jose/signature_key.h"
#include "reason.h"
#include "text.h"

namespace authgate {
namespace {

constexpr char kVectorDir[] = AUTHGATE_SOURCE_DIR "/../shared/vectors/wycheproof/testvectors_v1/";

// The vector files are up to a few hundred kilobytes and nest six levels deep
// (file, groups, group, tests, test, flags).
constexpr JsonLimits kVectorLimits{/*max_size=*/64 << 20, /*max_depth=*/16};

constexpr std::string_view kJwsFile = "json_web_signature_test.json";

// The README's errata: tests whose label is wrong. Each must deviate from its
// label, and no other test may.
struct Erratum {
  std::string_view file;
  int64_t tc_id;
  std::string_view reason;
};

constexpr std::string_view kIdenticalToValid =
    "marked invalid, but the token is byte-identical to valid tcId 357";
constexpr std::string_view kQuestionMark =
    "marked valid, but a base64url segment contains '?', which a strict decoder rejects";
constexpr std::string_view kFigure20 =
    "RFC 7520 Figure 20: marked valid, but the key says alg PS256 while the token is PS384 "
    "(honouring the key's alg is what rejects tcId 331-340)";
constexpr std::string_view kFigure27 =
    "RFC 7520 Figure 27: marked valid, but the key says alg \"ES521\", not a JWA name, while "
    "the token is ES512";

constexpr Erratum kErrata[] = {
    {kJwsFile, 346, kFigure20},         {kJwsFile, 347, kFigure27},
    {kJwsFile, 350, kFigure20},         {kJwsFile, 351, kFigure27},
    {kJwsFile, 367, kIdenticalToValid}, {kJwsFile, 370, kIdenticalToValid},
    {kJwsFile, 372, kQuestionMark},     {kJwsFile, 373, kQuestionMark},
};

const Erratum* FindErratum(std::string_view file, int64_t tc_id) {
  for (const Erratum& erratum : kErrata) {
    if (erratum.file == file && erratum.tc_id == tc_id) return &erratum;
  }
  return nullptr;
}

// What authgate decided about one test, and why when it refused.
struct Verdict {
  bool accepted = false;
  std::string why;
};

Verdict Accepted() { return Verdict{true, ""}; }

Verdict Rejected(const Rejection& rejection) {
  return Verdict{false, StrCat(ReasonName(rejection.reason), ": ", rejection.detail)};
}

Verdict KeyRefused(const absl::Status& status) {
  return Verdict{false, StrCat("key refused: ", FromAbsl(status.message()))};
}

// Tallies one file's outcomes and reports every deviation by tcId.
class FileRun {
 public:
  explicit FileRun(std::string_view file) : file_(file) {}

  // Record judges one test. `expect_rejection` overrides the label for the
  // tests the README says a JWS-only verifier must refuse whatever their
  // label (JWE).
  void Record(int64_t tc_id, std::string_view comment, std::string_view result,
              const Verdict& verdict, bool expect_rejection = false) {
    ++run_;
    bool expect_accept = result == "valid";
    bool either = result == "acceptable";
    if (!expect_accept && !either && result != "invalid") {
      ADD_FAILURE() << file_ << " tcId " << tc_id << ": unknown result \"" << result << "\"";
      return;
    }
    if (expect_rejection) {
      expect_accept = false;
      either = false;
    }
    bool deviates = !either && verdict.accepted != expect_accept;
    const Erratum* erratum = FindErratum(file_, tc_id);
    if (erratum != nullptr) {
      errata_seen_.insert(tc_id);
      if (deviates) {
        ++errata_;
      } else {
        ADD_FAILURE() << file_ << " tcId " << tc_id << " " << comment
                      << ": listed as an erratum (" << erratum->reason
                      << ") but now matches its label \"" << result
                      << "\": remove it from kErrata";
      }
      return;
    }
    if (deviates) {
      ADD_FAILURE() << file_ << " tcId " << tc_id << " " << comment << ": expected "
                    << (expect_accept ? "accepted" : "rejected") << " (label \"" << result
                    << "\") got " << (verdict.accepted ? "accepted" : "rejected")
                    << (verdict.accepted ? "" : StrCat(" (reason ", verdict.why, ")"));
      return;
    }
    if (expect_rejection) {
      ++jwe_rejected_;
    } else if (either) {
      ++(verdict.accepted ? acceptable_accepted_ : acceptable_rejected_);
    } else {
      ++(expect_accept ? valid_accepted_ : invalid_rejected_);
    }
  }

  // Exclude counts tests that do not apply, as documented by the caller.
  void Exclude(int64_t count) { excluded_ += count; }

  // Finish checks that nothing was skipped silently and that every erratum of
  // this file was met, then prints the file's tally.
  void Finish(int64_t number_of_tests, int64_t expected_excluded = 0) {
    EXPECT_EQ(run_ + excluded_, number_of_tests)
        << file_ << ": tests run plus excluded differ from numberOfTests";
    EXPECT_EQ(excluded_, expected_excluded) << file_ << ": unexpected number of exclusions";
    for (const Erratum& erratum : kErrata) {
      if (erratum.file == file_ && errata_seen_.count(erratum.tc_id) == 0) {
        ADD_FAILURE() << file_ << " tcId " << erratum.tc_id << ": erratum not found in the file";
      }
    }
    std::printf(
        "[wycheproof] %-40s run %4lld | valid accepted %4lld | invalid rejected %4lld | "
        "acceptable accepted/rejected %lld/%lld | JWE rejected %lld | errata %lld | "
        "excluded %lld\n",
        file_.c_str(), static_cast<long long>(run_), static_cast<long long>(valid_accepted_),
        static_cast<long long>(invalid_rejected_), static_cast<long long>(acceptable_accepted_),
        static_cast<long long>(acceptable_rejected_), static_cast<long long>(jwe_rejected_),
        static_cast<long long>(errata_), static_cast<long long>(excluded_));
  }

 private:
  std::string file_;
  int64_t run_ = 0;
  int64_t valid_accepted_ = 0;
  int64_t invalid_rejected_ = 0;
  int64_t acceptable_accepted_ = 0;
  int64_t acceptable_rejected_ = 0;
  int64_t jwe_rejected_ = 0;
  int64_t errata_ = 0;
  int64_t excluded_ = 0;
  std::set<int64_t> errata_seen_;
};

// Reads and parses one vector file with authgate's JSON parser.
bool LoadVectors(std::string_view file, JsonDocument* doc) {
  std::string path = StrCat(kVectorDir, file);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::Status parsed = doc->Parse(text, kVectorLimits);
  if (!parsed.ok()) {
    ADD_FAILURE() << file << ": authgate's JSON parser refuses the vector file: "
                  << parsed.message();
    return false;
  }
  return true;
}

int64_t IntMember(JsonValue object, std::string_view name) {
  int64_t value = -1;
  if (!object.Find(name).GetInt64(&value)) {
    ADD_FAILURE() << "vector member \"" << name << "\" is not an integer";
  }
  return value;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Hex(JsonValue value) {
  std::string_view text = value.string();
  std::string out;
  if (!value.is_string() || text.size() % 2 != 0) {
    ADD_FAILURE() << "vector field is not hex: " << value.raw_text();
    return out;
  }
  for (size_t i = 0; i < text.size(); i += 2) {
    int high = HexDigit(text[i]), low = HexDigit(text[i + 1]);
    if (high < 0 || low < 0) {
      ADD_FAILURE() << "vector field is not hex: " << value.raw_text();
      return out;
    }
    out.push_back(static_cast<char>(high << 4 | low));
  }
  return out;
}

absl::Span<const uint8_t> Bytes(const std::string& bytes) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// The whole JWS path a token takes: compact parsing, strict payload decoding,
// then the algorithm, key and signature checks. No claim checks: Wycheproof
// payloads are not JWTs.
Verdict VerifyCompact(std::string_view token, const KeySet& keys, AlgorithmSet allowed) {
  ParsedJws jws;
  Rejection why;
  if (!ParsedJws::Parse(token, &jws, &why)) return Rejected(why);
  std::string payload;
  if (!jws.DecodePayload(&payload, &why)) return Rejected(why);
  JwsVerifyOptions options;
  options.allowed = allowed;
  if (VerifyJwsSignature(jws, keys, options, &why) == nullptr) return Rejected(why);
  return Accepted();
}

// Runs a JOSE-level file (json_web_signature, json_web_key, json_web_crypto):
// each group's `public` key, else its `private` one (oct keys, key sets), is
// the trusted key set; only the key's `alg` is allowed (for a key set, what
// its keys allow). A test holds `jws` (compact, or an object for the JSON
// serialization, which is passed as text and must be refused) or `jwe`.
void RunJoseFile(std::string_view file) {
  JsonDocument doc;
  if (!LoadVectors(file, &doc)) return;
  FileRun run(file);
  for (JsonValue group : doc.root().Find("testGroups").elements()) {
    JsonValue jwk = group.Find("public");
    if (!jwk.valid()) jwk = group.Find("private");
    absl::StatusOr<KeySet::Loaded> loaded = KeySet::FromJson(jwk);
    AlgorithmSet allowed;
    if (loaded.ok()) {
      std::optional<Algorithm> key_alg = AlgorithmFromName(jwk.Find("alg").string());
      if (key_alg) {
        allowed.insert(*key_alg);
      } else {
        allowed = loaded->keys->algorithms();
      }
    }
    for (JsonValue test : group.Find("tests").elements()) {
      JsonValue token = test.Find("jws");
      bool jwe = !token.valid();
      if (jwe) token = test.Find("jwe");
      std::string_view text = token.is_string() ? token.string() : token.raw_text();
      Verdict verdict = loaded.ok() ? VerifyCompact(text, *loaded->keys, allowed)
                                    : KeyRefused(loaded.status());
      run.Record(IntMember(test, "tcId"), test.Find("comment").string(),
                 test.Find("result").string(), verdict, /*expect_rejection=*/jwe);
    }
  }
  run.Finish(IntMember(doc.root(), "numberOfTests"));
}

// The key of a primitive (non-JOSE) group: its JWK through ParseJwk; for the
// few ECDSA groups that carry no JWK, its PEM through ParsePemKeys, so that no
// test is skipped.
absl::StatusOr<std::unique_ptr<SignatureKey>> GroupKey(JsonValue group) {
  for (std::string_view name : {"publicKeyJwk", "keyJwk"}) {
    JsonValue jwk = group.Find(name);
    if (jwk.valid()) return ParseJwk(jwk);
  }
  JsonValue pem = group.Find("publicKeyPem");
  if (!pem.is_string()) return absl::InvalidArgumentError("group has neither a JWK nor a PEM key");
  auto keys = ParsePemKeys(pem.string());
  if (!keys.ok()) return keys.status();
  if (keys->size() != 1) return absl::InvalidArgumentError("PEM holds more than one key");
  return std::move(keys->front());
}

// Runs a signature primitive file through SignatureKey::Verify with `alg`.
void RunSignatureFile(std::string_view file, Algorithm alg) {
  JsonDocument doc;
  if (!LoadVectors(file, &doc)) return;
  FileRun run(file);
  for (JsonValue group : doc.root().Find("testGroups").elements()) {
    absl::StatusOr<std::unique_ptr<SignatureKey>> key = GroupKey(group);
    for (JsonValue test : group.Find("tests").elements()) {
      std::string message = Hex(test.Find("msg"));
      std::string signature = Hex(test.Find("sig"));
      Verdict verdict =
          !key.ok() ? KeyRefused(key.status())
          : (*key)->Verify(alg, message, Bytes(signature))
              ? Accepted()
              : Verdict{false, "signature_invalid: Verify returned false"};
      run.Record(IntMember(test, "tcId"), test.Find("comment").string(),
                 test.Find("result").string(), verdict);
    }
  }
  run.Finish(IntMember(doc.root(), "numberOfTests"));
}

TEST(WycheproofTest, ErrataAreWhatTheReadmeSays) {
  // The errata are claims about the data; check the ones that can be checked
  // mechanically, so that the list cannot hide a real failure.
  JsonDocument doc;
  ASSERT_TRUE(LoadVectors(kJwsFile, &doc));
  std::string_view by_id[402];
  for (JsonValue group : doc.root().Find("testGroups").elements()) {
    for (JsonValue test : group.Find("tests").elements()) {
      int64_t id = IntMember(test, "tcId");
      ASSERT_TRUE(id > 0 && id < 402);
      by_id[id] = test.Find("jws").string();
    }
  }
  EXPECT_EQ(by_id[367], by_id[357]);
  EXPECT_EQ(by_id[370], by_id[357]);
  EXPECT_NE(by_id[372].find('?'), std::string_view::npos);
  EXPECT_NE(by_id[373].find('?'), std::string_view::npos);
  EXPECT_EQ(std::size(kErrata), 8u);
}

TEST(WycheproofTest, JsonWebSignature) { RunJoseFile(kJwsFile); }

TEST(WycheproofTest, JsonWebKey) { RunJoseFile("json_web_key_test.json"); }

TEST(WycheproofTest, JsonWebCrypto) { RunJoseFile("json_web_crypto_test.json"); }

TEST(WycheproofTest, EcdsaP256Sha256P1363) {
  RunSignatureFile("ecdsa_secp256r1_sha256_p1363_test.json", Algorithm::kES256);
}

TEST(WycheproofTest, EcdsaP384Sha384P1363) {
  RunSignatureFile("ecdsa_secp384r1_sha384_p1363_test.json", Algorithm::kES384);
}

TEST(WycheproofTest, EcdsaP521Sha512P1363) {
  RunSignatureFile("ecdsa_secp521r1_sha512_p1363_test.json", Algorithm::kES512);
}

TEST(WycheproofTest, RsaPkcs1Sha256) {
  RunSignatureFile("rsa_signature_2048_sha256_test.json", Algorithm::kRS256);
}

TEST(WycheproofTest, RsaPssSha256) {
  RunSignatureFile("rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::kPS256);
}

TEST(WycheproofTest, Ed25519) { RunSignatureFile("ed25519_test.json", Algorithm::kEdDSA); }

TEST(WycheproofTest, Ed448) { RunSignatureFile("ed448_test.json", Algorithm::kEdDSA); }

TEST(WycheproofTest, HmacSha256) {
  // Only the groups with a 256-bit key and a 256-bit tag are HS256; the
  // others (truncated tags, 128-bit keys that the JWS layer refuses, 520-bit
  // keys) are excluded and counted.
  constexpr std::string_view kFile = "hmac_sha256_test.json";
  constexpr int64_t kExcluded = 93;  // 81 + 3 + 3 + 3 + 3 of the 174 tests
  JsonDocument doc;
  ASSERT_TRUE(LoadVectors(kFile, &doc));
  FileRun run(kFile);
  for (JsonValue group : doc.root().Find("testGroups").elements()) {
    if (IntMember(group, "keySize") != 256 || IntMember(group, "tagSize") != 256) {
      run.Exclude(static_cast<int64_t>(group.Find("tests").size()));
      continue;
    }
    for (JsonValue test : group.Find("tests").elements()) {
      SignatureKey::Spec spec;
      spec.secret = Hex(test.Find("key"));
      absl::StatusOr<std::unique_ptr<SignatureKey>> key = SignatureKey::Create(std::move(spec));
      std::string message = Hex(test.Find("msg"));
      std::string tag = Hex(test.Find("tag"));
      Verdict verdict = !key.ok() ? KeyRefused(key.status())
                        : (*key)->Verify(Algorithm::kHS256, message, Bytes(tag))
                            ? Accepted()
                            : Verdict{false, "signature_invalid: Verify returned false"};
      run.Record(IntMember(test, "tcId"), test.Find("comment").string(),
                 test.Find("result").string(), verdict);
    }
  }
  run.Finish(IntMember(doc.root(), "numberOfTests"), kExcluded);
}

TEST(WycheproofTest, EveryJweIsRefusedByTheJwsParser) {
  // json_web_encryption_test.json is not a JWS file; its tokens, valid or
  // not, must all be refused by the compact JWS parser itself, before any key
  // is involved (a JWS-only verifier). Labels do not apply here.
  JsonDocument doc;
  ASSERT_TRUE(LoadVectors("json_web_encryption_test.json", &doc));
  int64_t refused = 0;
  for (JsonValue group : doc.root().Find("testGroups").elements()) {
    for (JsonValue test : group.Find("tests").elements()) {
      JsonValue jwe = test.Find("jwe");
      std::string_view token = jwe.is_string() ? jwe.string() : jwe.raw_text();
      ParsedJws jws;
      Rejection why;
      if (ParsedJws::Parse(token, &jws, &why)) {
        ADD_FAILURE() << "json_web_encryption_test.json tcId " << IntMember(test, "tcId")
                      << " " << test.Find("comment").string()
                      << ": a JWE was parsed as a compact JWS";
        continue;
      }
      EXPECT_TRUE(why.reason == Reason::kUnsupportedTokenType || why.reason == Reason::kMalformed)
          << "tcId " << IntMember(test, "tcId") << ": reason " << ReasonName(why.reason);
      ++refused;
    }
  }
  EXPECT_EQ(refused, IntMember(doc.root(), "numberOfTests"));
}

}  // namespace
}  // namespace authgate
