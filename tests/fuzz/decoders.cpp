// libFuzzer: the model's decoders on anything a server or client may send. Each must turn any
// input into a value or a ChatError: no crash, no other exception, no undefined behaviour.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chatkeep/json.hpp"
#include "chatkeep/models.hpp"
#include "json_input.hpp"

namespace {

template <class T>
void decode(const boost::json::value& value) {
  try {
    (void)chatkeep::from_json<T>(value);
  } catch (const chatkeep::ChatError&) {
    // refused with a clear error: fine
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = chatkeep::fuzz::json_input(data, size);
  if (!input) return 0;
  const auto& value = *input;
  decode<chatkeep::Event>(value);
  decode<chatkeep::ChannelState>(value);
  decode<chatkeep::Message>(value);
  decode<chatkeep::OwnUser>(value);
  decode<chatkeep::Member>(value);
  decode<chatkeep::QueryChannelsRequest>(value);
  return 0;
}
