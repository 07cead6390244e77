// Each user's drafts on chatkeep-server: the message being written in a channel or a thread,
// kept for the user alone and told to their connections only. Sending a message in the channel
// or thread takes its draft away (State::insert_message).

#include <algorithm>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "state.hpp"

namespace chatkeep::server {

namespace json = boost::json;

namespace {

// A draft event of `kind` ("draft.updated", "draft.deleted") about `draft`.
Event draft_event(std::string_view kind, const std::string& cid, const json::object& draft,
                  User user) {
  Event told{.type = std::string(kind), .kind = EventType::unknown, .created_at = Timestamp::now()};
  told.cid = cid;
  told.channel_type = cid.substr(0, cid.find(':'));
  told.channel_id = cid.substr(cid.find(':') + 1);
  told.user = std::move(user);
  told.extra["draft"] = draft;
  return told;
}

}  // namespace

json::object State::save_draft(const std::string& user_id, const std::string& cid,
                               const Message& message) {
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  const std::string parent_id = message.parent_id.value_or("");
  json::object draft{{"channel_cid", cid},
                     {"created_at", now.to_string()},
                     {"message", to_json(sender_settable(message))}};
  if (!parent_id.empty()) draft["parent_id"] = parent_id;
  if (message.quoted_message) draft["quoted_message"] = to_json(*message.quoted_message);
  db_.query(R"(INSERT INTO drafts (user_id, cid, parent_id, created_at, data)
               VALUES (?1, ?2, ?3, ?4, ?5)
               ON CONFLICT (user_id, cid, parent_id) DO UPDATE SET created_at = excluded.created_at,
                 data = excluded.data)")
      .bind(1, user_id)
      .bind(2, cid)
      .bind(3, parent_id)
      .bind(4, now.unix_micros())
      .bind(5, json::serialize(draft))
      .run();
  append(draft_event("draft.updated", cid, draft, user_or_reference(user_id)), user_id);
  transaction.commit();
  return draft;
}

std::optional<json::object> State::draft(const std::string& user_id, const std::string& cid,
                                         const std::string& parent_id) {
  auto q = db_.query("SELECT data FROM drafts WHERE user_id = ?1 AND cid = ?2 AND parent_id = ?3");
  q.bind(1, user_id).bind(2, cid).bind(3, parent_id);
  if (!q.next()) return std::nullopt;
  return parse_json(q.text(0)).as_object();
}

void State::delete_draft(const std::string& user_id, const std::string& cid,
                         const std::string& parent_id) {
  sqlite::Transaction transaction(db_);
  auto gone = draft(user_id, cid, parent_id);
  if (!gone) return;
  db_.query("DELETE FROM drafts WHERE user_id = ?1 AND cid = ?2 AND parent_id = ?3")
      .bind(1, user_id)
      .bind(2, cid)
      .bind(3, parent_id)
      .run();
  append(draft_event("draft.deleted", cid, *gone, user_or_reference(user_id)), user_id);
  transaction.commit();
}

std::vector<json::object> State::drafts(const std::string& user_id,
                                        const std::vector<std::string>& cids, std::int64_t limit) {
  auto q = db_.query(R"(SELECT cid, data FROM drafts WHERE user_id = ?1
                        ORDER BY created_at DESC, cid, parent_id)");
  q.bind(1, user_id);
  std::vector<json::object> out;
  while (q.next() && static_cast<std::int64_t>(out.size()) < limit) {
    const std::string cid(q.text(0));
    if (!cids.empty() && std::find(cids.begin(), cids.end(), cid) == cids.end()) continue;
    out.push_back(parse_json(q.text(1)).as_object());
  }
  return out;
}

}  // namespace chatkeep::server
