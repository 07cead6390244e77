// libFuzzer: the JSON codec's round trip. What decodes encodes to JSON that decodes to the same
// value: decode(encode(decode(x))) encodes as decode(x) does. A difference is a codec bug that
// would change data a client stores and sends back.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "chatkeep/models.hpp"
#include "json_input.hpp"

namespace {

template <class T>
void round_trip(const boost::json::value& value) {
  T first;
  try {
    first = chatkeep::from_json<T>(value);
  } catch (const chatkeep::ChatError&) {
    return;
  }
  const boost::json::value encoded = chatkeep::to_json(first);
  const boost::json::value again = chatkeep::to_json(chatkeep::from_json<T>(encoded));
  if (again != encoded) {
    std::fprintf(stderr, "round trip differs:\n%s\n%s\n", boost::json::serialize(encoded).c_str(),
                 boost::json::serialize(again).c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = chatkeep::fuzz::json_input(data, size);
  if (!input) return 0;
  const auto& value = *input;
  round_trip<chatkeep::Event>(value);
  round_trip<chatkeep::ChannelState>(value);
  round_trip<chatkeep::Message>(value);
  round_trip<chatkeep::OwnUser>(value);
  return 0;
}
