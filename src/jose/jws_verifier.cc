// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jose/jws_verifier.h"

#include "text.h"

namespace authgate {
namespace {

// For messages only: a printable, bounded rendering of untrusted header text.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 32)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > 32) out += "...";
  return out;
}

}  // namespace

const SignatureKey* VerifyJwsSignature(const ParsedJws& jws, const KeySet& keys,
                                       const JwsVerifyOptions& options, Rejection* why) {
  std::optional<Algorithm> alg = jws.algorithm();
  if (!alg) {
    why->reason = Reason::kUnsupportedAlg;
    std::string_view name = jws.algorithm_name();
    why->detail = EqualsIgnoreCase(name, "none")
                      ? "alg \"none\" (an unsigned token) is never accepted"
                      : StrCat("alg \"", Printable(name), "\" is not supported");
    return nullptr;
  }
  if (!options.allowed.contains(*alg)) {
    why->reason = Reason::kAlgNotAllowed;
    why->detail = StrCat("alg ", AlgorithmName(*alg), " is not allowed");
    return nullptr;
  }
  std::optional<std::string_view> kid = jws.kid();
  bool more = false;
  KeySet::CandidateList candidates = keys.Candidates(*alg, kid, options.max_key_candidates, &more);
  if (candidates.empty()) {
    why->reason = Reason::kKeyNotFound;
    why->detail = kid ? StrCat("no ", AlgorithmName(*alg), " key with kid \"",
                                     Printable(*kid), "\"")
                      : StrCat("no key for ", AlgorithmName(*alg));
    return nullptr;
  }
  for (const SignatureKey* key : candidates) {
    if (key->Verify(*alg, jws.signing_input(), jws.signature())) return key;
  }
  why->reason = Reason::kSignatureInvalid;
  why->detail = StrCat(AlgorithmName(*alg), " signature does not verify with ",
                             candidates.size() == 1 ? candidates[0]->description()
                                                    : StrCat(candidates.size(), " keys"),
                             more ? " (more candidate keys were not tried)" : "");
  return nullptr;
}

}  // namespace authgate
