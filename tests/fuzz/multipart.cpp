// libFuzzer: chatkeep-server's multipart reader on any body, cut into pieces where the input's
// first byte says. It must read it or refuse it with a ChatError, never crash, and what it
// hands on must never exceed what came in.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "chatkeep/error.hpp"
#include "multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t handed = 0;
  try {
    chatkeep::server::MultipartReader reader(
        "XyZ", {.begin = [](const chatkeep::server::MultipartPart&) {},
                .content = [&](std::string_view bytes) { handed += bytes.size(); },
                .end = [] {}});
    for (std::size_t at = 0; at < body.size(); at += piece)
      reader.feed(body.substr(at, piece));
    reader.finish();
  } catch (const chatkeep::ChatError& e) {
    if (e.http_status() != 400) std::abort();
  }
  if (handed > body.size()) std::abort();
  return 0;
}
