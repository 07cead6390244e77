#include <set>

#include "chatkeep/json.hpp"
#include "model/tables.hpp"

namespace chatkeep {

std::string make_cid(std::string_view type, std::string_view id) {
  std::string cid;
  cid.reserve(type.size() + 1 + id.size());
  cid.append(type).append(":").append(id);
  return cid;
}

bool server_owned_channel_field(std::string_view name) {
  static const std::set<std::string, std::less<>> owned = {"id",
                                                           "type",
                                                           "cid",
                                                           "created_by",
                                                           "created_at",
                                                           "updated_at",
                                                           "last_message_at",
                                                           "member_count",
                                                           "message_count",
                                                           "config",
                                                           "own_capabilities",
                                                           "members",
                                                           "hidden",
                                                           "truncated_at",
                                                           "deleted_at"};
  return owned.contains(name);
}

Channel with_channel_data(const Channel& channel, const boost::json::object& data) {
  boost::json::object fields;
  for (const auto& [key, value] : data) {
    if (!server_owned_channel_field(key)) fields[key] = value;
  }
  fields["id"] = channel.id;
  fields["type"] = channel.type;
  fields["cid"] = channel.cid;
  Channel out = from_json<Channel>(fields);
  out.created_by = channel.created_by;
  out.created_at = channel.created_at;
  out.updated_at = channel.updated_at;
  out.last_message_at = channel.last_message_at;
  out.member_count = channel.member_count;
  out.message_count = channel.message_count;
  out.config = channel.config;
  out.own_capabilities = channel.own_capabilities;
  out.hidden = channel.hidden;
  out.truncated_at = channel.truncated_at;
  out.deleted_at = channel.deleted_at;
  // Left out, frozen and disabled stay as they were.
  if (!out.frozen) out.frozen = channel.frozen;
  if (!out.disabled) out.disabled = channel.disabled;
  return out;
}

namespace model {
namespace {

// The store keys channels by cid, so a cid that contradicts type and id is refused.
void finish_channel(Channel& channel, const Path& path) {
  if (channel.cid != make_cid(channel.type, channel.id)) {
    fail(Path(path, "cid"), "does not match type and id");
  }
}

}  // namespace

const FieldTable<Command>& field_table(Tag<Command>) {
  static const FieldTable<Command> table(
      "command", {CHATKEEP_FIELD(Command, name), CHATKEEP_FIELD(Command, description),
                  CHATKEEP_FIELD(Command, args), CHATKEEP_FIELD(Command, set)});
  return table;
}

const FieldTable<ChannelConfig>& field_table(Tag<ChannelConfig>) {
  using C = ChannelConfig;
  static const FieldTable<C> table(
      "config",
      {CHATKEEP_FIELD(C, name), CHATKEEP_FIELD(C, typing_events), CHATKEEP_FIELD(C, read_events),
       CHATKEEP_FIELD(C, connect_events), CHATKEEP_FIELD(C, reactions), CHATKEEP_FIELD(C, replies),
       CHATKEEP_FIELD(C, quotes), CHATKEEP_FIELD(C, search), CHATKEEP_FIELD(C, mutes),
       CHATKEEP_FIELD(C, uploads), CHATKEEP_FIELD(C, url_enrichment),
       CHATKEEP_FIELD(C, custom_events), CHATKEEP_FIELD(C, max_message_length),
       CHATKEEP_FIELD(C, message_retention), CHATKEEP_FIELD(C, automod),
       CHATKEEP_FIELD(C, commands), CHATKEEP_FIELD(C, created_at), CHATKEEP_FIELD(C, updated_at)});
  return table;
}

const FieldTable<Channel>& field_table(Tag<Channel>) {
  using C = Channel;
  static const FieldTable<C> table("channel",
                                   {CHATKEEP_REQUIRED(C, id),
                                    CHATKEEP_REQUIRED(C, type),
                                    CHATKEEP_REQUIRED(C, cid),
                                    CHATKEEP_FIELD(C, name),
                                    CHATKEEP_FIELD(C, image),
                                    CHATKEEP_FIELD(C, created_at),
                                    CHATKEEP_FIELD(C, updated_at),
                                    CHATKEEP_FIELD(C, last_message_at),
                                    CHATKEEP_FIELD(C, created_by),
                                    CHATKEEP_FIELD(C, frozen),
                                    CHATKEEP_FIELD(C, disabled),
                                    CHATKEEP_FIELD(C, hidden),
                                    CHATKEEP_FIELD(C, member_count),
                                    CHATKEEP_FIELD(C, message_count),
                                    CHATKEEP_FIELD(C, cooldown),
                                    CHATKEEP_FIELD(C, config),
                                    CHATKEEP_FIELD(C, own_capabilities),
                                    CHATKEEP_FIELD(C, team),
                                    CHATKEEP_FIELD(C, truncated_at),
                                    CHATKEEP_FIELD(C, deleted_at)},
                                   &finish_channel);
  return table;
}

const FieldTable<ChannelState>& field_table(Tag<ChannelState>) {
  using S = ChannelState;
  static const FieldTable<S> table("channel_state",
                                   {CHATKEEP_REQUIRED(S, channel), CHATKEEP_FIELD(S, messages),
                                    CHATKEEP_FIELD(S, pinned_messages), CHATKEEP_FIELD(S, members),
                                    CHATKEEP_FIELD(S, membership), CHATKEEP_FIELD(S, read),
                                    CHATKEEP_FIELD(S, watcher_count), CHATKEEP_FIELD(S, watchers)});
  return table;
}

}  // namespace model
}  // namespace chatkeep
