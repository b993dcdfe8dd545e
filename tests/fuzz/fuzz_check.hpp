#pragma once
// The fuzzers' one assertion: a broken invariant aborts, which libFuzzer and the corpus replay report.
#include <cstdlib>

namespace berth_fuzz {

inline void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace berth_fuzz
