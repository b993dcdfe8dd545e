#pragma once

#include <string_view>

namespace berth::common {

// Whether `host`, as written in a URL or in agent.json (an IPv6 address without brackets), is this machine's
// loopback: "localhost" (any case), 127.0.0.0/8 as a dotted quad, ::1 in any of its spellings, and 127.0.0.0/8
// mapped into IPv6 (::ffff:127.0.0.1). The one rule for where plain HTTP is allowed: api.listen with
// "tls": false, registries tried over HTTP, http:// URLs of aws.endpoints and of a CLI that sends a token.
bool is_loopback_host(std::string_view host);

}  // namespace berth::common
