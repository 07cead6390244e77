#pragma once

// Convergence: after quiescence, each of a user's channels in their store is what the server says
// it is. Both sides become the same canonical JSON (the fields a client must get right: channel
// data, messages with their reactions and deletion, members, unread counts), compared as text.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "chatkeep/persistence.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep::testing {

inline boost::json::object pick(const boost::json::value& from,
                                std::initializer_list<const char*> names) {
  boost::json::object out;
  for (const char* name : names) {
    if (const auto* v = from.as_object().if_contains(name)) out[name] = *v;
  }
  return out;
}

// The canonical text of one channel as `me` sees it.
inline std::string canonical(const ChannelState& state) {
  namespace json = boost::json;
  json::object out;
  out["channel"] = pick(to_json(state.channel), {"cid", "name", "frozen", "truncated_at"});
  std::vector<Message> messages = state.messages.value_or(std::vector<Message>{});
  std::sort(messages.begin(), messages.end(), [](const Message& a, const Message& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  json::array message_list;
  for (const auto& m : messages) {
    json::object o =
        pick(to_json(m), {"id", "text", "type", "parent_id", "reply_count", "deleted_at", "pinned",
                          "reaction_counts", "reaction_scores"});
    o["user"] = m.user ? json::value(m.user->id) : nullptr;
    std::vector<std::string> own;
    for (const auto& r : m.own_reactions.value_or(std::vector<Reaction>{}))
      own.push_back(r.type);
    std::sort(own.begin(), own.end());
    json::array own_list(own.begin(), own.end());
    o["own_reactions"] = std::move(own_list);
    message_list.push_back(std::move(o));
  }
  out["messages"] = std::move(message_list);
  std::vector<std::string> members;
  for (const auto& m : state.members.value_or(std::vector<Member>{}))
    members.push_back(m.id() + "/" + m.channel_role.value_or(""));
  std::sort(members.begin(), members.end());
  out["members"] = json::array(members.begin(), members.end());
  std::vector<std::string> reads;
  for (const auto& r : state.read.value_or(std::vector<Read>{})) {
    reads.push_back(r.user.id + "/" + std::to_string(r.unread_messages.value_or(-1)));
  }
  std::sort(reads.begin(), reads.end());
  out["reads"] = json::array(reads.begin(), reads.end());
  return json::serialize(out);
}

// Where two canonical views differ, briefly: channels on one side only, and in each channel the
// messages, members, reads or channel data that differ, store first.
inline std::string difference(const std::string& store, const std::string& server) {
  namespace json = boost::json;
  auto lines = [](const std::string& text) {
    std::map<std::string, std::string> by_cid;
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = text.find('\n', start);
      const std::string line = text.substr(start, end - start);
      const std::size_t space = line.find(' ');
      by_cid[line.substr(0, space)] = line.substr(space + 1);
      start = end == std::string::npos ? text.size() : end + 1;
    }
    return by_cid;
  };
  const auto mine = lines(store);
  const auto theirs = lines(server);
  std::string out;
  for (const auto& [cid, text] : mine) {
    auto other = theirs.find(cid);
    if (other == theirs.end()) {
      out += cid + ": only in the store\n";
      continue;
    }
    if (other->second == text) continue;
    if (text == "missing") {
      out += cid + ": missing in the store\n";
      continue;
    }
    const json::object a = json::parse(text).as_object();
    const json::object b = json::parse(other->second).as_object();
    for (const char* part : {"channel", "members", "reads"}) {
      if (a.at(part) != b.at(part)) {
        out += cid + " " + part + ": " + json::serialize(a.at(part)) + " vs " +
               json::serialize(b.at(part)) + "\n";
      }
    }
    std::map<std::string, json::value> messages;
    for (const auto& m : b.at("messages").as_array())
      messages[std::string(m.at("id").as_string())] = m;
    for (const auto& m : a.at("messages").as_array()) {
      const std::string id(m.at("id").as_string());
      auto found = messages.find(id);
      if (found == messages.end()) {
        out += cid + " message only in the store: " + json::serialize(m) + "\n";
        continue;
      }
      if (found->second != m) {
        out += cid + " message: " + json::serialize(m) + "\n  vs " +
               json::serialize(found->second) + "\n";
      }
      messages.erase(found);
    }
    for (const auto& [id, m] : messages)
      out += cid + " message only on the server: " + json::serialize(m) + "\n";
  }
  for (const auto& [cid, text] : theirs) {
    if (!mine.contains(cid)) out += cid + ": only on the server\n";
  }
  return out;
}

// Every channel of `user`, in their store and on the server, canonical; equal when converged.
struct Views {
  std::string store;
  std::string server;
};

// Every channel of the user's, hidden ones too: a store keeps those, marked hidden.
inline Views views(ServerTest& test, ChatPersistenceClient& store, const std::string& user) {
  Views v;
  auto cids = store.channel_cids(1000);
  std::sort(cids.begin(), cids.end());
  for (const auto& cid : cids) {
    auto state = store.channel_state(cid, MessagePagination{.limit = 300});
    v.store += cid + " " + (state ? canonical(*state) : "missing") + "\n";
  }
  auto listed = test.call(user, boost::beast::http::verb::post, "/channels",
                          R"({"filter_conditions":{"members":{"$in":[")" + user +
                              R"("]},"hidden":{"$in":[true,false]}},"limit":30,"state":false,)"
                              R"("message_limit":0})");
  std::vector<std::string> server_cids;
  for (const auto& c : listed.json.at("channels").as_array())
    server_cids.push_back(std::string(c.at("channel").at("cid").as_string()));
  std::sort(server_cids.begin(), server_cids.end());
  for (const auto& cid : server_cids) {
    auto r = test.query(user, cid, R"({"state":true,"messages":{"limit":300}})");
    v.server += cid + " " + canonical(from_json<ChannelState>(r.json)) + "\n";
  }
  return v;
}

}  // namespace chatkeep::testing
