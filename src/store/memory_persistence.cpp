// MemoryPersistenceClient: the persistence contract kept in std::maps, written apart from the
// SQLite store so that the contract suite checks the interface rather than one implementation.
//
// The tables mirror what the contract speaks of, not the SQLite layout: rows hold an object's JSON
// without what the row's key and columns restore (ids, users), and reads join users back in, so
// that a user's latest details show wherever the user is named. Messages carry the fields the
// message rules need (persistence.hpp, UpsertMessages): version, local, echo, and a sequence
// number standing for "first stored" among messages of the same time.
//
// Atomicity: every change a batch makes goes through save(), which logs how to undo it; a batch
// that throws is rolled back by running the log backwards, so no half-applied batch is ever seen
// (the mutex is held throughout).
//
// One file of about a thousand lines, on purpose: it is the example of a whole store an app
// author reads beside persistence.hpp, rule by rule, and the mutations and reads share the
// tables and the undo log defined at its top.

#include "chatkeep/memory_persistence.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "chatkeep/json.hpp"
#include "outbox/rules.hpp"
#include "outbox/uploads.hpp"
#include "process/holder.hpp"
#include "search/indexed_text.hpp"
#include "search/matches.hpp"
#include "search/search_terms.hpp"
#include "store/gaps.hpp"
#include "store/read_order.hpp"
#include "store/rows.hpp"
#include "store/search_query.hpp"
#include "store/stale_copies.hpp"

namespace chatkeep {
namespace {

namespace json = boost::json;
using store::micros;
using store::split_cid;

constexpr std::int64_t kDefaultPageSize = 25;

// An object's JSON without the members its row keeps elsewhere.
template <class T>
json::object row_data(const T& value, std::initializer_list<std::string_view> except) {
  json::object data = std::move(to_json(value).as_object());
  for (auto key : except)
    data.erase(key);
  return data;
}

struct ChannelRow {
  std::string type;
  std::string id;
  std::optional<std::string> created_by_id;
  std::optional<std::int64_t> created_at;
  std::optional<std::int64_t> updated_at;
  std::optional<std::int64_t> last_message_at;
  std::optional<std::int64_t> member_count;
  json::object data;
};

struct MessageRow {
  std::int64_t seq = 0;  // order of first storing
  std::string cid;
  std::int64_t created_at = 0;
  std::optional<std::string> user_id;
  std::optional<std::string> parent_id;
  bool show_in_channel = false;
  bool pinned = false;
  json::object data;
  bool echo = false;
  std::optional<std::int64_t> version;
  bool local = false;
};

struct MemberRow {
  std::optional<std::int64_t> created_at;
  json::object data;
};

struct ConnectionRow {
  std::optional<json::object> own_user;
  std::optional<std::int64_t> total_unread_count;
  std::optional<std::int64_t> unread_channels;
  std::optional<std::int64_t> unread_count;
  std::optional<Timestamp> last_sync_at;
};

struct Lease {
  std::string holder;
  Timestamp until;
};

using Pair = std::pair<std::string, std::string>;

// One user's store.
struct Tables {
  std::map<std::string, json::object> users;
  std::map<std::string, ChannelRow> channels;
  std::map<std::string, MessageRow> messages;
  std::map<std::tuple<std::string, std::string, std::string>, json::object> reactions;
  std::map<Pair, MemberRow> members;
  std::map<Pair, std::int64_t> departed_members;  // (cid, user id) -> when they left
  std::map<Pair, json::object> reads;
  std::map<Pair, Draft> drafts;  // (cid, parent_id or "")
  std::set<std::string> saved_queries;
  std::map<std::pair<std::string, std::int64_t>, std::string> channel_queries;  // -> cid
  std::optional<ConnectionRow> connection;
  std::map<std::int64_t, OutboxEntry> outbox;
  std::map<std::string, Lease> leases;
  std::map<Pair, std::string> uploads;           // (cid, sha256) -> url
  std::map<Pair, std::vector<store::Gap>> gaps;  // by cid and thread ('': the channel's own)
  std::map<std::string, std::int64_t> unknown_events;
  std::int64_t next_seq = 1;
  std::int64_t next_outbox_id = 1;  // never reused, even after a flush
};

}  // namespace

class MemoryPersistenceClient::Impl {
 public:
  std::mutex mutex;
  std::map<std::string, Tables> stores;  // by user id, for as long as the object lives
  Tables* t = nullptr;                   // the connected user's
  std::string me;

  Tables& tables() {
    if (!t) throw ChatError(ErrorCode::invalid_state, "the store is not connected");
    return *t;
  }

  // Empties the connected user's tables; outbox ids go on from where they were.
  FlushResult flush() {
    FlushResult result{.discarded_outbox_entries = static_cast<std::int64_t>(t->outbox.size())};
    const std::int64_t next_outbox_id = t->next_outbox_id;
    *t = Tables{};
    t->next_outbox_id = next_outbox_id;
    return result;
  }

  // --- the undo log ------------------------------------------------------------------------------

  std::vector<std::function<void()>> undo;

  // Logs how to bring back key `k` of `map` as it is now.
  template <class Map>
  void save(Map& map, const typename Map::key_type& k) {
    if (auto found = map.find(k); found != map.end()) {
      undo.push_back([&map, k, old = found->second] { map.insert_or_assign(k, old); });
    } else {
      undo.push_back([&map, k] { map.erase(k); });
    }
  }
  template <class T>
  void save_value(T& value) {
    undo.push_back([&value, old = value] { value = old; });
  }
  template <class Map>
  void erase(Map& map, const typename Map::key_type& k) {
    if (map.count(k)) {
      save(map, k);
      map.erase(k);
    }
  }
  template <class Map, class Pred>
  void erase_if(Map& map, Pred pred) {
    std::vector<typename Map::key_type> keys;
    for (const auto& [k, v] : map)
      if (pred(k, v)) keys.push_back(k);
    for (const auto& k : keys)
      erase(map, k);
  }

  // --- reads -------------------------------------------------------------------------------------

  User user_of(const std::string& id) {
    json::object user;
    if (auto found = t->users.find(id); found != t->users.end()) user = found->second;
    user.insert_or_assign("id", id);
    return from_json<User>(user);
  }

  Channel channel_of(const std::string& cid, const ChannelRow& row) {
    json::object data = row.data;
    data.insert_or_assign("cid", cid);
    data.insert_or_assign("type", row.type);
    data.insert_or_assign("id", row.id);
    Channel channel = from_json<Channel>(data);
    if (row.created_by_id) channel.created_by = user_of(*row.created_by_id);
    return channel;
  }

