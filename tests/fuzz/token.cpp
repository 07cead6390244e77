// libFuzzer: the token verifier on any string a client may put in Authorization. It accepts a
// token only with a good signature (development tokens allowed here, as a server may) and
// refuses everything else with a ChatError.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chatkeep/error.hpp"
#include "chatkeep/timestamp.hpp"
#include "chatkeep/token.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  try {
    (void)chatkeep::verify_token(token, "fuzz-secret", chatkeep::Timestamp::now(), true);
  } catch (const chatkeep::ChatError&) {
    // refused with a clear error: fine
  }
  return 0;
}
