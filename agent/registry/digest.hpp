#pragma once

// Content digests as registries and the Docker Engine spell them: "<algorithm>:<lower-case hex>".

#include <string>
#include <string_view>

namespace berth::registry {

// True for "sha256:" followed by exactly 64 lower-case hex digits: what registries send in
// Docker-Content-Digest and what berth compares and stores.
bool is_sha256_digest(std::string_view digest);

// True for any digest Docker accepts in a reference: sha256 (64 hex), sha384 (96) or sha512 (128),
// lower-case hex only.
bool is_valid_digest(std::string_view digest);

// "sha256:<hex>" of exactly these bytes. Used when a registry omits Docker-Content-Digest: the digest
// of a manifest is the digest of the body bytes as received, never of a re-serialisation.
std::string sha256_digest(std::string_view bytes);

}  // namespace berth::registry