  Message message_of(const std::string& id, const MessageRow& row) {
    json::object data = row.data;
    data.insert_or_assign("id", id);
    data.insert_or_assign("cid", row.cid);
    Message message = from_json<Message>(data);
    if (row.user_id) message.user = user_of(*row.user_id);
    message.own_reactions.emplace();
    for (auto it = t->reactions.lower_bound({id, me, ""});
         it != t->reactions.end() && std::get<0>(it->first) == id && std::get<1>(it->first) == me;
         ++it) {
      json::object reaction = it->second;
      reaction.insert_or_assign("message_id", id);
      reaction.insert_or_assign("user_id", me);
      reaction.insert_or_assign("type", std::get<2>(it->first));
      message.own_reactions->push_back(from_json<Reaction>(reaction));
      message.own_reactions->back().user = user_of(me);
    }
    // The most pressing of the user's entries about it: failed, else sending, else queued.
    auto rank = [](std::optional<LocalState> s) { return s ? static_cast<int>(*s) + 1 : 0; };
    std::vector<OutboxEntry> uploads;
    for (const auto& [entry_id, entry] : t->outbox) {
      if (entry.message_id != id) continue;
      if (entry.kind == OutboxKind::upload_attachment) uploads.push_back(entry);
      const LocalState s = entry.state == OutboxState::failed    ? LocalState::failed
                           : entry.state == OutboxState::sending ? LocalState::sending
                                                                 : LocalState::queued;
      if (rank(s) <= rank(message.local_state)) continue;
      message.local_state = s;
      message.local_error = entry.error;
    }
    outbox::attach_uploads(message, uploads);
    return message;
  }

  enum class Scope { channel, pinned, thread };

  std::vector<Message> page(Scope scope, const std::string& key, const MessagePagination& p) {
    const std::int64_t limit = p.limit.value_or(kDefaultPageSize);
    if (limit <= 0) return {};
    using Position = std::pair<std::int64_t, std::int64_t>;  // created_at, seq
    std::vector<std::pair<Position, const std::string*>> rows;
    for (const auto& [id, row] : t->messages) {
      const bool in = scope == Scope::thread ? row.parent_id == key
                      : scope == Scope::pinned
                          ? row.cid == key && row.pinned
                          : row.cid == key && (!row.parent_id || row.show_in_channel);
      if (in) rows.push_back({{row.created_at, row.seq}, &id});
    }
    std::sort(rows.begin(), rows.end());
    // A cursor is the position of the message it names, in any scope; an unknown one matches
    // nothing.
    auto position = [&](const std::string& id) -> std::optional<Position> {
      auto found = t->messages.find(id);
      if (found == t->messages.end()) return std::nullopt;
      return Position{found->second.created_at, found->second.seq};
    };
    const Timestamp now = Timestamp::now();
    auto build = [&](auto first, auto last) {
      std::vector<Message> out;
      for (auto it = first; it != last; ++it) {
        Message m = message_of(*it->second, t->messages.at(*it->second));
        // A pin that expired is over, though nothing said so to the row.
        if (scope != Scope::pinned || pinned_at_time(m, now)) out.push_back(std::move(m));
      }
      return out;
    };
    auto at_or_after = [&](Position bound, bool inclusive) {
      return std::find_if(rows.begin(), rows.end(), [&](const auto& r) {
        return inclusive ? r.first >= bound : r.first > bound;
      });
    };
    const auto n = static_cast<std::size_t>(limit);
    if (p.id_around) {
      auto around = position(*p.id_around);
      if (!around) return {};
      const auto from = at_or_after(*around, true);
      const auto older = static_cast<std::size_t>(from - rows.begin());
      const auto newer = static_cast<std::size_t>(rows.end() - from);
      std::size_t take_older = std::min(older, (n - 1) / 2);
      const std::size_t take_newer = std::min(newer, n - take_older);
      take_older = std::min(older, n - take_newer);
      return build(from - static_cast<long>(take_older), from + static_cast<long>(take_newer));
    }
    auto begin = rows.begin();
    auto end = rows.end();
    const auto& lower_id = p.id_gte ? p.id_gte : p.id_gt;
    const auto& upper_id = p.id_lte ? p.id_lte : p.id_lt;
    if (lower_id) {
      auto lower = position(*lower_id);
      if (!lower) return {};
      begin = at_or_after(*lower, p.id_gte.has_value());
    }
    if (upper_id) {
      auto upper = position(*upper_id);
      if (!upper) return {};
      end = at_or_after(*upper, !p.id_lte.has_value());
      if (end < begin) end = begin;
    }
    // Only a lower bound: the first page after it. Otherwise the last page before the upper one.
    const auto count = static_cast<std::size_t>(end - begin);
    if (lower_id && !upper_id) return build(begin, begin + static_cast<long>(std::min(n, count)));
    return build(end - static_cast<long>(std::min(n, count)), end);
  }

  std::vector<Member> members_of(const std::string& cid) {
    std::vector<std::pair<std::pair<std::optional<std::int64_t>, std::string>, const MemberRow*>>
        rows;
    for (auto it = t->members.lower_bound({cid, ""});
         it != t->members.end() && it->first.first == cid; ++it) {
      rows.push_back({{it->second.created_at, it->first.second}, &it->second});
    }
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Member> members;
    for (const auto& [order, row] : rows) {
      json::object data = row->data;
      data.insert_or_assign("user_id", order.second);
      members.push_back(from_json<Member>(data));
      members.back().user = user_of(order.second);
    }
    return members;
  }

  std::vector<Read> reads_of(const std::string& cid) {
    std::vector<Read> reads;
    for (auto it = t->reads.lower_bound({cid, ""}); it != t->reads.end() && it->first.first == cid;
         ++it) {
      json::object data = it->second;
      data.insert_or_assign("user", json::object{{"id", it->first.second}});
      reads.push_back(from_json<Read>(data));
      reads.back().user = user_of(it->first.second);
      if (it->first.second == me) reads.back().unread_mentions = unread_mentions(cid, reads.back());
    }
    return reads;
  }

  // As the SQLite store counts them (reads.cpp).
  std::int64_t unread_mentions(const std::string& cid, const Read& read) const {
    const std::int64_t after = read.last_read ? read.last_read->unix_micros() : INT64_MIN;
    std::int64_t n = 0;
    for (const auto& [id, row] : t->messages) {
      if (row.cid != cid || (row.parent_id && !row.show_in_channel) || row.created_at <= after ||
          row.user_id == me) {
        continue;
      }
      auto flag = [&](const char* name) {
        const json::value* v = row.data.if_contains(name);
        return v && v->is_bool() && v->as_bool();
      };
      const json::value* type = row.data.if_contains("type");
      if (flag("silent") || flag("shadowed") ||
          (type && type->is_string() && type->as_string() == "system")) {
        continue;
      }
      const json::value* mentioned = row.data.if_contains("mentioned_users");
      if (!mentioned || !mentioned->is_array()) continue;
      for (const auto& user : mentioned->as_array()) {
        const json::value* uid = user.is_object() ? user.as_object().if_contains("id") : &user;
        if (uid && uid->is_string() && uid->as_string() == me) {
          ++n;
          break;
        }
      }
    }
    return n;
  }

