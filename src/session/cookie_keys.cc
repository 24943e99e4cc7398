// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/cookie_keys.h"

#include <climits>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>

#include "jose/openssl_ptr.h"
#include "text.h"

namespace authgate {
namespace {

// Salt and labels of the derivation: changing any of them changes every key,
// which is why they carry a version.
constexpr std::string_view kSalt = "authgate/cookie-keys/v1";
constexpr std::string_view kSignInfo = "sign";
constexpr std::string_view kSealInfo = "seal";

struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// OSSL_PARAM takes non-const pointers even for inputs it only reads.
void* Bytes(std::string_view data) { return const_cast<char*>(data.data()); }

bool Hkdf(EVP_KDF* kdf, const std::string& secret, std::string_view info, uint8_t* out,
          size_t out_size) {
  std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter> ctx(EVP_KDF_CTX_new(kdf));
  if (ctx == nullptr) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, Bytes(secret), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, Bytes(kSalt), kSalt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, Bytes(info), info.size()),
      OSSL_PARAM_construct_end()};
  return EVP_KDF_derive(ctx.get(), out, out_size, params) == 1;
}

const unsigned char* Uchars(std::string_view data) {
  return reinterpret_cast<const unsigned char*>(data.data());
}

bool FitsInt(size_t size) { return size <= static_cast<size_t>(INT_MAX); }

}  // namespace

absl::StatusOr<std::shared_ptr<const CookieKeys>> CookieKeys::Derive(
    const std::vector<std::string>& secrets) {
  if (secrets.empty()) return absl::InvalidArgumentError("at least one cookie secret is required");
  if (secrets.size() > kMaxSecrets) {
    return absl::InvalidArgumentError(ToAbsl(StrCat("at most ", kMaxSecrets,
                                                    " cookie secrets are allowed, got ",
                                                    secrets.size())));
  }
  for (size_t i = 0; i < secrets.size(); ++i) {
    if (secrets[i].size() < kMinSecretSize) {
      return absl::InvalidArgumentError(ToAbsl(StrCat("cookie secret at index ", i,
                                                      " is shorter than the minimum of ",
                                                      kMinSecretSize, " bytes")));
    }
  }
  std::shared_ptr<CookieKeys> keys(new CookieKeys());
  keys->hmac_.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr), EVP_MAC_free);
  keys->aes_gcm_.reset(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr), EVP_CIPHER_free);
  std::unique_ptr<EVP_KDF, void (*)(EVP_KDF*)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr),
                                                    EVP_KDF_free);
  if (keys->hmac_ == nullptr || keys->aes_gcm_ == nullptr || kdf == nullptr) {
    return absl::InternalError("OpenSSL lacks HMAC, AES-256-GCM or HKDF");
  }
  keys->keys_.resize(secrets.size());
  for (size_t i = 0; i < secrets.size(); ++i) {
    KeyPair& pair = keys->keys_[i];
    if (!Hkdf(kdf.get(), secrets[i], kSignInfo, pair.sign.data(), pair.sign.size()) ||
        !Hkdf(kdf.get(), secrets[i], kSealInfo, pair.seal.data(), pair.seal.size())) {
      return absl::InternalError("HKDF key derivation failed");
    }
  }
  // Fail here rather than at the first request if OpenSSL refuses the setup.
  Mac mac;
  std::string sealed, opened;
  const uint8_t nonce[kNonceSize] = {};
  if (!keys->ComputeMac(0, "probe", &mac) || !keys->Seal(nonce, "aad", "probe", &sealed) ||
      !keys->Open(0, nonce, "aad", sealed, &opened) || opened != "probe") {
    return absl::InternalError("HMAC-SHA256 or AES-256-GCM does not work in this OpenSSL");
  }
  return std::shared_ptr<const CookieKeys>(std::move(keys));
}

CookieKeys::~CookieKeys() {
  for (KeyPair& pair : keys_) OPENSSL_cleanse(&pair, sizeof(pair));
}

bool CookieKeys::ComputeMac(size_t index, std::string_view message, Mac* mac) const {
  if (index >= keys_.size()) return false;
  UniquePtr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(hmac_.get()));
  if (ctx == nullptr) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  const std::array<uint8_t, 32>& key = keys_[index].sign;
  size_t mac_size = 0;
  return EVP_MAC_init(ctx.get(), key.data(), key.size(), params) == 1 &&
         EVP_MAC_update(ctx.get(), Uchars(message), message.size()) == 1 &&
         EVP_MAC_final(ctx.get(), mac->data(), &mac_size, mac->size()) == 1 &&
         mac_size == kMacSize;
}

bool CookieKeys::Seal(const uint8_t (&nonce)[kNonceSize], std::string_view aad,
                      std::string_view plaintext, std::string* out) const {
  if (!FitsInt(aad.size()) || !FitsInt(plaintext.size())) return false;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return false;
  const size_t start = out->size();
  out->resize(start + plaintext.size() + kTagSize);
  unsigned char* dest = reinterpret_cast<unsigned char*>(out->data() + start);
  int written = 0, final_written = 0;
  // The default GCM nonce length of OpenSSL is 12 bytes (kNonceSize).
  bool ok = EVP_EncryptInit_ex2(ctx.get(), aes_gcm_.get(), keys_[0].seal.data(), nonce,
                                nullptr) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &written, Uchars(aad),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), dest, &written, Uchars(plaintext),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), dest + written, &final_written) == 1 &&
            static_cast<size_t>(written + final_written) == plaintext.size() &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize),
                                dest + plaintext.size()) == 1;
  if (!ok) out->resize(start);
  return ok;
}

bool CookieKeys::Open(size_t index, const uint8_t (&nonce)[kNonceSize], std::string_view aad,
                      std::string_view sealed, std::string* plaintext) const {
  if (index >= keys_.size() || sealed.size() < kTagSize || !FitsInt(aad.size()) ||
      !FitsInt(sealed.size())) {
    return false;
  }
  std::string_view ciphertext = sealed.substr(0, sealed.size() - kTagSize);
  std::string_view tag = sealed.substr(ciphertext.size());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return false;
  plaintext->resize(ciphertext.size());
  unsigned char* dest = reinterpret_cast<unsigned char*>(plaintext->data());
  int written = 0, final_written = 0;
  bool ok = EVP_DecryptInit_ex2(ctx.get(), aes_gcm_.get(), keys_[index].seal.data(), nonce,
                                nullptr) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &written, Uchars(aad),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), dest, &written, Uchars(ciphertext),
                              static_cast<int>(ciphertext.size())) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize),
                                Bytes(tag)) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), dest + written, &final_written) == 1;
  if (!ok) {
    // Never hand out bytes decrypted from an unauthenticated ciphertext.
    OPENSSL_cleanse(plaintext->data(), plaintext->size());
    plaintext->clear();
  }
  return ok;
}

}  // namespace authgate
