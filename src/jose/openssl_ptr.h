// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// openssl_ptr.h: std::unique_ptr for OpenSSL objects, in the manner of
// bssl::UniquePtr, so that no OpenSSL object is ever freed by hand.
//
//   UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
//   UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(key.get(), nullptr));

#ifndef AUTHGATE_SRC_JOSE_OPENSSL_PTR_H_
#define AUTHGATE_SRC_JOSE_OPENSSL_PTR_H_

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>

namespace authgate {

template <typename T>
struct OpenSslDeleter;

#define AUTHGATE_OPENSSL_DELETER(type, free_fn)             \
  template <>                                               \
  struct OpenSslDeleter<type> {                             \
    void operator()(type* ptr) const { free_fn(ptr); }      \
  }

AUTHGATE_OPENSSL_DELETER(BIO, BIO_free_all);
AUTHGATE_OPENSSL_DELETER(BIGNUM, BN_free);
AUTHGATE_OPENSSL_DELETER(BN_CTX, BN_CTX_free);
AUTHGATE_OPENSSL_DELETER(EC_GROUP, EC_GROUP_free);
AUTHGATE_OPENSSL_DELETER(EVP_MAC, EVP_MAC_free);
AUTHGATE_OPENSSL_DELETER(EVP_MAC_CTX, EVP_MAC_CTX_free);
AUTHGATE_OPENSSL_DELETER(EVP_MD, EVP_MD_free);
AUTHGATE_OPENSSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free);
AUTHGATE_OPENSSL_DELETER(EVP_PKEY, EVP_PKEY_free);
AUTHGATE_OPENSSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
AUTHGATE_OPENSSL_DELETER(OSSL_PARAM, OSSL_PARAM_free);
AUTHGATE_OPENSSL_DELETER(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free);
AUTHGATE_OPENSSL_DELETER(X509, X509_free);

#undef AUTHGATE_OPENSSL_DELETER

template <typename T>
using UniquePtr = std::unique_ptr<T, OpenSslDeleter<T>>;

}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_OPENSSL_PTR_H_