  std::optional<ChannelState> channel_state(const std::string& cid, const MessagePagination& p) {
    auto found = t->channels.find(cid);
    if (found == t->channels.end()) return std::nullopt;
    ChannelState state{.channel = channel_of(cid, found->second)};
    state.messages = page(Scope::channel, cid, p);
    state.pinned_messages = page(Scope::pinned, cid, {});
    state.members = members_of(cid);
    for (const auto& member : *state.members) {
      if (member.id() == me) state.membership = member;
    }
    state.read = reads_of(cid);
    return state;
  }

  // --- writes: one handler per mutation, as persistence.hpp states the rules ---------------------

  ApplyResult* applied = nullptr;  // the result of the batch being applied

  // A bare {"id"} reference adds the user if unknown but never replaces what is known of it.
  void upsert_user(const User& user) {
    if (user.id.empty()) throw ChatError(ErrorCode::input, "user id is empty");
    json::object data = row_data(user, {"id"});
    if (data.empty() && t->users.count(user.id)) return;
    save(t->users, user.id);
    t->users.insert_or_assign(user.id, std::move(data));
  }

  // A stub stands in for a channel known only by its cid.
  void ensure_channel(const std::string& cid) {
    if (t->channels.count(cid)) return;
    auto [type, id] = split_cid(cid);
    save(t->channels, cid);
    t->channels.emplace(cid, ChannelRow{.type = type, .id = id});
  }

  ChannelRow& channel_row(const std::string& cid) {
    save(t->channels, cid);
    return t->channels.at(cid);
  }

  void operator()(const UpsertUsers& m) {
    for (const auto& user : m.users)
      upsert_user(user);
  }

  // The channel's latest truncation, as the server told of it.
  std::optional<Timestamp> truncated_at(const std::string& cid) {
    const auto found = t->channels.find(cid);
    if (found == t->channels.end()) return std::nullopt;
    const auto* at = found->second.data.if_contains("truncated_at");
    return at && at->is_string() ? Timestamp::parse(std::string(at->as_string())) : std::nullopt;
  }

  void operator()(const UpsertChannels& m) {
    for (const auto& given : m.channels) {
      split_cid(given.cid);
      Channel channel = given;
      if (m.partial) {
        if (auto found = t->channels.find(given.cid); found != t->channels.end()) {
          const ChannelRow& stored = found->second;
          if (!channel.own_capabilities) {
            if (auto* c = stored.data.if_contains("own_capabilities"); c && c->is_array()) {
              channel.own_capabilities.emplace();
              for (const auto& capability : c->as_array())
                channel.own_capabilities->emplace_back(capability.as_string());
            }
          }
          if (!channel.config) {
            if (auto* c = stored.data.if_contains("config"); c && !c->is_null()) {
              channel.config = from_json<ChannelConfig>(*c);
            }
          }
          if (!channel.hidden) {
            if (auto* h = stored.data.if_contains("hidden"); h && h->is_bool()) {
              channel.hidden = h->as_bool();
            }
          }
          if (!channel.member_count) channel.member_count = stored.member_count;
        }
      }
      // A copy never takes the last message time back: an answer can be older than a message
      // stored since (TruncateChannel is what takes it back).
      if (auto found = t->channels.find(given.cid);
          found != t->channels.end() && found->second.last_message_at &&
          (!channel.last_message_at ||
           channel.last_message_at->unix_micros() < *found->second.last_message_at)) {
        channel.last_message_at = Timestamp::from_unix_micros(*found->second.last_message_at);
      }
      // Nor the latest truncation.
      if (const auto truncated = truncated_at(given.cid);
          truncated && (!channel.truncated_at || *channel.truncated_at < *truncated)) {
        channel.truncated_at = truncated;
      }
      if (channel.created_by) upsert_user(*channel.created_by);
      save(t->channels, channel.cid);
      t->channels.insert_or_assign(
          channel.cid,
          ChannelRow{.type = channel.type,
                     .id = channel.id,
                     .created_by_id =
                         channel.created_by ? std::optional(channel.created_by->id) : std::nullopt,
                     .created_at = micros(channel.created_at),
                     .updated_at = micros(channel.updated_at),
                     .last_message_at = micros(channel.last_message_at),
                     .member_count = channel.member_count,
                     .data = row_data(channel, {"cid", "id", "type", "created_by"})});
    }
  }

  void operator()(const SetChannelHidden& m) {
    ensure_channel(m.cid);
    channel_row(m.cid).data.insert_or_assign("hidden", m.hidden);
  }

  void operator()(const DeleteChannels& m) {
    for (const auto& cid : m.cids) {
      if (!t->channels.count(cid)) continue;
      erase(t->channels, cid);
      // What belongs to the channel goes with it; the outbox and the saved queries stay.
      std::set<std::string> gone;
      for (const auto& [id, row] : t->messages)
        if (row.cid == cid) gone.insert(id);
      remove_messages(gone);
      erase_if(t->members, [&](const Pair& k, const auto&) { return k.first == cid; });
      erase_if(t->departed_members, [&](const Pair& k, const auto&) { return k.first == cid; });
      erase_if(t->reads, [&](const Pair& k, const auto&) { return k.first == cid; });
      erase_if(t->drafts, [&](const Pair& k, const auto&) { return k.first == cid; });
      erase_if(t->gaps, [&](const Pair& k, const auto&) { return k.first == cid; });
      erase_if(t->channel_queries, [&](const auto&, const std::string& c) { return c == cid; });
    }
  }

  void remove_messages(const std::set<std::string>& ids) {
    for (const auto& id : ids)
      erase(t->messages, id);
    erase_if(t->reactions,
             [&](const auto& k, const auto&) { return ids.count(std::get<0>(k)) != 0; });
  }

  // `given` with the outbox's entries about it replayed on it, in the order they were made.
  static bool replies_to(const OutboxEntry& entry, const std::string& parent_id) {
    if (entry.kind != OutboxKind::send_message) return false;
    const json::value* sent = entry.payload.if_contains("message");
    const json::value* parent =
        sent && sent->is_object() ? sent->as_object().if_contains("parent_id") : nullptr;
    return parent && parent->is_string() && parent->as_string() == parent_id;
  }

