// Part of the portable release binary only (BERTH_PORTABLE), which must run on glibc 2.34 (Amazon
// Linux 2023) although it is built on Debian 12 (glibc 2.36). The C++ runtime linked into it calls
// arc4random, new in glibc 2.36, for std::random_device; a definition in the binary itself is the one
// the linker binds that call to, so the binary imports no GLIBC_2.36 symbol. scripts/release checks
// the symbol versions.
#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

extern "C" std::uint32_t arc4random() noexcept {
  std::uint32_t value = 0;
  auto* out = reinterpret_cast<unsigned char*>(&value);
  std::size_t got = 0;
  while (got < sizeof value) {
    const ssize_t n = getrandom(out + got, sizeof value - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      std::abort();  // no entropy from the kernel: nothing random can be made safely
    }
  }
  return value;
}
