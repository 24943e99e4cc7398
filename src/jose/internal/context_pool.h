// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// context_pool.h: a fixed set of reusable OpenSSL contexts owned by one key,
// handed out without locks.
//
//   ContextPool pool(factory);
//   ContextPool::Lease lease = pool.Acquire();
//   if (!lease) return false;            // the factory failed
//   EVP_MAC_init(lease->mac.get(), nullptr, 0, nullptr);
//
// Why: preparing an OpenSSL verification context (algorithm fetch, key setup)
// costs up to a fifth of an RSA verification and most of an HMAC. Contexts
// are not thread-safe, so each verification needs one to itself. Each slot is
// claimed with one atomic exchange on its own cache line, starting from a slot
// chosen by the calling thread's id so that threads rarely meet; when every
// slot is busy a temporary context is made, so a burst never waits. Contexts
// are created lazily by the thread that first claims the slot.

#ifndef AUTHGATE_SRC_JOSE_INTERNAL_CONTEXT_POOL_H_
#define AUTHGATE_SRC_JOSE_INTERNAL_CONTEXT_POOL_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

#include "jose/openssl_ptr.h"

namespace authgate {
namespace internal {

// VerifyContext holds the OpenSSL state one verification needs; which members
// are set depends on the signature scheme.
struct VerifyContext {
  UniquePtr<EVP_MD_CTX> md;      // digest (RSA, ECDSA) or DigestVerify (EdDSA)
  UniquePtr<EVP_PKEY_CTX> pkey;  // verify-initialised (RSA, ECDSA)
  UniquePtr<EVP_MAC_CTX> mac;    // keyed HMAC
};

class ContextPool {
 public:
  // A factory returns a ready context, or nullptr when OpenSSL fails.
  using Factory = std::function<std::unique_ptr<VerifyContext>()>;

  explicit ContextPool(Factory factory);
  ContextPool(const ContextPool&) = delete;
  ContextPool& operator=(const ContextPool&) = delete;

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    explicit operator bool() const { return context_ != nullptr; }
    VerifyContext* operator->() const { return context_; }

   private:
    friend class ContextPool;
    Lease(VerifyContext* context, std::atomic<bool>* busy,
          std::unique_ptr<VerifyContext> temporary)
        : context_(context), busy_(busy), temporary_(std::move(temporary)) {}
    VerifyContext* context_;
    std::atomic<bool>* busy_;  // null for a temporary context
    std::unique_ptr<VerifyContext> temporary_;
  };

  // Acquire returns a context for the caller's exclusive use until the lease
  // is destroyed. The lease is empty only if the factory failed.
  Lease Acquire() const;

 private:
  struct alignas(64) Slot {
    std::atomic<bool> busy{false};
    std::unique_ptr<VerifyContext> context;
  };

  Factory factory_;
  size_t slot_count_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace internal
}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_INTERNAL_CONTEXT_POOL_H_
