#include "outbox/message_to_send.hpp"

#include "chatkeep/json.hpp"

namespace chatkeep::outbox {

namespace json = boost::json;

json::object message_to_send(const Message& message) {
  const Message m = sender_settable(message);
  json::object out = m.extra;
  out["id"] = m.id;
  if (m.text) out["text"] = *m.text;
  if (m.attachments) {
    json::array list;
    for (const auto& a : *m.attachments)
      list.push_back(to_json(a));
    out["attachments"] = std::move(list);
  }
  if (m.mentioned_users) {
    json::array ids;
    for (const auto& u : *m.mentioned_users)
      ids.emplace_back(u.id);
    out["mentioned_users"] = std::move(ids);
  }
  if (m.parent_id) out["parent_id"] = *m.parent_id;
  if (m.show_in_channel) out["show_in_channel"] = *m.show_in_channel;
  if (m.quoted_message_id) out["quoted_message_id"] = *m.quoted_message_id;
  if (m.silent) out["silent"] = *m.silent;
  return out;
}

}  // namespace chatkeep::outbox
