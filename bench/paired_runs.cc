// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "paired_runs.h"

#include <time.h>

#include <algorithm>

namespace authgate {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::vector<PairedRound> RunPaired(const Batch& a, const Batch& b, int64_t n, int rounds) {
  a(n / 10 + 1);
  b(n / 10 + 1);
  std::vector<PairedRound> out;
  for (int r = 0; r < rounds; ++r) {
    PairedRound round;
    if (r % 2 == 0) {
      round.seconds_a = a(n);
      round.seconds_b = b(n);
    } else {
      round.seconds_b = b(n);
      round.seconds_a = a(n);
    }
    out.push_back(round);
  }
  return out;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

const char* FlagValue(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag &&
        arg[flag.size()] == '=') {
      return argv[i] + flag.size() + 1;
    }
  }
  return nullptr;
}

}  // namespace authgate
