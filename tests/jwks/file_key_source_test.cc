// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The file key source on a hand-driven scheduler: reloads on change, keeps
// the last good keys when the file goes bad or away.

#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jwks/key_source.h"
#include "support/token_factory.h"
#include "text.h"

namespace authgate {
namespace {

using ::authgate::testing::TestKey;
using ::testing::HasSubstr;

class FileKeySourceTest : public ::testing::Test {
 protected:
  FileKeySourceTest()
      : clock_(absl::FromUnixSeconds(1800000000)), scheduler_(clock_), a_(TestKey::Ec("P-256")),
        b_(TestKey::Ec("P-256")) {
    char dir[] = "/tmp/authgate-keys.XXXXXX";
    dir_ = ::mkdtemp(dir);
    path_ = dir_ + "/jwks.json";
  }
  ~FileKeySourceTest() override {
    std::remove(path_.c_str());
    std::remove((path_ + ".tmp").c_str());
    ::rmdir(dir_.c_str());
  }
  // Replaces the file atomically (a new inode), as deployment tools do.
  void Write(const std::string& text) {
    { std::ofstream(path_ + ".tmp") << text; }
    std::rename((path_ + ".tmp").c_str(), path_.c_str());
  }
  std::string Kid(const KeySource& source) {
    const KeySet* keys = source.Keys();
    return keys == nullptr || keys->size() != 1 ? "?" : keys->keys()[0]->kid().value_or("");
  }

  ManualClock clock_;
  ManualScheduler scheduler_;
  TestKey a_, b_;
  std::string dir_, path_;
};

TEST_F(FileKeySourceTest, ReloadsWhenTheFileChanges) {
  Write(a_.PublicJwks("a"));
  absl::StatusOr<std::unique_ptr<KeySource>> source =
      KeySource::File(path_, absl::Seconds(5), &scheduler_);
  ASSERT_TRUE(source.ok()) << FromAbsl(source.status().message());
  EXPECT_EQ(Kid(**source), "a");
  uint64_t generation = (*source)->Generation();
  scheduler_.AdvanceAndRun(absl::Seconds(5));
  EXPECT_EQ((*source)->Generation(), generation) << "unchanged file: no reload";
  Write(b_.PublicJwks("b"));
  scheduler_.AdvanceAndRun(absl::Seconds(4));
  EXPECT_EQ(Kid(**source), "a") << "not checked yet";
  scheduler_.AdvanceAndRun(absl::Seconds(1));
  EXPECT_EQ(Kid(**source), "b");
  EXPECT_GT((*source)->Generation(), generation);
  EXPECT_EQ((*source)->Stats().fetch_successes, 2u);
}

TEST_F(FileKeySourceTest, KeepsTheLastGoodKeys) {
  Write(a_.PublicJwks("a"));
  auto source = KeySource::File(path_, absl::Seconds(5), &scheduler_);
  ASSERT_TRUE(source.ok());
  Write("{\"keys\":[]}");
  scheduler_.AdvanceAndRun(absl::Seconds(5));
  EXPECT_EQ(Kid(**source), "a");
  EXPECT_THAT((*source)->Stats().last_error, HasSubstr("no usable key"));
  std::remove(path_.c_str());
  scheduler_.AdvanceAndRun(absl::Seconds(5));
  EXPECT_EQ(Kid(**source), "a");
  EXPECT_THAT((*source)->Stats().last_error, HasSubstr("No such file"));
  Write(b_.PublicPem());
  scheduler_.AdvanceAndRun(absl::Seconds(5));
  EXPECT_EQ(Kid(**source), "") << "PEM keys have no kid";
  EXPECT_EQ((*source)->Stats().last_error, "");
}

TEST_F(FileKeySourceTest, FailsAtCreationWithoutUsableKeys) {
  absl::StatusOr<std::unique_ptr<KeySource>> missing =
      KeySource::File(path_, absl::Seconds(5), &scheduler_);
  EXPECT_FALSE(missing.ok());
  Write(TestKey::Rsa(1024).PublicJwks());
  EXPECT_FALSE(KeySource::File(path_, absl::Seconds(5), &scheduler_).ok());
  EXPECT_EQ(scheduler_.pending(), 0u) << "nothing is left polling";
}

}  // namespace
}  // namespace authgate
