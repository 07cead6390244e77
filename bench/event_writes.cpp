#include "event_writes.hpp"

namespace chatkeep::bench {
namespace {

// A one-element vector that takes its element by move (a braced list would copy it).
template <class T>
std::vector<T> one(T&& value) {
  std::vector<T> out;
  out.push_back(std::move(value));
  return out;
}

}  // namespace

void add_writes(Event event, const std::string& me, Batch& batch) {
  switch (event.kind) {
    case EventType::message_new:
    case EventType::message_updated:
      batch.push_back(UpsertMessages{event.cid, one(std::move(*event.message))});
      break;
    case EventType::message_deleted:
      if (event.hard_delete.value_or(false)) {
        batch.push_back(DeleteMessages{.which = DeleteMessages::ByIds{{event.message->id}}});
      } else {
        batch.push_back(UpsertMessages{event.cid, one(std::move(*event.message))});
      }
      break;
    case EventType::reaction_new:
    case EventType::reaction_updated:
      batch.push_back(UpsertMessages{event.cid, one(std::move(*event.message))});
      if (event.reaction->user_id == me) {
        batch.push_back(UpsertReactions{one(std::move(*event.reaction))});
      }
      break;
    case EventType::reaction_deleted:
      if (event.reaction->user_id == me) {
        batch.push_back(DeleteReaction{event.message->id, me, event.reaction->type});
      }
      batch.push_back(UpsertMessages{event.cid, one(std::move(*event.message))});
      break;
    case EventType::message_read:
      batch.push_back(UpsertReads{*event.cid,
                                  {Read{.user = *event.user,
                                        .last_read = event.created_at,
                                        .unread_messages = 0,
                                        .last_read_message_id = event.last_read_message_id}}});
      break;
    case EventType::member_added:
    case EventType::member_updated:
      batch.push_back(UpsertMembers{*event.cid, one(std::move(*event.member))});
      break;
    case EventType::member_removed:
      batch.push_back(DeleteMembers{*event.cid, {event.member->id()}});
      break;
    default:
      break;
  }
}

}  // namespace chatkeep::bench
