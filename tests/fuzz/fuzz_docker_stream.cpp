// Fuzzes what berth reads from the Docker Engine's streams: the multiplexed stdout/stderr framing of logs
// and exec, and the pull progress stream (lines of JSON). The first byte sets the size of the pieces the
// rest is fed in, as a socket would cut it. Invariants: pieces give the same result as one feed, output
// stays within its limit, and progress figures are never negative.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "docker/streams.hpp"
#include "fuzz_check.hpp"

namespace {

namespace docker = berth::docker;

using berth_fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::size_t piece = std::size_t{data[0]} + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  constexpr std::size_t kLimit = 256;
  docker::RawStreamDemux whole;
  docker::RawStreamDemux pieces;
  whole.set_limit(kLimit);
  pieces.set_limit(kLimit);
  whole.feed(stream);
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    pieces.feed(stream.substr(at, piece));
  }
  check(whole.stdout_text() == pieces.stdout_text() && whole.stderr_text() == pieces.stderr_text());
  check(whole.stdout_text().size() <= kLimit && whole.stderr_text().size() <= kLimit);

  docker::LineSplitter splitter(512);
  docker::PullProgress progress;
  std::size_t lines = 0;
  const auto on_line = [&](std::string_view line) -> berth::common::Status {
    check(!line.empty() && line.size() <= 512 && line.find('\n') == std::string_view::npos);
    ++lines;
    auto event = docker::parse_pull_event(line);
    if (!event) {
      check(event.error().kind == berth::common::ErrorKind::kProtocol);
      return {};
    }
    check(event->current >= 0 && event->total >= 0);
    progress.apply(*event);
    return {};
  };
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    if (!splitter.feed(stream.substr(at, piece), on_line)) {
      break;
    }
  }
  check(progress.bytes_done() >= 0 && progress.bytes_total() >= 0);
  check(!progress.summary().empty());
  docker::error_message(stream);
  return 0;
}
