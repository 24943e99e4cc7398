// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// paired_runs.h: what the benchmarks' --profile and --compare modes share.
// On a VM whose speed drifts between runs, the ratio of two operations is
// only trustworthy when they are measured in alternating batches, in one
// process, in thread CPU time.
//
//   std::vector<PairedRound> rounds = RunPaired(batch_a, batch_b, 2000, 21);
//   double cost_ratio = Median(CostRatios(rounds));   // cost(A) / cost(B)

#ifndef AUTHGATE_BENCH_PAIRED_RUNS_H_
#define AUTHGATE_BENCH_PAIRED_RUNS_H_

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace authgate {

// A batch runs n iterations and returns the thread CPU seconds they took.
using Batch = std::function<double(int64_t)>;

// ThreadCpuSeconds is the calling thread's CPU time.
double ThreadCpuSeconds();

struct PairedRound {
  double seconds_a = 0;
  double seconds_b = 0;
};

// RunPaired warms both batches up, then runs `rounds` rounds of n iterations
// of each, alternating which goes first so that neither always follows the
// other.
std::vector<PairedRound> RunPaired(const Batch& a, const Batch& b, int64_t n, int rounds);

// Median of `values` (not empty).
double Median(std::vector<double> values);

// FlagValue returns the value of --flag=value in argv, or nullptr.
const char* FlagValue(int argc, char** argv, std::string_view flag);

}  // namespace authgate

#endif  // AUTHGATE_BENCH_PAIRED_RUNS_H_
