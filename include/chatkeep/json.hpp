#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "chatkeep/channel.hpp"
#include "chatkeep/channel_state.hpp"
#include "chatkeep/error.hpp"
#include "chatkeep/event.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/own_user.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/user.hpp"

// The JSON codec of the model, both ways. Decoding untrusted input never crashes: any failure is
// a ChatError with code `input` whose message starts with the offending field's path
// ("message.user.id: expected string").
namespace chatkeep {

// Limits on JSON text from outside.
struct ParseLimits {
  std::size_t max_bytes = std::size_t{64} << 20;
  std::size_t max_depth = 64;
};

// Parses text as JSON (UTF-8 checked); throws ChatError naming the byte offset of a syntax error.
// The value's memory comes from `storage` (a monotonic arena suits values thrown away soon).
boost::json::value parse_json(std::string_view text, const ParseLimits& limits = {},
                              boost::json::storage_ptr storage = {});

// Decodes one model type: User, OwnUser, Device, Mute, ChannelMute, Command, ChannelConfig,
// Channel, ChannelState, Attachment, Reaction, ReactionGroup, Message, Member, Read, Event,
// SortOption, MessagePagination, Pagination or QueryChannelsRequest.
template <class T>
T from_json(const boost::json::value& json);

// parse_json then from_json, for the same types.
template <class T>
T decode(std::string_view text, const ParseLimits& limits = {});

boost::json::value to_json(const User& v);
boost::json::value to_json(const OwnUser& v);
boost::json::value to_json(const Device& v);
boost::json::value to_json(const Mute& v);
boost::json::value to_json(const ChannelMute& v);
boost::json::value to_json(const Command& v);
boost::json::value to_json(const ChannelConfig& v);
boost::json::value to_json(const Channel& v);
boost::json::value to_json(const ChannelState& v);
boost::json::value to_json(const Attachment& v);
boost::json::value to_json(const Reaction& v);
boost::json::value to_json(const ReactionGroup& v);
boost::json::value to_json(const Message& v);
boost::json::value to_json(const Member& v);
boost::json::value to_json(const Read& v);
boost::json::value to_json(const Event& v);
boost::json::value to_json(const SortOption& v);
boost::json::value to_json(const Sort& v);
boost::json::value to_json(const MessagePagination& v);
boost::json::value to_json(const Pagination& v);
boost::json::value to_json(const QueryChannelsRequest& v);

// to_json, serialized.
template <class T>
std::string encode(const T& value);

// Serialization with object keys sorted at every level: equal documents give equal text.
std::string canonical_json(const boost::json::value& json);

// Stream's error body ({"code", "message", "StatusCode", ...}) and back. Reading is lenient: a
// body that is not an error object gives a retriable network error that quotes the status.
ChatError error_from_json(const boost::json::value& body, int http_status);
boost::json::object to_json(const ChatError& error);

}  // namespace chatkeep
