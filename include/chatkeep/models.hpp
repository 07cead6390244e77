#pragma once

// The model layer: plain value types for Stream's objects and events, and their JSON codec.
#include "chatkeep/channel.hpp"        // Channel, ChannelConfig, Command
#include "chatkeep/channel_state.hpp"  // ChannelState
#include "chatkeep/error.hpp"          // ChatError, ErrorCode
#include "chatkeep/event.hpp"          // Event, EventType
#include "chatkeep/json.hpp"           // from_json, to_json, decode, encode
#include "chatkeep/log.hpp"            // LogLevel, LogSink
#include "chatkeep/member.hpp"         // Member, Read
#include "chatkeep/message.hpp"        // Message, Attachment, Reaction, ReactionGroup
#include "chatkeep/own_user.hpp"       // OwnUser, Device, Mute, ChannelMute
#include "chatkeep/query.hpp"          // Filter, Sort, pagination, QueryChannelsRequest
#include "chatkeep/timestamp.hpp"      // Timestamp
#include "chatkeep/user.hpp"           // User
#include "chatkeep/uuid.hpp"           // make_uuid_v4
