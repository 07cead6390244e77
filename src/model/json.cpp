// The public codec: the entry points of include/chatkeep/json.hpp, for every modelled type.

#include "chatkeep/json.hpp"

#include <array>

#include <boost/json/monotonic_resource.hpp>

#include "model/tables.hpp"

namespace chatkeep {
namespace model {
namespace {

template <class T>
std::string_view root_name(Tag<T>) {
  return field_table(Tag<T>{}).root_name();
}
std::string_view root_name(Tag<SortOption>) {
  return "sort";
}

}  // namespace
}  // namespace model

template <class T>
T from_json(const boost::json::value& json) {
  T out;
  model::read(json, out, model::Path(model::root_name(model::Tag<T>{})));
  return out;
}

template <class T>
T decode(std::string_view text, const ParseLimits& limits) {
  // The parsed tree lives only until it is decoded: an arena spares the allocator.
  thread_local std::array<unsigned char, 16384> buffer;
  boost::json::monotonic_resource arena(buffer.data(), buffer.size());
  return from_json<T>(parse_json(text, limits, boost::json::storage_ptr(&arena)));
}

template <class T>
std::string encode(const T& value) {
  std::string out;
  model::JsonWriter writer(out);
  model::append(value, writer);
  return out;
}

#define CHATKEEP_CODEC(Type)                                                    \
  boost::json::value to_json(const Type& v) {                                   \
    return model::write(v);                                                     \
  }                                                                             \
  template Type from_json<Type>(const boost::json::value& json);                \
  template Type decode<Type>(std::string_view text, const ParseLimits& limits); \
  template std::string encode<Type>(const Type& value);

CHATKEEP_CODEC(User)
CHATKEEP_CODEC(OwnUser)
CHATKEEP_CODEC(Device)
CHATKEEP_CODEC(Mute)
CHATKEEP_CODEC(ChannelMute)
CHATKEEP_CODEC(Command)
CHATKEEP_CODEC(ChannelConfig)
CHATKEEP_CODEC(Channel)
CHATKEEP_CODEC(ChannelState)
CHATKEEP_CODEC(Attachment)
CHATKEEP_CODEC(Reaction)
CHATKEEP_CODEC(ReactionGroup)
CHATKEEP_CODEC(Message)
CHATKEEP_CODEC(Member)
CHATKEEP_CODEC(Read)
CHATKEEP_CODEC(Event)
CHATKEEP_CODEC(SortOption)
CHATKEEP_CODEC(MessagePagination)
CHATKEEP_CODEC(Pagination)
CHATKEEP_CODEC(QueryChannelsRequest)

#undef CHATKEEP_CODEC

boost::json::value to_json(const Sort& v) {
  return model::write(v);
}

}  // namespace chatkeep
