#pragma once

// The field table of every modelled type, each defined beside its type's other rules.

#include "chatkeep/channel.hpp"
#include "chatkeep/channel_state.hpp"
#include "chatkeep/event.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/own_user.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/user.hpp"
#include "model/codec.hpp"

namespace chatkeep::model {

const FieldTable<User>& field_table(Tag<User>);
const FieldTable<OwnUser>& field_table(Tag<OwnUser>);
const FieldTable<Device>& field_table(Tag<Device>);
const FieldTable<Mute>& field_table(Tag<Mute>);
const FieldTable<ChannelMute>& field_table(Tag<ChannelMute>);
const FieldTable<Command>& field_table(Tag<Command>);
const FieldTable<ChannelConfig>& field_table(Tag<ChannelConfig>);
const FieldTable<Channel>& field_table(Tag<Channel>);
const FieldTable<ChannelState>& field_table(Tag<ChannelState>);
const FieldTable<Attachment>& field_table(Tag<Attachment>);
const FieldTable<Reaction>& field_table(Tag<Reaction>);
const FieldTable<ReactionGroup>& field_table(Tag<ReactionGroup>);
const FieldTable<Message>& field_table(Tag<Message>);
const FieldTable<Member>& field_table(Tag<Member>);
const FieldTable<Read>& field_table(Tag<Read>);
const FieldTable<Event>& field_table(Tag<Event>);
const FieldTable<MessagePagination>& field_table(Tag<MessagePagination>);
const FieldTable<Pagination>& field_table(Tag<Pagination>);
const FieldTable<QueryChannelsRequest>& field_table(Tag<QueryChannelsRequest>);

}  // namespace chatkeep::model