  Replayed replay_pending(const Message& given, Message& out) {
    std::vector<OutboxEntry> entries;
    for (const auto& [id, entry] : t->outbox)
      if (entry.message_id == given.id || replies_to(entry, given.id)) entries.push_back(entry);
    return outbox::replay_all(entries, me, given, out);
  }

  void count_arrival(const std::string& cid, const Message& message, bool unread,
                     const std::vector<std::string>& muted_by) {
    if (!shown_in_channel(message)) return;
    const std::int64_t at = message.created_at->unix_micros();
    ChannelRow& channel = channel_row(cid);
    if (!channel.last_message_at || *channel.last_message_at < at) {
      channel.last_message_at = at;
      channel.data.insert_or_assign("last_message_at", message.created_at->to_string());
    }
    if (!unread) return;
    if (const json::value* hidden = channel.data.if_contains("hidden");
        hidden && hidden->is_bool() && hidden->as_bool()) {
      channel.data.insert_or_assign("hidden", false);
    }
    if (!counts_as_unread(message)) return;
    for (auto it = t->reads.lower_bound({cid, ""}); it != t->reads.end() && it->first.first == cid;
         ++it) {
      if (message.user && it->first.second == message.user->id) continue;
      if (std::find(muted_by.begin(), muted_by.end(), it->first.second) != muted_by.end()) continue;
      save(t->reads, it->first);
      const json::value* unread_now = it->second.if_contains("unread_messages");
      const std::int64_t n = unread_now && unread_now->is_int64() ? unread_now->as_int64() : 0;
      it->second.insert_or_assign("unread_messages", n + 1);
    }
  }

  void operator()(const UpsertMessages& m) {
    Message replayed;
    for (const auto& given : m.messages) {
      bool local_change = m.local;
      if (!m.local && !m.echo) {
        const Replayed r = replay_pending(given, replayed);
        if (r == Replayed::removed) continue;
        local_change = r == Replayed::changed;
      }
      const Message& message = local_change && !m.local ? replayed : given;
      const std::string& cid = store::message_channel(message, m.cid);
      if (!m.local && !m.echo &&
          store::taken_by_truncation(m.arrived, *message.created_at, truncated_at(cid))) {
        continue;
      }
      auto stored = t->messages.find(message.id);
      const bool first_time = stored == t->messages.end();
      const bool stored_as_echo = !first_time && stored->second.echo;
      ensure_channel(cid);
      if (message.user) upsert_user(*message.user);
      const std::optional<std::int64_t> version =
          m.echo || !message.updated_at ? std::nullopt
                                        : std::optional(message.updated_at->unix_micros());
      MessageRow row{.cid = cid,
                     .created_at = message.created_at->unix_micros(),
                     .user_id = message.user ? std::optional(message.user->id) : std::nullopt,
                     .parent_id = message.parent_id,
                     .show_in_channel = message.show_in_channel.value_or(false),
                     .pinned = message.pinned.value_or(false),
                     .data = row_data(message, {"id", "cid", "user", "own_reactions"}),
                     .echo = m.echo,
                     .version = version,
                     .local = local_change};
      save(t->messages, message.id);
      if (first_time) {
        row.seq = t->next_seq++;
        t->messages.emplace(message.id, std::move(row));
      } else {
        MessageRow& old = stored->second;
        // Versions: an older copy never replaces a newer one, and a copy of the version a local
        // change was made on does not undo it (unless it is the server's answer).
        const bool replaces = m.local || !old.version || !version || *version > *old.version ||
                              (*version == *old.version && (!old.local || m.answer));
        if (replaces) {
          row.seq = old.seq;
          row.echo = old.echo;
          if (m.local) row.version = old.version;
          old = std::move(row);
        }
        // The server has it now, even if a newer copy was stored already and this one skipped.
        if (m.arrived || m.with_reads) old.echo = false;
      }
      if (m.arrived && (first_time || stored_as_echo)) {
        count_arrival(cid, message, true, m.muted_by);
      } else if (m.echo && first_time) {
        count_arrival(cid, message, false, m.muted_by);
      }
      // A reply heard of for the first time counts on its parent (its echo counted already), a
      // message of the same channel.
      if (m.arrived && first_time && message.parent_id) {
        if (auto parent = t->messages.find(*message.parent_id);
            parent != t->messages.end() && parent->second.cid == cid) {
          save(t->messages, parent->first);
          json::object& data = parent->second.data;
          const json::value* count = data.if_contains("reply_count");
          data["reply_count"] = (count && count->is_int64() ? count->as_int64() : 0) + 1;
        }
      }
    }
  }

  // Hard: the rows go, with their reactions. Soft: they stay, marked deleted.
  template <class Pred>
  void delete_messages(bool hard, const std::string& deleted_at, Pred pred) {
    std::set<std::string> ids;
    for (const auto& [id, row] : t->messages)
      if (pred(id, row)) ids.insert(id);
    if (hard) return remove_messages(ids);
    for (const auto& id : ids) {
      save(t->messages, id);
      json::object& data = t->messages.at(id).data;
      data.insert_or_assign("type", "deleted");
      data.insert_or_assign("deleted_at", deleted_at);
    }
  }

  void operator()(const DeleteMessages& m) {
    const std::string at = m.deleted_at.to_string();
    if (const auto* by_ids = std::get_if<DeleteMessages::ByIds>(&m.which)) {
      const std::set<std::string> ids(by_ids->ids.begin(), by_ids->ids.end());
      delete_messages(m.hard, at,
                      [&](const std::string& id, const MessageRow&) { return ids.count(id) != 0; });
    } else if (const auto* by_channels = std::get_if<DeleteMessages::ByChannels>(&m.which)) {
      const std::set<std::string> cids(by_channels->cids.begin(), by_channels->cids.end());
      delete_messages(m.hard, at, [&](const std::string&, const MessageRow& row) {
        return cids.count(row.cid) != 0;
      });
    } else {
      const auto& by_user = std::get<DeleteMessages::ByUser>(m.which);
      delete_messages(m.hard, at, [&](const std::string&, const MessageRow& row) {
        return row.user_id == by_user.user_id && (!by_user.cid || row.cid == *by_user.cid);
      });
    }
  }

