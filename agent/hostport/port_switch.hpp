#pragma once

// The host ports berth switches, in the kernel: nft (a child process, on a small thread pool) for the NAT
// rules of port_rules.hpp, /proc/sys for route_localnet on a container's bridge (what clients on 127.0.0.1
// need, as Docker sets it when its userland proxy is off), and a conntrack dump over netlink to tell when a
// retired container's connections have closed. Needs CAP_NET_ADMIN (the unit grants it).

#include "common/error.hpp"
#include "hostport/port_rules.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace berth::hostport {

class PortSwitch {
 public:
  PortSwitch() = default;
  ~PortSwitch();
  PortSwitch(const PortSwitch&) = delete;
  PortSwitch& operator=(const PortSwitch&) = delete;

  // The map as the kernel has it; empty when berth's table is not there (yet). Also renews what point()
  // and release() take for the kernel's map, so they need no nft when nothing changes.
  boost::asio::awaitable<common::Result<PortMap>> current();

  // Points `host_port` at `to` in one transaction (the table and its rules are created or renewed in the
  // same one), after letting 127.0.0.1 clients through `bridge` (route_localnet).
  boost::asio::awaitable<common::Status> point(std::uint16_t host_port, Target to, std::string bridge);

  // Removes `host_port` from the map (nothing when it is not there, or when nft is not installed: then
  // berth never switched a port here).
  boost::asio::awaitable<common::Status> release(std::uint16_t host_port);

  // TCP connections to `to` that conntrack knows, that `to` answered and that have not closed (SYN_RECV to
  // LAST_ACK; an unanswered SYN, TIME_WAIT and CLOSE left out).
  boost::asio::awaitable<common::Result<int>> open_connections(Target to);

 private:
  // Runs `work` (which changes the kernel's map and returns it as it now is) on the pool and keeps its answer.
  boost::asio::awaitable<common::Status> change(std::function<common::Result<PortMap>()> work);

  boost::asio::thread_pool pool_{1};
  std::optional<PortMap> known_;  // the kernel's map as berth last read or wrote it
};

}  // namespace berth::hostport
