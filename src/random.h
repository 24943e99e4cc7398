// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// random.h: where the core gets its random bytes (state, nonce, PKCE
// verifier, session ids, sealing nonces), injected like the clock so that
// tests can make the generator fail.
//
//   unsigned char nonce[12];
//   if (absl::Status s = RandomSource::System().Fill(nonce, sizeof(nonce)); !s.ok()) return s;
//
// A failing generator is one behaviour everywhere: an Unavailable status
// that callers pass on (the engine answers 503), never abort() and never an
// empty value taken for a random one.

#ifndef AUTHGATE_SRC_RANDOM_H_
#define AUTHGATE_SRC_RANDOM_H_

#include <cstddef>

#include "absl/status/status.h"

namespace authgate {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fill writes `size` random bytes to `out`, or fails with Unavailable.
  virtual absl::Status Fill(unsigned char* out, size_t size) const = 0;

  // System returns OpenSSL's CSPRNG (RAND_bytes; a static instance).
  static const RandomSource& System();
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_RANDOM_H_
