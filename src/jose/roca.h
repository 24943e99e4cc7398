// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// roca.h: detection of RSA moduli made by the Infineon library affected by
// ROCA (CVE-2017-15361), whose private keys can be computed from the modulus.
//
//   if (HasRocaFingerprint(n)) return Refuse("RSA key has the ROCA fingerprint");
//
// Such a modulus N = k * M + (65537^a mod M) for a primorial M, so for each
// small prime p dividing M, N mod p lies in the multiplicative subgroup that
// 65537 generates modulo p. A random modulus passes that test for all 38
// primes below with negligible probability (Nemec et al., CCS 2017).

#ifndef AUTHGATE_SRC_JOSE_ROCA_H_
#define AUTHGATE_SRC_JOSE_ROCA_H_

#include <openssl/bn.h>

namespace authgate {

// HasRocaFingerprint returns true when modulus `n` has the ROCA structure.
bool HasRocaFingerprint(const BIGNUM* n);

}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_ROCA_H_