  void operator()(const TruncateChannel& m) {
    for (auto it = t->reads.lower_bound({m.cid, ""});
         it != t->reads.end() && it->first.first == m.cid; ++it) {
      if (!m.for_everyone && it->first.second != me) continue;
      save(t->reads, it->first);
      it->second.insert_or_assign("unread_messages", 0);
    }
    // A message whose send is still in the outbox reaches the server after the truncation.
    std::set<std::string> unsent;
    for (const auto& [id, entry] : t->outbox)
      if (entry.kind == OutboxKind::send_message) unsent.insert(entry.message_id);
    delete_messages(true, "", [&](const std::string& id, const MessageRow& row) {
      return row.cid == m.cid && (!m.before || row.created_at < m.before->unix_micros()) &&
             !unsent.contains(id);
    });
    // The last message time is the newest message left shown in the channel, if any.
    auto found = t->channels.find(m.cid);
    if (found == t->channels.end()) return;
    std::optional<std::int64_t> newest;
    for (const auto& [id, row] : t->messages) {
      if (row.cid == m.cid && (!row.parent_id || row.show_in_channel) &&
          (!newest || row.created_at > *newest)) {
        newest = row.created_at;
      }
    }
    ChannelRow& channel = channel_row(m.cid);
    channel.last_message_at = newest;
    if (newest) {
      channel.data.insert_or_assign("last_message_at",
                                    Timestamp::from_unix_micros(*newest).to_string());
    } else {
      channel.data.erase("last_message_at");
    }
  }

  // Whether the stored copy of the message is newer than version `as_of`, or a local change made
  // on that version.
  bool newer_than(const std::string& message_id, const std::optional<Timestamp>& as_of) {
    if (!as_of) return false;
    auto found = t->messages.find(message_id);
    if (found == t->messages.end() || !found->second.version) return false;
    const std::int64_t v = *found->second.version;
    return v > as_of->unix_micros() || (v == as_of->unix_micros() && found->second.local);
  }

  void upsert_reaction(const Reaction& reaction, const std::optional<std::string>& message_id,
                       const std::optional<std::string>& user_id) {
    const auto [mid, uid] = store::reaction_owner(reaction, message_id, user_id);
    if (reaction.user) upsert_user(*reaction.user);
    if (!t->messages.count(mid)) return;  // reactions of messages not stored are skipped
    const auto key = std::make_tuple(mid, uid, reaction.type);
    save(t->reactions, key);
    t->reactions.insert_or_assign(key,
                                  row_data(reaction, {"message_id", "user_id", "type", "user"}));
  }

  void operator()(const UpsertReactions& m) {
    for (const auto& reaction : m.reactions) {
      if (reaction.message_id && newer_than(*reaction.message_id, m.as_of)) continue;
      upsert_reaction(reaction, std::nullopt, std::nullopt);
    }
  }

  void operator()(const DeleteReaction& m) {
    if (newer_than(m.message_id, m.as_of)) return;
    erase(t->reactions, std::make_tuple(m.message_id, m.user_id, m.type));
  }

  void operator()(const ReplaceReactions& m) {
    if (newer_than(m.message_id, m.as_of)) return;
    erase_if(t->reactions, [&](const auto& k, const auto&) {
      return std::get<0>(k) == m.message_id && std::get<1>(k) == m.user_id;
    });
    for (const auto& reaction : m.reactions)
      upsert_reaction(reaction, m.message_id, m.user_id);
  }

  void operator()(const UpsertMembers& m) {
    ensure_channel(m.cid);
    for (const auto& member : m.members) {
      if (member.user) upsert_user(*member.user);
      const Pair key{m.cid, member.id()};
      if (auto left = t->departed_members.find(key); left != t->departed_members.end()) {
        if (!store::made_after_departure(member, left->second)) continue;
        erase(t->departed_members, key);
      }
      save(t->members, key);
      t->members.insert_or_assign(key, MemberRow{.created_at = micros(member.created_at),
                                                 .data = row_data(member, {"user_id", "user"})});
      // A member has a read from the day they join, with nothing unread yet. Its time is
      // the server's to tell (a guess would outrank the server's read: read_order.hpp).
      if (!t->reads.count(key)) {
        const Read read{.user = User{.id = member.id()}, .unread_messages = 0};
        save(t->reads, key);
        t->reads.emplace(key, row_data(read, {"user"}));
      }
    }
  }

  void operator()(const DeleteMembers& m) {
    for (const auto& user_id : m.user_ids) {
      const Pair key{m.cid, user_id};
      erase(t->members, key);
      erase(t->reads, key);
      if (!m.at || !t->channels.count(m.cid)) continue;
      save(t->departed_members, key);
      auto& left = t->departed_members[key];
      left = std::max(left, m.at->unix_micros());
    }
  }

  void operator()(const UpsertReads& m) {
    ensure_channel(m.cid);
    const bool before_truncation =
        m.of_channel && store::counted_before_truncation(m.truncated_at, truncated_at(m.cid));
    for (const auto& given : m.reads) {
      upsert_user(given.user);
      const Pair key{m.cid, given.user.id};
      if (t->departed_members.count(key) && !t->members.count(key)) continue;
      std::optional<Read> stored;
      if (auto found = t->reads.find(key); found != t->reads.end()) {
        json::object row = found->second;
        row["user"] = json::object{{"id", given.user.id}};
        stored = from_json<Read>(row);
      }
      save(t->reads, key);
      t->reads.insert_or_assign(key,
                                row_data(before_truncation ? store::moved_forward(stored, given)
                                                           : store::later_read(stored, given),
                                         {"user"}));
    }
  }

  void operator()(const MarkAllRead& m) {
    for (auto& [key, data] : t->reads) {
      if (key.second != m.user_id) continue;
      save(t->reads, key);
      data.insert_or_assign("unread_messages", 0);
      data.insert_or_assign("last_read", m.at.to_string());
    }
  }

  void operator()(const UpsertDrafts& m) {
    for (const auto& draft : m.drafts) {
      const Pair key{draft.cid, draft.parent_id.value_or("")};
      if (auto stored = t->drafts.find(key);
          stored != t->drafts.end() && draft.created_at < stored->second.created_at) {
        continue;  // the newest write wins, by when it was written
      }
      ensure_channel(draft.cid);
      save(t->drafts, key);
      t->drafts.insert_or_assign(key, draft);
    }
  }

  void operator()(const DeleteDraft& m) { erase(t->drafts, Pair{m.cid, m.parent_id.value_or("")}); }

