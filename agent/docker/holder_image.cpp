#include "docker/holder_image.hpp"

#include "registry/digest.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <cstdio>

namespace berth::docker {

namespace {

using nlohmann::json;

// x86-64, written out so the build needs no cross toolchain:
//   xor %eax,%eax; push %rax; push %rax; push %rax; push $1   struct sigaction {SIG_IGN, 0, 0, 0} on the stack
//   mov $17,%edi; mov %rsp,%rsi; xor %edx,%edx; mov $8,%r10d; mov $13,%eax; syscall
//                                                             rt_sigaction(SIGCHLD, &act, NULL, 8)
//   1: mov $34,%eax; syscall; jmp 1b                          pause(), forever
constexpr std::array<unsigned char, 39> kAmd64Code{0x31, 0xc0, 0x50, 0x50, 0x50, 0x6a, 0x01, 0xbf, 0x11, 0x00,
                                                   0x00, 0x00, 0x48, 0x89, 0xe6, 0x31, 0xd2, 0x41, 0xba, 0x08,
                                                   0x00, 0x00, 0x00, 0xb8, 0x0d, 0x00, 0x00, 0x00, 0x0f, 0x05,
                                                   0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7};

// AArch64 (no pause(): ppoll with no descriptors and no timeout waits the same way):
//   mov x0,#1; stp x0,xzr,[sp,#-32]!; stp xzr,xzr,[sp,#16]    struct sigaction {SIG_IGN, 0, 0, 0}
//   mov x0,#17; mov x1,sp; mov x2,#0; mov x3,#8; mov x8,#134; svc #0
//                                                             rt_sigaction(SIGCHLD, &act, NULL, 8)
//   1: mov x0..x4,#0; mov x8,#73; svc #0; b 1b                ppoll(NULL, 0, NULL, NULL, 0), forever
constexpr std::array<unsigned char, 68> kArm64Code{
    0x20, 0x00, 0x80, 0xd2, 0xe0, 0x7f, 0xbe, 0xa9, 0xff, 0x7f, 0x01, 0xa9, 0x20, 0x02, 0x80, 0xd2, 0xe1,
    0x03, 0x00, 0x91, 0x02, 0x00, 0x80, 0xd2, 0x03, 0x01, 0x80, 0xd2, 0xc8, 0x10, 0x80, 0xd2, 0x01, 0x00,
    0x00, 0xd4, 0x00, 0x00, 0x80, 0xd2, 0x01, 0x00, 0x80, 0xd2, 0x02, 0x00, 0x80, 0xd2, 0x03, 0x00, 0x80,
    0xd2, 0x04, 0x00, 0x80, 0xd2, 0x28, 0x09, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4, 0xf9, 0xff, 0xff, 0x17};

void put(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);  // little-endian
}

// A static ELF64 executable: the header, one loadable segment (the whole file, read and execute), the code.
std::string elf_executable(std::uint16_t machine, const unsigned char* code, std::size_t size) {
  constexpr std::uint64_t kBase = 0x400000;
  constexpr std::uint64_t kHeaders = 64 + 56;
  std::string out = {'\x7f', 'E', 'L', 'F', 2 /* 64-bit */, 1 /* little-endian */, 1 /* version */};
  out.resize(16, '\0');
  put(out, 2, 2);                 // e_type: ET_EXEC
  put(out, machine, 2);           // e_machine
  put(out, 1, 4);                 // e_version
  put(out, kBase + kHeaders, 8);  // e_entry: the code, right after the headers
  put(out, 64, 8);                // e_phoff
  put(out, 0, 8);                 // e_shoff: no sections
  put(out, 0, 4);                 // e_flags
  put(out, 64, 2);                // e_ehsize
  put(out, 56, 2);                // e_phentsize
  put(out, 1, 2);                 // e_phnum
  put(out, 64, 2);                // e_shentsize
  put(out, 0, 2);                 // e_shnum
  put(out, 0, 2);                 // e_shstrndx
  const std::uint64_t total = kHeaders + size;
  put(out, 1, 4);       // p_type: PT_LOAD
  put(out, 5, 4);       // p_flags: read, execute
  put(out, 0, 8);       // p_offset
  put(out, kBase, 8);   // p_vaddr
  put(out, kBase, 8);   // p_paddr
  put(out, total, 8);   // p_filesz
  put(out, total, 8);   // p_memsz
  put(out, 0x1000, 8);  // p_align
  out.append(reinterpret_cast<const char*>(code), size);
  return out;
}

// An octal number in a tar header field of `width` bytes: digits, then NUL.
void put_octal(std::string& header, std::size_t offset, std::size_t width, std::uint64_t value) {
  std::array<char, 24> digits{};
  std::snprintf(digits.data(), digits.size(), "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
  header.replace(offset, width - 1, digits.data(), width - 1);
}

std::string hex_of(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

}  // namespace

std::string holder_program(std::string_view docker_arch) {
  if (docker_arch == "amd64") return elf_executable(62, kAmd64Code.data(), kAmd64Code.size());
  if (docker_arch == "arm64") return elf_executable(183, kArm64Code.data(), kArm64Code.size());
  return {};
}

std::string tar_archive(const std::vector<TarEntry>& entries) {
  constexpr std::size_t kBlock = 512;
  std::string out;
  for (const auto& e : entries) {
    std::string header(kBlock, '\0');
    header.replace(0, e.name.size(), e.name);  // names here are short (< 100 bytes)
    put_octal(header, 100, 8, e.executable ? 0755 : 0644);
    put_octal(header, 108, 8, 0);  // uid
    put_octal(header, 116, 8, 0);  // gid
    put_octal(header, 124, 12, e.content.size());
    put_octal(header, 136, 12, 0);  // mtime
    header[156] = '0';              // a regular file
    header.replace(257, 6, std::string("ustar\0", 6));
    header.replace(263, 2, "00");
    header.replace(148, 8, 8, ' ');  // the checksum is summed with its own field as spaces
    unsigned sum = 0;
    for (const char c : header) sum += static_cast<unsigned char>(c);
    put_octal(header, 148, 7, sum);
    header[154] = '\0';  // six digits, NUL, space
    out += header;
    out += e.content;
    out.append((kBlock - e.content.size() % kBlock) % kBlock, '\0');
  }
  out.append(2 * kBlock, '\0');
  return out;
}

common::Result<HolderImage> holder_image(std::string_view docker_arch) {
  const std::string program = holder_program(docker_arch);
  if (program.empty()) {
    return common::make_error(common::ErrorKind::kInvalidArgument,
                              "berth has no holder program for the Docker Engine's architecture \"" +
                                  std::string(docker_arch) + "\" (awsvpc tasks need one; amd64 and arm64 have it)");
  }
  const std::string layer = tar_archive({{"holder", program, true}});
  const std::string diff_id = registry::sha256_digest(layer);
  const json config = {{"architecture", std::string(docker_arch)},
                       {"os", "linux"},
                       {"config", {{"Entrypoint", {"/holder"}}, {"StopSignal", "SIGKILL"}}},
                       {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}},
                       {"history", {{{"created_by", "berth: the namespace holder of awsvpc tasks"}}}}};
  const std::string config_text = config.dump();
  const std::string id = registry::sha256_digest(config_text);
  const std::string config_file = hex_of(id) + ".json";
  const std::string layer_file = hex_of(diff_id) + "/layer.tar";
  const json manifest =
      json::array({{{"Config", config_file}, {"RepoTags", {std::string(kHolderImage)}}, {"Layers", {layer_file}}}});
  HolderImage image;
  image.archive = tar_archive({{layer_file, layer}, {config_file, config_text}, {"manifest.json", manifest.dump()}});
  image.id = id;
  return image;
}

}  // namespace berth::docker
