// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// metrics.h: the sidecar's counters and histograms, rendered in the
// Prometheus text format (version 0.0.4) for the admin listener's
// /metrics. Each worker thread records into its own shard, so recording
// takes an uncontended lock; Render sums the shards and adds the engine's
// own counters (logins, refreshes, key fetches, token cache, refusals),
// read as numbers through the C ABI.

#ifndef AUTHGATE_PROXY_METRICS_H_
#define AUTHGATE_PROXY_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "authgate/authgate.h"

namespace authgate_cli {

enum class UpstreamError { kConnect = 0, kTimeout = 1, kReset = 2 };

// EngineCounters are the engine's own counters as /metrics shows them.
struct EngineCounters {
  // AUTHGATE_COUNTERS_ENGINE by name ("logins_started", ...).
  std::map<std::string, uint64_t> counters;
  // Refusals by reason name, only the reasons that occurred.
  std::vector<std::pair<std::string, uint64_t>> refusals;
};

class Metrics {
 public:
  explicit Metrics(int shards);

  // RecordRequest counts one answered request. `upstream_seconds` < 0 when
  // nothing was proxied.
  void RecordRequest(int shard, std::string_view rule, std::string_view decision,
                     double seconds, double upstream_seconds);
  void RecordUpstreamError(int shard, UpstreamError kind);
  void ConnectionOpened() {
    connections_total_.fetch_add(1, std::memory_order_relaxed);
    connections_active_.fetch_add(1, std::memory_order_relaxed);
  }
  void ConnectionClosed() { connections_active_.fetch_sub(1, std::memory_order_relaxed); }

  // Render returns the exposition text, with the engine's counters.
  std::string Render(const EngineCounters& engine, bool ready) const;

  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size() + 1> counts{};  // the last is +Inf
    double sum = 0;
    uint64_t count = 0;
    void Observe(double value);
    void Add(const Histogram& other);
  };
  struct Shard {
    mutable std::mutex mutex;
    std::map<std::pair<std::string, std::string>, uint64_t> requests;  // (rule, decision)
    Histogram latency;
    Histogram upstream;
    std::array<uint64_t, 3> upstream_errors{};
  };

  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> connections_total_{0};
  std::atomic<int64_t> connections_active_{0};
};

// ReadEngineCounters reads `engine`'s counters through the C ABI.
EngineCounters ReadEngineCounters(const authgate_engine* engine);

// ReadKeyErrors names each `jwt` provider of `engine` whose last key fetch
// failed, with that fetch's error.
std::vector<std::pair<std::string, std::string>> ReadKeyErrors(const authgate_engine* engine);

}  // namespace authgate_cli

#endif  // AUTHGATE_PROXY_METRICS_H_