  void operator()(const SaveChannelQuery& m) {
    const std::string key = store::query_key(m.filter, m.sort);
    if (!t->saved_queries.count(key)) {
      undo.push_back([this, key, tables = t] { tables->saved_queries.erase(key); });
      t->saved_queries.insert(key);
    }
    auto first = t->channel_queries.lower_bound({key, INT64_MIN});
    auto in_query = [&](const std::string& cid) {
      for (auto it = t->channel_queries.lower_bound({key, INT64_MIN});
           it != t->channel_queries.end() && it->first.first == key; ++it)
        if (it->second == cid) return true;
      return false;
    };
    std::int64_t position = 0;
    if (m.append) {
      for (auto it = first; it != t->channel_queries.end() && it->first.first == key; ++it)
        position = it->first.second + 1;
    } else {
      erase_if(t->channel_queries, [&](const auto& k, const auto&) { return k.first == key; });
    }
    for (const auto& cid : m.cids) {
      ensure_channel(cid);
      // A cid already in the query (pages can overlap) keeps its first place.
      if (in_query(cid)) continue;
      const std::pair<std::string, std::int64_t> slot{key, position++};
      save(t->channel_queries, slot);
      t->channel_queries.insert_or_assign(slot, cid);
    }
  }

  ConnectionRow& connection_row() {
    save_value(t->connection);
    if (!t->connection) t->connection.emplace();
    return *t->connection;
  }

  void operator()(const SetConnectionInfo& m) {
    const OwnUser& own = m.info.own_user;
    ConnectionRow& row = connection_row();
    row.own_user = std::move(to_json(own).as_object());
    row.total_unread_count = own.total_unread_count;
    row.unread_channels = own.unread_channels;
    row.unread_count = own.unread_count;
  }

  void operator()(const SetUnreadCounts& m) {
    ConnectionRow& row = connection_row();
    if (m.total_unread_count) row.total_unread_count = m.total_unread_count;
    if (m.unread_channels) row.unread_channels = m.unread_channels;
    if (m.unread_count) row.unread_count = m.unread_count;
  }

  void operator()(const SetLastSyncAt& m) { connection_row().last_sync_at = m.last_sync_at; }

  void operator()(const AddOutboxEntry& m) {
    if (!m.entry.cid.empty()) split_cid(m.entry.cid);  // empty: an action about no channel
    save_value(t->next_outbox_id);
    OutboxEntry entry = m.entry;
    entry.id = t->next_outbox_id++;
    save(t->outbox, entry.id);
    t->outbox.emplace(entry.id, entry);
    applied->outbox_ids.push_back(entry.id);
  }

  void operator()(const UpdateOutboxEntry& m) {
    auto found = t->outbox.find(m.id);
    if (found == t->outbox.end()) return;  // removed while in flight: no error
    save(t->outbox, m.id);
    OutboxEntry& e = found->second;
    e.state = m.state;
    e.attempts = m.attempts;
    e.error = m.error;
    e.next_attempt_at = m.next_attempt_at;
    if (m.payload) e.payload = *m.payload;
    if (m.created_at) e.created_at = *m.created_at;
  }

  void operator()(const RemoveOutboxEntry& m) { erase(t->outbox, m.id); }

  void operator()(const RecordUpload& m) {
    split_cid(m.cid);
    const Pair key{m.cid, m.sha256};
    save(t->uploads, key);
    t->uploads.insert_or_assign(key, m.url);
  }

  void operator()(const ForgetUpload& m) {
    erase_if(t->uploads, [&](const Pair& key, const std::string& url) {
      return key.first == m.cid && url == m.url;
    });
  }

  void operator()(const CountUnknownEvent& m) {
    const std::string type = m.type.substr(0, kMaxUnknownEventTypeLength);
    if (!t->unknown_events.contains(type) && t->unknown_events.size() >= kMaxUnknownEventTypes) {
      return;
    }
    save(t->unknown_events, type);
    ++t->unknown_events[type];
  }

  // As the SQLite store's writer does (writer.cpp), over the maps.
  void operator()(const RecordPage& m) {
    ensure_channel(m.cid);
    // Which messages the page is of: those shown in the channel, or the thread's replies.
    auto of_page = [&](const MessageRow& row) {
      if (row.cid != m.cid) return false;
      return m.parent_id ? row.parent_id == m.parent_id : !row.parent_id || row.show_in_channel;
    };
    auto stored_at = [&](const std::string& id) -> std::optional<std::int64_t> {
      const auto found = t->messages.find(id);
      if (found == t->messages.end() || found->second.cid != m.cid) return std::nullopt;
      if (m.parent_id && found->second.parent_id != m.parent_id) return std::nullopt;
      return found->second.created_at;
    };
    const std::optional<std::string> cursor = store::page_cursor(m.page);
    const std::optional<std::int64_t> cursor_at = cursor ? stored_at(*cursor) : std::nullopt;
    const std::optional<store::Span> span = store::covered_span(m, cursor_at);
    if (!span) return;
    bool joined = cursor_at.has_value();
    for (std::size_t i = 0; i < m.messages.size() && !joined; ++i)
      joined = stored_at(m.messages[i].first).has_value();
    const Pair key{m.cid, m.parent_id.value_or("")};
    save(t->gaps, key);
    std::vector<store::Gap>& gaps = t->gaps[key];
    if (!joined) {
      std::optional<std::int64_t> below, above;
      for (const auto& [id, row] : t->messages) {
        if (!of_page(row)) continue;
        if (row.created_at < span->lo && (!below || row.created_at > *below))
          below = row.created_at;
        if (row.created_at > span->hi && (!above || row.created_at < *above))
          above = row.created_at;
      }
      if (span->lo != INT64_MIN && below) gaps.emplace_back(*below, span->lo);
      if (span->hi != INT64_MAX && above) gaps.emplace_back(span->hi, *above);
    }
    gaps = store::without(gaps, *span);
  }
};

MemoryPersistenceClient::MemoryPersistenceClient() : impl_(std::make_unique<Impl>()) {}

MemoryPersistenceClient::~MemoryPersistenceClient() = default;

void MemoryPersistenceClient::connect(const std::string& user_id) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->t) {
    if (user_id == impl_->me) return;
    throw ChatError(ErrorCode::invalid_state,
                    "the store is connected as another user; disconnect first");
  }
  if (user_id.empty()) throw ChatError(ErrorCode::input, "the user id is empty");
  impl_->t = &impl_->stores[user_id];
  impl_->me = user_id;
}

FlushResult MemoryPersistenceClient::disconnect(bool flush) {
  std::lock_guard lock(impl_->mutex);
  FlushResult result;
  if (!impl_->t) return result;
  if (flush) result = impl_->flush();
  impl_->t = nullptr;
  impl_->me.clear();
  return result;
}

FlushResult MemoryPersistenceClient::flush() {
  std::lock_guard lock(impl_->mutex);
  impl_->tables();
  return impl_->flush();
}

bool MemoryPersistenceClient::is_connected() {
  std::lock_guard lock(impl_->mutex);
  return impl_->t != nullptr;
}

std::optional<std::string> MemoryPersistenceClient::user_id() {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->t) return std::nullopt;
  return impl_->me;
}

