#include "registry/digest.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdlib>
#include <memory>

namespace berth::registry {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool has_algorithm(std::string_view digest, std::string_view algorithm, std::size_t hex_length) {
  if (digest.size() != algorithm.size() + 1 + hex_length || digest.substr(0, algorithm.size()) != algorithm ||
      digest[algorithm.size()] != ':') {
    return false;
  }
  return is_lower_hex(digest.substr(algorithm.size() + 1));
}

}  // namespace

bool is_sha256_digest(std::string_view digest) { return has_algorithm(digest, "sha256", 64); }

bool is_valid_digest(std::string_view digest) {
  return has_algorithm(digest, "sha256", 64) || has_algorithm(digest, "sha384", 96) ||
         has_algorithm(digest, "sha512", 128);
}

std::string sha256_digest(std::string_view bytes) {
  struct ContextFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, ContextFree> ctx(EVP_MD_CTX_new());
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  // A failure here means libcrypto itself is broken (out of memory, no SHA-256): not a state to go on in.
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md.data(), &md_len) != 1 || md_len != 32) {
    std::abort();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  out.reserve(7 + 64);
  for (unsigned int i = 0; i < md_len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

}  // namespace berth::registry
