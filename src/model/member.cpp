#include "model/tables.hpp"

namespace chatkeep {

const std::string& Member::id() const {
  static const std::string kNone;
  if (user_id) return *user_id;
  return user ? user->id : kNone;
}

namespace model {
namespace {

void finish_member(Member& member, const Path& path) {
  if (!member.user_id && !member.user) fail(Path(path, "user_id"), "required (or user)");
  if (member.user_id && member.user && *member.user_id != member.user->id) {
    fail(Path(path, "user_id"), "does not match user.id");
  }
}

}  // namespace

const FieldTable<Member>& field_table(Tag<Member>) {
  using M = Member;
  static const FieldTable<M> table(
      "member",
      {CHATKEEP_FIELD(M, user_id), CHATKEEP_FIELD(M, user), CHATKEEP_FIELD(M, channel_role),
       CHATKEEP_FIELD(M, role), CHATKEEP_FIELD(M, created_at), CHATKEEP_FIELD(M, updated_at),
       CHATKEEP_FIELD(M, banned), CHATKEEP_FIELD(M, shadow_banned), CHATKEEP_FIELD(M, invited),
       CHATKEEP_FIELD(M, invite_accepted_at), CHATKEEP_FIELD(M, invite_rejected_at),
       CHATKEEP_FIELD(M, pinned_at), CHATKEEP_FIELD(M, archived_at),
       CHATKEEP_FIELD(M, notifications_muted)},
      &finish_member);
  return table;
}

const FieldTable<Read>& field_table(Tag<Read>) {
  static const FieldTable<Read> table(
      "read", {CHATKEEP_REQUIRED(Read, user), CHATKEEP_FIELD(Read, last_read),
               CHATKEEP_FIELD(Read, unread_messages), CHATKEEP_FIELD(Read, last_read_message_id)});
  return table;
}

}  // namespace model
}  // namespace chatkeep