std::optional<ConnectionInfo> MemoryPersistenceClient::connection_info() {
  std::lock_guard lock(impl_->mutex);
  const auto& row = impl_->tables().connection;
  if (!row || !row->own_user) return std::nullopt;
  ConnectionInfo info{.own_user = from_json<OwnUser>(*row->own_user)};
  if (row->total_unread_count) info.own_user.total_unread_count = row->total_unread_count;
  if (row->unread_channels) info.own_user.unread_channels = row->unread_channels;
  if (row->unread_count) info.own_user.unread_count = row->unread_count;
  return info;
}

std::optional<Timestamp> MemoryPersistenceClient::last_sync_at() {
  std::lock_guard lock(impl_->mutex);
  const auto& row = impl_->tables().connection;
  return row ? row->last_sync_at : std::nullopt;
}

std::vector<std::string> MemoryPersistenceClient::channel_cids(std::size_t limit) {
  std::lock_guard lock(impl_->mutex);
  std::vector<std::pair<std::optional<std::int64_t>, std::string>> order;
  for (const auto& [cid, row] : impl_->tables().channels)
    order.push_back({row.last_message_at, cid});
  // Most recent message first; channels without one last.
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<std::string> cids;
  for (std::size_t i = 0; i < order.size() && i < limit; ++i)
    cids.push_back(order[i].second);
  return cids;
}

std::optional<Channel> MemoryPersistenceClient::channel(const std::string& cid) {
  std::lock_guard lock(impl_->mutex);
  const auto& channels = impl_->tables().channels;
  auto found = channels.find(cid);
  if (found == channels.end()) return std::nullopt;
  return impl_->channel_of(cid, found->second);
}

std::optional<ChannelState> MemoryPersistenceClient::channel_state(
    const std::string& cid, const MessagePagination& messages) {
  std::lock_guard lock(impl_->mutex);
  impl_->tables();
  return impl_->channel_state(cid, messages);
}

std::vector<Message> MemoryPersistenceClient::messages(const std::string& cid,
                                                       const MessagePagination& page) {
  std::lock_guard lock(impl_->mutex);
  impl_->tables();
  return impl_->page(Impl::Scope::channel, cid, page);
}

std::vector<Message> MemoryPersistenceClient::pinned_messages(const std::string& cid,
                                                              const MessagePagination& page) {
  std::lock_guard lock(impl_->mutex);
  impl_->tables();
  return impl_->page(Impl::Scope::pinned, cid, page);
}

std::vector<Message> MemoryPersistenceClient::replies(const std::string& parent_id,
                                                      const MessagePagination& page) {
  std::lock_guard lock(impl_->mutex);
  impl_->tables();
  return impl_->page(Impl::Scope::thread, parent_id, page);
}

namespace {

// The in-memory store's words: runs of ASCII letters and digits and of other scripts' bytes,
// ASCII folded to lower case. Coarser than the SQLite store's FTS5 (no diacritics folded, no
// Unicode case), which the contract suite's searches stay within.
struct Word {
  std::string folded;
  std::size_t offset, length;
};

std::vector<Word> words_of(std::string_view text) {
  std::vector<Word> words;
  auto is_word_byte = [](unsigned char c) {
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  for (std::size_t i = 0; i < text.size();) {
    if (!is_word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    Word w{.offset = i};
    while (i < text.size() && is_word_byte(static_cast<unsigned char>(text[i]))) {
      const char c = text[i++];
      w.folded += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    w.length = i - w.offset;
    words.push_back(std::move(w));
  }
  return words;
}

// Adds the spans of every place the phrase's words occur in order; false when none does.
bool match_phrase(const std::vector<Word>& text, const search::Phrase& phrase,
                  std::vector<TextSpan>& spans) {
  const std::vector<Word> wanted = words_of(phrase.text);
  if (wanted.empty()) return true;
  bool found = false;
  for (std::size_t i = 0; i + wanted.size() <= text.size(); ++i) {
    bool all = true;
    for (std::size_t k = 0; k < wanted.size() && all; ++k) {
      const bool last = k + 1 == wanted.size();
      const std::string& have = text[i + k].folded;
      all = last && phrase.prefix ? have.starts_with(wanted[k].folded) : have == wanted[k].folded;
    }
    if (!all) continue;
    found = true;
    for (std::size_t k = 0; k < wanted.size(); ++k)
      spans.push_back({.offset = text[i + k].offset, .length = text[i + k].length});
  }
  return found;
}

}  // namespace

SearchResults MemoryPersistenceClient::search(const SearchQuery& query) {
  store::check_search_query(query);
  const search::SearchTerms terms = search::parse_search_text(query.text);
  const auto cids = store::searched_cids(*this, query);
  const std::set<std::string> allowed =
      cids ? std::set<std::string>(cids->begin(), cids->end()) : std::set<std::string>{};
  std::lock_guard lock(impl_->mutex);
  Tables& t = impl_->tables();
  struct Found {
    const std::string* id;
    const MessageRow* row;
    SearchHit hit;
  };
  std::vector<Found> found;
  for (const auto& [id, row] : t.messages) {
    if (cids && !allowed.contains(row.cid)) continue;
    if (query.user_id && row.user_id != query.user_id) continue;
    if (query.created_after && row.created_at < query.created_after->unix_micros()) continue;
    if (query.created_before && row.created_at >= query.created_before->unix_micros()) continue;
    if (query.in_thread && *query.in_thread != row.parent_id.has_value()) {
      if (*query.in_thread || !row.show_in_channel) continue;
    }
    if (query.has_attachments) {
      const auto* a = row.data.if_contains("attachments");
      const bool has = a && a->is_array() && !a->get_array().empty();
      if (has != *query.has_attachments) continue;
    }
    auto text = search::indexed_text(json::serialize(row.data));
    if (!text) continue;
    SearchHit hit{.found_in = std::move(*text)};
    const std::vector<Word> words = words_of(hit.found_in);
    bool all = true;
    for (const auto& phrase : terms.phrases)
      all = all && match_phrase(words, phrase, hit.matches);
    for (const auto& s : terms.substrings)
      all = all && search::contains_folded(hit.found_in, s);
    if (!all) continue;
    search::add_substring_matches(hit.found_in, terms.substrings, hit.matches);
    found.push_back({&id, &row, std::move(hit)});
  }
  // Newest first, for either sort: this store has no relevance to rank by.
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::tie(a.row->created_at, a.row->seq) > std::tie(b.row->created_at, b.row->seq);
  });
  SearchResults results;
  for (std::size_t i = query.offset; i < found.size() && results.hits.size() < query.limit; ++i) {
    SearchHit hit = std::move(found[i].hit);
    hit.message = impl_->message_of(*found[i].id, *found[i].row);
    const auto channel = t.channels.find(found[i].row->cid);
    if (channel != t.channels.end())
      hit.channel = impl_->channel_of(channel->first, channel->second);
    results.hits.push_back(std::move(hit));
  }
  return results;
}

std::optional<Message> MemoryPersistenceClient::message(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  const auto& messages = impl_->tables().messages;
  auto found = messages.find(id);
  if (found == messages.end()) return std::nullopt;
  return impl_->message_of(id, found->second);
}

std::vector<Member> MemoryPersistenceClient::members(const std::string& cid) {
  std::lock_guard lock(impl_->mutex);
  impl_->tables();
  return impl_->members_of(cid);
}

std::vector<Read> MemoryPersistenceClient::reads(const std::string& cid) {
  std::lock_guard lock(impl_->mutex);
  impl_->tables();
  return impl_->reads_of(cid);
}

std::optional<std::vector<ChannelState>> MemoryPersistenceClient::query_channels(
    const Filter& filter, const Sort& sort, std::size_t offset, std::size_t limit,
    std::size_t message_limit) {
  std::lock_guard lock(impl_->mutex);
  Tables& t = impl_->tables();
  const std::string key = store::query_key(filter, sort);
  if (!t.saved_queries.count(key)) return std::nullopt;
  // The query's sort on the cached channels (fields only the server can sort on keep its
  // order), then the server's order. A missing value sorts first, ascending.
  using Value = std::optional<std::int64_t>;
  auto value = [](const ChannelRow& c, const std::string& field) -> std::optional<Value> {
    if (field == "last_message_at") return c.last_message_at;
    if (field == "created_at") return c.created_at;
    if (field == "updated_at") return c.updated_at;
    if (field == "member_count") return c.member_count;
    if (field == "last_updated") {
      if (c.last_message_at && c.updated_at) return std::max(*c.last_message_at, *c.updated_at);
      if (c.last_message_at) return c.last_message_at;
      if (c.updated_at) return c.updated_at;
      return c.created_at;
    }
    return std::nullopt;
  };
  const Sort effective = sort.empty() ? Sort{{.field = "last_updated"}} : sort;
  struct Row {
    std::vector<std::pair<Value, bool>> keys;  // value, descending
    std::int64_t position;
    std::string cid;
  };
  std::vector<Row> rows;
  for (auto it = t.channel_queries.lower_bound({key, INT64_MIN});
       it != t.channel_queries.end() && it->first.first == key; ++it) {
    auto channel = t.channels.find(it->second);
    if (channel == t.channels.end()) continue;
    Row row{.position = it->first.second, .cid = it->second};
    for (const auto& option : effective) {
      if (auto v = value(channel->second, option.field)) {
        row.keys.push_back({*v, option.direction != SortDirection::ascending});
      }
    }
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    for (std::size_t i = 0; i < a.keys.size(); ++i) {
      if (a.keys[i].first == b.keys[i].first) continue;
      return a.keys[i].second ? a.keys[i].first > b.keys[i].first
                              : a.keys[i].first < b.keys[i].first;
    }
    return a.position < b.position;
  });
  std::vector<ChannelState> states;
  const MessagePagination page{.limit = static_cast<std::int64_t>(message_limit)};
  for (std::size_t i = offset; i < rows.size() && i - offset < limit; ++i) {
    if (auto state = impl_->channel_state(rows[i].cid, page)) states.push_back(std::move(*state));
  }
  return states;
}

