// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The fixed key source: inline keys that never change.

#include "jwks/key_source.h"

namespace authgate {
namespace {

class FixedKeySource final : public KeySource {
 public:
  FixedKeySource(std::shared_ptr<const KeySet> keys, std::vector<std::string> warnings)
      : keys_(std::move(keys)), warnings_(std::move(warnings)) {}

  const KeySet* Keys() const override { return keys_.get(); }
  uint64_t Generation() const override { return 1; }
  bool RefreshForUnknownKey(std::function<void()>) override { return false; }
  void Refresh() override {}
  bool WaitForKeys(absl::Duration) const override { return keys_ != nullptr; }

  KeySourceStats Stats() const override {
    KeySourceStats stats;
    stats.location = "inline";
    stats.key_count = keys_ ? keys_->size() : 0;
    stats.warnings = warnings_;
    return stats;
  }

 private:
  std::shared_ptr<const KeySet> keys_;
  std::vector<std::string> warnings_;
};

}  // namespace

std::unique_ptr<KeySource> KeySource::Fixed(std::shared_ptr<const KeySet> keys,
                                            std::vector<std::string> warnings) {
  return std::make_unique<FixedKeySource>(std::move(keys), std::move(warnings));
}

}  // namespace authgate
