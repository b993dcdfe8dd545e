#include "registry/digest.hpp"

#include "common/hash.hpp"

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

std::string sha256_digest(std::string_view bytes) { return "sha256:" + common::hex(common::sha256(bytes)); }

}  // namespace berth::registry
