// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "metrics.h"

#include <algorithm>
#include <cstdio>

#include "authgate/authgate.h"

namespace authgate_cli {
namespace {

// LabelValue escapes a label value per the exposition format.
std::string LabelValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double value) {
  char text[32];
  snprintf(text, sizeof text, "%.10g", value);
  return text;
}

void Header(std::string* out, const char* name, const char* type, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void Metrics::Histogram::Observe(double value) {
  size_t i = 0;
  while (i < kBuckets.size() && value > kBuckets[i]) ++i;
  ++counts[i];
  sum += value;
  ++count;
}

void Metrics::Histogram::Add(const Histogram& other) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  sum += other.sum;
  count += other.count;
}

Metrics::Metrics(int shards) {
  for (int i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

void Metrics::RecordRequest(int shard, std::string_view rule, std::string_view decision,
                            double seconds, double upstream_seconds) {
  Shard& s = *shards_[static_cast<size_t>(shard)];
  std::lock_guard<std::mutex> lock(s.mutex);
  auto key = std::make_pair(std::string(rule), std::string(decision));
  ++s.requests[key];
  s.latency.Observe(seconds);
  if (upstream_seconds >= 0) s.upstream.Observe(upstream_seconds);
}

void Metrics::RecordUpstreamError(int shard, UpstreamError kind) {
  Shard& s = *shards_[static_cast<size_t>(shard)];
  std::lock_guard<std::mutex> lock(s.mutex);
  ++s.upstream_errors[static_cast<size_t>(kind)];
}

std::string Metrics::Render(const EngineCounters& engine, bool ready) const {
  std::map<std::pair<std::string, std::string>, uint64_t> requests;
  Histogram latency, upstream;
  std::array<uint64_t, 3> upstream_errors{};
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    for (const auto& [key, count] : shard->requests) requests[key] += count;
    latency.Add(shard->latency);
    upstream.Add(shard->upstream);
    for (size_t i = 0; i < upstream_errors.size(); ++i) {
      upstream_errors[i] += shard->upstream_errors[i];
    }
  }

  std::string out;
  Header(&out, "authgate_requests_total", "counter",
         "Requests answered, by the rule that matched and the decision.");
  for (const auto& [key, count] : requests) {
    out += "authgate_requests_total{rule=\"" + LabelValue(key.first) + "\",decision=\"" +
           LabelValue(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  auto histogram = [&](const char* name, const char* help, const Histogram& h) {
    Header(&out, name, "histogram", help);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.counts[i];
      out += std::string(name) + "_bucket{le=\"" + Number(kBuckets[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += std::string(name) + "_bucket{le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += std::string(name) + "_sum " + Number(h.sum) + "\n";
    out += std::string(name) + "_count " + std::to_string(h.count) + "\n";
  };
  histogram("authgate_request_duration_seconds",
            "Time from a complete request head to the end of the answer.", latency);
  histogram("authgate_upstream_duration_seconds",
            "Time from sending a request upstream to its response head.", upstream);
  Header(&out, "authgate_upstream_errors_total", "counter",
         "Upstream failures: connect (502), timeout (504), reset (502 or cut answer).");
  static constexpr const char* kKinds[] = {"connect", "timeout", "reset"};
  for (size_t i = 0; i < upstream_errors.size(); ++i) {
    out += std::string("authgate_upstream_errors_total{kind=\"") + kKinds[i] + "\"} " +
           std::to_string(upstream_errors[i]) + "\n";
  }

  // sample appends one sample whose value is the engine's counter `name`.
  auto sample = [&](const std::string& series, const char* name) {
    auto it = engine.counters.find(name);
    out += series + " " + std::to_string(it == engine.counters.end() ? 0 : it->second) + "\n";
  };
  Header(&out, "authgate_logins_total", "counter", "Browser logins by result.");
  sample("authgate_logins_total{result=\"started\"}", "logins_started");
  sample("authgate_logins_total{result=\"completed\"}", "logins_completed");
  sample("authgate_logins_total{result=\"failed\"}", "logins_failed");
  Header(&out, "authgate_refreshes_total", "counter", "Session refreshes by result.");
  sample("authgate_refreshes_total{result=\"ok\"}", "refreshes");
  sample("authgate_refreshes_total{result=\"failed\"}", "refresh_failures");
  Header(&out, "authgate_jwks_fetches_total", "counter",
         "Key set fetches of the jwt providers, by result.");
  sample("authgate_jwks_fetches_total{result=\"success\"}", "jwks_fetch_successes");
  sample("authgate_jwks_fetches_total{result=\"failure\"}", "jwks_fetch_failures");
  Header(&out, "authgate_token_cache_hits_total", "counter", "Verified-token cache hits.");
  sample("authgate_token_cache_hits_total", "token_cache_hits");
  Header(&out, "authgate_token_cache_misses_total", "counter", "Verified-token cache misses.");
  sample("authgate_token_cache_misses_total", "token_cache_misses");
  Header(&out, "authgate_refusals_total", "counter", "Refused requests by reason.");
  for (const auto& [reason, count] : engine.refusals) {
    out += "authgate_refusals_total{reason=\"" + LabelValue(reason) + "\"} " +
           std::to_string(count) + "\n";
  }
  Header(&out, "authgate_connections_active", "gauge", "Open client connections.");
  out += "authgate_connections_active " +
         std::to_string(connections_active_.load(std::memory_order_relaxed)) + "\n";
  Header(&out, "authgate_connections_total", "counter", "Client connections accepted.");
  out += "authgate_connections_total " +
         std::to_string(connections_total_.load(std::memory_order_relaxed)) + "\n";
  Header(&out, "authgate_ready", "gauge", "1 when keys and discovery are loaded.");
  out += std::string("authgate_ready ") + (ready ? "1" : "0") + "\n";
  return out;
}

EngineCounters ReadEngineCounters(const authgate_engine* engine) {
  EngineCounters out;
  // The first call learns the set's size, so a set that grew is read whole.
  auto read = [engine](authgate_counter_set set) {
    size_t count = 0;
    if (authgate_engine_counters(nullptr, 0, &count, engine, set, nullptr) != AUTHGATE_OK) {
      return std::vector<uint64_t>();
    }
    std::vector<uint64_t> values(count);
    if (authgate_engine_counters(values.data(), values.size(), &count, engine, set, nullptr) !=
        AUTHGATE_OK) {
      return std::vector<uint64_t>();
    }
    values.resize(std::min(count, values.size()));
    return values;
  };
  std::vector<uint64_t> counters = read(AUTHGATE_COUNTERS_ENGINE);
  for (size_t i = 0; i < counters.size(); ++i) {
    if (const char* name = authgate_counter_name(AUTHGATE_COUNTERS_ENGINE, i)) {
      out.counters[name] = counters[i];
    }
  }
  std::vector<uint64_t> reasons = read(AUTHGATE_COUNTERS_REASONS);
  for (size_t i = 1; i < reasons.size(); ++i) {
    const char* name = authgate_counter_name(AUTHGATE_COUNTERS_REASONS, i);
    if (reasons[i] != 0 && name != nullptr) out.refusals.emplace_back(name, reasons[i]);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ReadKeyErrors(const authgate_engine* engine) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0;; ++i) {
    char* provider = nullptr;
    char* error = nullptr;
    if (authgate_engine_key_error(&provider, &error, engine, i, nullptr) != AUTHGATE_OK) break;
    if (error[0] != '\0') out.emplace_back(provider, error);
    authgate_string_free(provider);
    authgate_string_free(error);
  }
  return out;
}

}  // namespace authgate_cli
