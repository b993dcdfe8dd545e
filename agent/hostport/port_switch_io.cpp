#include "hostport/port_switch.hpp"

#include "common/child_process.hpp"
#include "common/off_loop.hpp"
#include "common/text.hpp"

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <vector>

namespace berth::hostport {

namespace net = boost::asio;
using common::ErrorKind;
using common::make_error;
using common::Result;
using common::Status;

namespace {

constexpr auto kNftTimeout = std::chrono::seconds(10);
constexpr std::size_t kMaxNftOutput = std::size_t{1} << 20;

Result<std::string> run_nft(const std::vector<std::string>& args, const std::string& script) {
  const std::string path = common::find_on_path("nft");
  if (path.empty()) {
    return make_error(ErrorKind::kUnavailable, "nft: not found in $PATH (install the nftables package)");
  }
  std::vector<std::string> argv{"nft"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto ran = common::run_child(path, argv, script, kNftTimeout, kMaxNftOutput, common::ChildStderr::kCaptured);
  if (!ran) {
    return ran.error();
  }
  if (ran->status != 0) {
    std::string text = ran->output;
    std::replace(text.begin(), text.end(), '\n', ' ');
    return make_error(ErrorKind::kUnavailable, "nft exited with " + std::to_string(ran->status) + ": " +
                                                   std::string(common::cut_text(text, 400)));
  }
  return ran->output;
}

Result<PortMap> read_map() {
  auto listed = run_nft({"-j", "list", "map", "ip", std::string(kTable), "ports"}, "");
  if (!listed) {
    if (listed.error().message.find("No such file or directory") != std::string::npos) {
      return PortMap{};  // no table yet
    }
    return listed.error();
  }
  return parse_map_listing(*listed);
}

bool valid_interface_name(std::string_view name) {
  return !name.empty() && name.size() < 16 && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '.';
         });
}

// What Docker sets on its bridges when its userland proxy is off: packets from 127.0.0.1, rewritten to a
// container's address by the output chain, may leave through the bridge (the postrouting chain then gives
// them the bridge's address).
Status allow_localnet(const std::string& bridge) {
  if (!valid_interface_name(bridge)) {
    return make_error(ErrorKind::kInvalidArgument, "\"" + bridge + "\" is not an interface name");
  }
  const std::string path = "/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet";
  {
    std::ifstream in(path);
    std::string value;
    if (in && std::getline(in, value) && value == "1") {
      return Status{};
    }
  }
  std::ofstream out(path);
  out << "1\n";
  out.close();
  if (!out) {
    return make_error(ErrorKind::kUnavailable,
                      "cannot set " + path + " (clients on 127.0.0.1 need it): " + std::strerror(errno));
  }
  return Status{};
}

// Netlink messages and attributes are aligned to 4 bytes (NLMSG_ALIGNTO, NLA_ALIGNTO). The kernel headers'
// macros cast in C style: these do the same without.
constexpr std::size_t aligned(std::size_t n) { return (n + 3) & ~std::size_t{3}; }
constexpr std::size_t kAttributeHeader = aligned(sizeof(nlattr));
constexpr std::size_t kMessageHeader = aligned(sizeof(nlmsghdr));

// Calls f(type, payload, length) for every netlink attribute in [p, p + len).
template <class F>
void each_attribute(const char* p, std::size_t len, F&& f) {
  while (len >= kAttributeHeader) {
    nlattr a{};
    std::memcpy(&a, p, sizeof(a));
    if (a.nla_len < kAttributeHeader || a.nla_len > len) {
      return;
    }
    f(static_cast<int>(a.nla_type & NLA_TYPE_MASK), p + kAttributeHeader,
      static_cast<std::size_t>(a.nla_len - kAttributeHeader));
    const std::size_t step = aligned(a.nla_len);
    if (step >= len) {
      return;
    }
    p += step;
    len -= step;
  }
}

// One conntrack entry: is it a TCP connection to address:port (its reply comes from there) that is open?
bool is_open_connection_to(const char* p, std::size_t len, const in_addr& address, std::uint16_t port_be) {
  bool to_target = false;
  int tcp_state = -1;
  each_attribute(p, len, [&](int type, const char* data, std::size_t size) {
    if (type == CTA_TUPLE_REPLY) {
      bool source_matches = false;
      bool tcp = false;
      bool port_matches = false;
      each_attribute(data, size, [&](int t, const char* d, std::size_t s) {
        if (t == CTA_TUPLE_IP) {
          each_attribute(d, s, [&](int ip_type, const char* v, std::size_t vs) {
            source_matches |= ip_type == CTA_IP_V4_SRC && vs == 4 && std::memcmp(v, &address, 4) == 0;
          });
        } else if (t == CTA_TUPLE_PROTO) {
          each_attribute(d, s, [&](int proto_type, const char* v, std::size_t vs) {
            tcp |= proto_type == CTA_PROTO_NUM && vs >= 1 && static_cast<unsigned char>(*v) == IPPROTO_TCP;
            port_matches |= proto_type == CTA_PROTO_SRC_PORT && vs == 2 && std::memcmp(v, &port_be, 2) == 0;
          });
        }
      });
      to_target = source_matches && tcp && port_matches;
    } else if (type == CTA_PROTOINFO) {
      each_attribute(data, size, [&](int t, const char* d, std::size_t s) {
        if (t == CTA_PROTOINFO_TCP) {
          each_attribute(d, s, [&](int tcp_type, const char* v, std::size_t vs) {
            if (tcp_type == CTA_PROTOINFO_TCP_STATE && vs >= 1) {
              tcp_state = static_cast<unsigned char>(*v);
            }
          });
        }
      });
    }
  });
  // From SYN_RECV (2, the container answered) to LAST_ACK (6). TIME_WAIT (7) and CLOSE (8) are over. SYN_SENT
  // (1) is a connection attempt the container never answered: a client that gave up leaves it behind for
  // two minutes, so it does not hold the drain.
  return to_target && tcp_state >= 2 && tcp_state <= 6;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

Result<int> count_open_connections(const Target& to) {
  in_addr address{};
  if (::inet_pton(AF_INET, to.address.c_str(), &address) != 1) {
    return make_error(ErrorKind::kInvalidArgument, "\"" + to.address + "\" is not an IPv4 address");
  }
  const std::uint16_t port_be = htons(to.port);
  const Fd netlink{::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER)};
  if (netlink.fd < 0) {
    return make_error(ErrorKind::kUnavailable, std::string("conntrack: netlink socket: ") + std::strerror(errno));
  }
  const timeval timeout{5, 0};
  ::setsockopt(netlink.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  struct {
    nlmsghdr header;
    nfgenmsg message;
  } request{};
  request.header.nlmsg_len = sizeof(request);
  request.header.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.message.nfgen_family = AF_INET;
  request.message.version = NFNETLINK_V0;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(netlink.fd, &request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    return make_error(ErrorKind::kUnavailable, std::string("conntrack: dump request: ") + std::strerror(errno));
  }
  std::vector<char> buffer(std::size_t{1} << 16);
  int count = 0;
  for (;;) {
    const ssize_t n = ::recv(netlink.fd, buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return make_error(ErrorKind::kUnavailable, std::string("conntrack: dump: ") + std::strerror(errno));
    }
    const auto total = static_cast<std::size_t>(n);
    std::size_t offset = 0;
    while (offset + kMessageHeader <= total) {
      nlmsghdr h{};
      std::memcpy(&h, buffer.data() + offset, sizeof(h));
      if (h.nlmsg_len < kMessageHeader || offset + h.nlmsg_len > total) {
        break;
      }
      const char* payload = buffer.data() + offset + kMessageHeader;
      const std::size_t payload_len = h.nlmsg_len - kMessageHeader;
      offset += aligned(h.nlmsg_len);
      if (h.nlmsg_type == NLMSG_DONE) {
        return count;
      }
      if (h.nlmsg_type == NLMSG_ERROR) {
        int error = 0;  // nlmsgerr starts with the error number
        if (payload_len >= sizeof(error)) {
          std::memcpy(&error, payload, sizeof(error));
        }
        if (error == 0) {
          continue;
        }
        return make_error(ErrorKind::kUnavailable, std::string("conntrack: dump: ") + std::strerror(-error));
      }
      const std::size_t header = aligned(sizeof(nfgenmsg));
      if (payload_len < header) {
        continue;
      }
      if (is_open_connection_to(payload + header, payload_len - header, address, port_be)) {
        ++count;
      }
    }
  }
}

}  // namespace

PortSwitch::~PortSwitch() { pool_.join(); }

net::awaitable<Result<PortMap>> PortSwitch::current() {
  auto work = [] { return read_map(); };
  auto map = co_await common::off_loop(pool_, std::move(work));
  if (map) {
    known_ = *map;
  }
  co_return map;
}

net::awaitable<Status> PortSwitch::change(std::function<Result<PortMap>()> work) {
  auto map = co_await common::off_loop(pool_, std::move(work));
  if (!map) {
    known_.reset();  // read it again next time
    co_return map.error();
  }
  known_ = std::move(*map);
  co_return Status{};
}

net::awaitable<Status> PortSwitch::point(std::uint16_t host_port, Target to, std::string bridge) {
  if (known_) {
    if (auto it = known_->find(host_port); it != known_->end() && it->second == to) {
      co_return Status{};
    }
  }
  auto work = [host_port, to, bridge = std::move(bridge)]() -> Result<PortMap> {
    if (!is_ipv4(to.address)) {
      return make_error(ErrorKind::kInvalidArgument, "\"" + to.address + "\" is not an IPv4 address");
    }
    if (auto localnet = allow_localnet(bridge); !localnet) {
      return localnet.error();
    }
    auto current = read_map();
    if (!current) {
      return current.error();
    }
    if (auto it = current->find(host_port); it != current->end() && it->second == to) {
      return current;
    }
    auto done = run_nft({"-f", "-"}, point_script(*current, host_port, to));
    if (!done) {
      return done.error().context("point host port " + std::to_string(host_port) + " at " + to.address + ":" +
                                  std::to_string(to.port));
    }
    (*current)[host_port] = to;
    return current;
  };
  co_return co_await change(std::move(work));
}

net::awaitable<Status> PortSwitch::release(std::uint16_t host_port) {
  if (known_ && known_->count(host_port) == 0) {
    co_return Status{};
  }
  auto work = [host_port]() -> Result<PortMap> {
    if (common::find_on_path("nft").empty()) {
      return PortMap{};
    }
    auto current = read_map();
    if (!current) {
      return current.error();
    }
    if (current->count(host_port) == 0) {
      return current;
    }
    auto done = run_nft({"-f", "-"}, release_script(*current, host_port));
    if (!done) {
      return done.error().context("release host port " + std::to_string(host_port));
    }
    current->erase(host_port);
    return current;
  };
  co_return co_await change(std::move(work));
}

net::awaitable<Result<int>> PortSwitch::open_connections(Target to) {
  auto work = [to = std::move(to)] { return count_open_connections(to); };
  co_return co_await common::off_loop(pool_, std::move(work));
}

}  // namespace berth::hostport
