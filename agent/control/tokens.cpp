#include "control/tokens.hpp"

#include "common/hash.hpp"
#include "control/router.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <set>

namespace berth::control {

using common::ErrorKind;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxTokenNameBytes = 64;
constexpr std::string_view kHex = "0123456789abcdef";

bool from_hex(std::string_view hex, std::array<unsigned char, 32>& out) {
  if (hex.size() != 64) {
    return false;
  }
  for (std::size_t i = 0; i < 32; ++i) {
    const auto hi = kHex.find(hex[2 * i]);
    const auto lo = kHex.find(hex[2 * i + 1]);
    if (hi == std::string_view::npos || lo == std::string_view::npos) {
      return false;
    }
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

common::Error bad_entry(std::size_t index, const std::string& what) {
  return common::make_error(ErrorKind::kInvalidArgument, "tokens file: entry " + std::to_string(index) + ": " + what);
}

common::Result<TokenRecord> parse_entry(const json& item, std::size_t index) {
  if (!item.is_object()) {
    return bad_entry(index, "not an object");
  }
  for (const auto& [key, value] : item.items()) {
    if (key != "name" && key != "scope" && key != "sha256" && key != "created") {
      return bad_entry(index, "unknown key \"" + key + "\"");
    }
    if (!value.is_string()) {
      return bad_entry(index, key + " must be a string");
    }
  }
  for (const char* key : {"name", "scope", "sha256"}) {
    if (!item.contains(key)) {
      return bad_entry(index, std::string("missing ") + key);
    }
  }
  TokenRecord r;
  r.name = item.at("name").get<std::string>();
  if (!is_valid_token_name(r.name)) {
    return bad_entry(index, "invalid name");
  }
  const auto scope = parse_scope(item.at("scope").get<std::string>());
  if (!scope) {
    return bad_entry(index, "scope must be read, deploy, admin or webhook");
  }
  r.scope = *scope;
  r.sha256 = item.at("sha256").get<std::string>();
  std::array<unsigned char, 32> digest{};
  if (!from_hex(r.sha256, digest)) {
    return bad_entry(index, "sha256 must be 64 lower-case hex digits");
  }
  if (item.contains("created")) {
    r.created = item.at("created").get<std::string>();
  }
  return r;
}

}  // namespace

common::Result<std::string> generate_token() {
  std::array<unsigned char, kTokenRandomBytes> bytes{};
  if (RAND_priv_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return common::make_error(ErrorKind::kInternal, "the random number generator failed");
  }
  std::string token(kTokenPrefix);
  token += common::hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return token;
}

std::string hash_token(std::string_view token) { return common::hex(common::sha256(token)); }

bool is_valid_token_name(std::string_view name) { return is_valid_name(name, kMaxTokenNameBytes); }

common::Result<std::vector<TokenRecord>> parse_tokens(std::string_view json_text) {
  if (json_text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return std::vector<TokenRecord>{};
  }
  const json doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) {
    return common::make_error(ErrorKind::kInvalidArgument, "tokens file: not valid JSON");
  }
  if (!doc.is_array()) {
    return common::make_error(ErrorKind::kInvalidArgument, "tokens file: must be a JSON array");
  }
  std::vector<TokenRecord> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    auto r = parse_entry(doc[i], i);
    if (!r) {
      return r.error();
    }
    if (!names.insert(r->name).second) {
      return bad_entry(i, "name \"" + r->name + "\" given twice");
    }
    out.push_back(std::move(*r));
  }
  return out;
}

std::string render_tokens(const std::vector<TokenRecord>& records) {
  json doc = json::array();
  for (const auto& r : records) {
    doc.push_back(
        {{"name", r.name}, {"scope", std::string(to_string(r.scope))}, {"sha256", r.sha256}, {"created", r.created}});
  }
  return doc.dump(2) + "\n";
}

TokenSet::TokenSet(const std::vector<TokenRecord>& records) {
  for (const auto& r : records) {
    Entry e;
    e.record = r;
    if (from_hex(r.sha256, e.digest)) {
      entries_.push_back(std::move(e));
    }
  }
}

const TokenRecord* TokenSet::find(std::string_view presented, bool webhook) const {
  const std::string digest = common::sha256(presented);
  const TokenRecord* found = nullptr;
  for (const auto& e : entries_) {
    const bool equal = CRYPTO_memcmp(digest.data(), e.digest.data(), digest.size()) == 0;
    const bool kind_ok = (e.record.scope == Scope::kWebhook) == webhook;
    if (equal && kind_ok && found == nullptr) {
      found = &e.record;
    }
  }
  return found;
}

const TokenRecord* TokenSet::authenticate(std::string_view presented) const { return find(presented, false); }

const TokenRecord* TokenSet::match_webhook_secret(std::string_view secret) const { return find(secret, true); }

bool TokenSet::still_grants(const TokenRecord& admitted, Scope required) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.record.name == admitted.name && e.record.sha256 == admitted.sha256 &&
           scope_allows(e.record.scope, required);
  });
}

}  // namespace berth::control