std::optional<Draft> MemoryPersistenceClient::draft(const std::string& cid,
                                                    const std::optional<std::string>& parent_id) {
  std::lock_guard lock(impl_->mutex);
  const auto& drafts = impl_->tables().drafts;
  auto found = drafts.find({cid, parent_id.value_or("")});
  if (found == drafts.end()) return std::nullopt;
  return found->second;
}

std::vector<OutboxEntry> MemoryPersistenceClient::outbox(std::int64_t after_id, std::size_t limit) {
  std::lock_guard lock(impl_->mutex);
  const auto& outbox = impl_->tables().outbox;
  std::vector<OutboxEntry> entries;
  for (auto it = outbox.upper_bound(after_id); it != outbox.end() && entries.size() < limit; ++it)
    entries.push_back(it->second);
  return entries;
}

bool MemoryPersistenceClient::acquire_lease(const std::string& name, const std::string& holder,
                                            Timestamp now, Timestamp until) {
  std::lock_guard lock(impl_->mutex);
  auto& leases = impl_->tables().leases;
  auto found = leases.find(name);
  if (found == leases.end() || found->second.holder == holder || found->second.until < now ||
      !process::holder_alive(found->second.holder)) {
    leases.insert_or_assign(name, Lease{.holder = holder, .until = until});
    return true;
  }
  return false;
}

std::vector<HistoryGap> MemoryPersistenceClient::gaps(const std::string& cid) {
  return thread_gaps(cid, "");
}

std::vector<HistoryGap> MemoryPersistenceClient::thread_gaps(const std::string& cid,
                                                             const std::string& parent_id) {
  std::lock_guard lock(impl_->mutex);
  const auto& all = impl_->tables().gaps;
  std::vector<HistoryGap> gaps;
  if (auto found = all.find({cid, parent_id}); found != all.end()) {
    for (const auto& gap : found->second)
      gaps.push_back(store::history_gap(gap));
  }
  return gaps;
}

std::optional<std::string> MemoryPersistenceClient::uploaded_url(const std::string& cid,
                                                                 const std::string& sha256) {
  std::lock_guard lock(impl_->mutex);
  const auto& uploads = impl_->tables().uploads;
  auto found = uploads.find({cid, sha256});
  if (found == uploads.end()) return std::nullopt;
  return found->second;
}

void MemoryPersistenceClient::release_lease(const std::string& name, const std::string& holder) {
  std::lock_guard lock(impl_->mutex);
  auto& leases = impl_->tables().leases;
  if (auto found = leases.find(name); found != leases.end() && found->second.holder == holder) {
    leases.erase(found);
  }
}

ApplyResult MemoryPersistenceClient::apply(const Batch& batch) {
  std::lock_guard lock(impl_->mutex);
  impl_->tables();
  ApplyResult result;
  impl_->applied = &result;
  impl_->undo.clear();
  try {
    for (const auto& mutation : batch)
      std::visit(*impl_, mutation);
  } catch (...) {
    for (auto it = impl_->undo.rbegin(); it != impl_->undo.rend(); ++it)
      (*it)();
    impl_->undo.clear();
    throw;
  }
  impl_->undo.clear();
  return result;
}

}  // namespace chatkeep
