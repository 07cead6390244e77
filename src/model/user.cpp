#include <set>
#include <string_view>

#include "chatkeep/user.hpp"
#include "model/tables.hpp"

namespace chatkeep::model {
namespace {

// The members of User, for User and for the types that extend it.
template <class T>
std::vector<Field<T>> user_fields() {
  return {
      CHATKEEP_REQUIRED(T, id),      CHATKEEP_FIELD(T, name),        CHATKEEP_FIELD(T, image),
      CHATKEEP_FIELD(T, role),       CHATKEEP_FIELD(T, language),    CHATKEEP_FIELD(T, created_at),
      CHATKEEP_FIELD(T, updated_at), CHATKEEP_FIELD(T, last_active), CHATKEEP_FIELD(T, online),
      CHATKEEP_FIELD(T, banned),     CHATKEEP_FIELD(T, teams),
  };
}

}  // namespace

const FieldTable<User>& field_table(Tag<User>) {
  static const FieldTable<User> table("user", user_fields<User>());
  return table;
}

const FieldTable<OwnUser>& field_table(Tag<OwnUser>) {
  static const FieldTable<OwnUser> table("me", [] {
    auto fields = user_fields<OwnUser>();
    fields.insert(fields.end(), {
                                    CHATKEEP_FIELD(OwnUser, total_unread_count),
                                    CHATKEEP_FIELD(OwnUser, unread_channels),
                                    CHATKEEP_FIELD(OwnUser, unread_count),
                                    CHATKEEP_FIELD(OwnUser, devices),
                                    CHATKEEP_FIELD(OwnUser, mutes),
                                    CHATKEEP_FIELD(OwnUser, channel_mutes),
                                    CHATKEEP_FIELD(OwnUser, blocked_user_ids),
                                });
    return fields;
  }());
  return table;
}

const FieldTable<Device>& field_table(Tag<Device>) {
  static const FieldTable<Device> table(
      "device", {CHATKEEP_REQUIRED(Device, id), CHATKEEP_FIELD(Device, push_provider),
                 CHATKEEP_FIELD(Device, push_provider_name), CHATKEEP_FIELD(Device, user_id),
                 CHATKEEP_FIELD(Device, disabled), CHATKEEP_FIELD(Device, created_at)});
  return table;
}

const FieldTable<Mute>& field_table(Tag<Mute>) {
  static const FieldTable<Mute> table(
      "mute",
      {CHATKEEP_FIELD(Mute, user), CHATKEEP_FIELD(Mute, target), CHATKEEP_FIELD(Mute, created_at),
       CHATKEEP_FIELD(Mute, updated_at), CHATKEEP_FIELD(Mute, expires)});
  return table;
}

const FieldTable<ChannelMute>& field_table(Tag<ChannelMute>) {
  static const FieldTable<ChannelMute> table(
      "channel_mute",
      {CHATKEEP_FIELD(ChannelMute, user), CHATKEEP_FIELD(ChannelMute, channel),
       CHATKEEP_FIELD(ChannelMute, created_at), CHATKEEP_FIELD(ChannelMute, updated_at),
       CHATKEEP_FIELD(ChannelMute, expires)});
  return table;
}

}  // namespace chatkeep::model

namespace chatkeep {

bool self_may_set(std::string_view name) {
  // Custom fields Stream reserves (the server's, though not modelled here), and the server's own
  // modelled fields.
  static const std::set<std::string, std::less<>> reserved = {"id",
                                                              "role",
                                                              "created_at",
                                                              "updated_at",
                                                              "last_active",
                                                              "online",
                                                              "banned",
                                                              "teams",
                                                              "shadow_banned",
                                                              "deactivated_at",
                                                              "deleted_at",
                                                              "revoke_tokens_issued_before",
                                                              "ban_expires",
                                                              "teams_role",
                                                              "total_unread_count",
                                                              "unread_channels",
                                                              "unread_count",
                                                              "unread_threads",
                                                              "devices",
                                                              "mutes",
                                                              "channel_mutes",
                                                              "blocked_user_ids"};
  return !name.empty() && !reserved.contains(name);
}

User self_settable(const User& user) {
  User out{.id = user.id, .name = user.name, .image = user.image, .language = user.language};
  for (const auto& [key, value] : user.extra) {
    // The modelled names too: `extra` may hold their explicit nulls.
    if (self_may_set(key) && key != "name" && key != "image" && key != "language") {
      out.extra[key] = value;
    }
  }
  return out;
}

}  // namespace chatkeep
