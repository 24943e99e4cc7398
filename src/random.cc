// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "random.h"

#include <openssl/rand.h>

#include <climits>

namespace authgate {
namespace {

class SystemRandom final : public RandomSource {
 public:
  absl::Status Fill(unsigned char* out, size_t size) const override {
    while (size > 0) {
      int chunk = size > INT_MAX ? INT_MAX : static_cast<int>(size);
      if (RAND_bytes(out, chunk) != 1) {
        return absl::UnavailableError("the random generator (OpenSSL RAND_bytes) failed");
      }
      out += chunk;
      size -= static_cast<size_t>(chunk);
    }
    return absl::OkStatus();
  }
};

}  // namespace

const RandomSource& RandomSource::System() {
  static const SystemRandom random;
  return random;
}

}  // namespace authgate
