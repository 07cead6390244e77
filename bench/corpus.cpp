#include "corpus.hpp"

#include <fmt/format.h>

namespace chatkeep::bench {
namespace {

namespace json = boost::json;

// splitmix64: a good hash of (seed, index, salt) makes every choice independent and repeatable.
std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

constexpr std::int64_t kBaseSecond = 1'780'000'000;

std::string at(std::int64_t micros) {
  return Timestamp::from_unix_micros(micros).to_string();
}

}  // namespace

Corpus::Corpus(CorpusShape shape, std::uint64_t seed) : shape_(shape), seed_(seed) {
  // A vocabulary with the length spread of ordinary chat.
  for (const char* w :
       {"the",      "meeting", "is",      "moved",  "to",       "tomorrow", "morning", "can",
        "you",      "check",   "deploy",  "logs",   "please",   "thanks",   "great",   "idea",
        "lunch",    "at",      "noon",    "photo",  "from",     "weekend",  "trip",    "looks",
        "amazing",  "release", "notes",   "are",    "ready",    "review",   "when",    "free",
        "build",    "failed",  "again",   "fixed",  "it",       "coffee",   "anyone",  "standup",
        "in",       "five",    "minutes", "ticket", "customer", "reported", "bug",     "with",
        "login",    "page",    "on",      "mobile", "Android",  "iOS",      "works",   "for",
        "me",       "merged",  "branch",  "into",   "main",     "ship",     "Friday",  "holiday",
        "schedule", "sounds",  "good",    "see",    "you",      "there",    "👍",       "🎉",
        "café",     "naïve",   "über"}) {
    words_.emplace_back(w);
  }
}

std::uint64_t Corpus::mix(std::int64_t n, std::uint64_t salt) const {
  return splitmix(seed_ ^ splitmix(static_cast<std::uint64_t>(n) * 0x100000001b3ull + salt));
}

std::string Corpus::text(std::uint64_t r, std::size_t min, std::size_t max) const {
  const std::size_t length = min + r % (max - min + 1);
  std::string out;
  out.reserve(length + 16);
  while (out.size() < length) {
    r = splitmix(r);
    if (!out.empty()) out.push_back(' ');
    out += words_[r % words_.size()];
  }
  // What search needs besides the common words: one text in 20,000 holds a rare word, and one
  // in 50 a sentence in Chinese (found by substring).
  if (splitmix(r ^ 0x5ea7c4) % 20'000 == 0) out += " zephyr";
  if (splitmix(r ^ 0xc1c1) % 50 == 0) out += " 我们明天去北京大学看看";
  return out;
}

std::string Corpus::cid(std::int64_t channel) const {
  return fmt::format("messaging:channel-{:04}", channel);
}

std::int64_t Corpus::channel_of(std::int64_t n) const {
  if (n < shape_.big_channel_messages) return 0;
  return 1 + static_cast<std::int64_t>(mix(n, 1) % static_cast<std::uint64_t>(shape_.channels - 1));
}

std::string Corpus::message_id(std::int64_t n) const {
  const std::uint64_t a = mix(n, 2), b = mix(n, 3);
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | (b >> 48 & 0x3fff), b & 0xffffffffffffull);
}

Timestamp Corpus::created_at(std::int64_t n) const {
  // About ten messages a second, with sub-millisecond detail.
  return Timestamp::from_unix_micros(kBaseSecond * 1'000'000 + n * 100'000 +
                                     static_cast<std::int64_t>(mix(n, 4) % 1000));
}

json::object Corpus::user_json(std::int64_t user) const {
  const std::uint64_t r = mix(user, 5);
  json::object u{{"id", fmt::format("user-{}", user)},
                 {"name", text(r, 8, 20)},
                 {"image", fmt::format("https://cdn.example.com/avatars/{}.png", user)},
                 {"role", user == 0 ? "admin" : "user"},
                 {"language", "en"},
                 {"teams", json::array{"blue"}},
                 {"created_at", at((kBaseSecond - 86'400 * 365) * 1'000'000)},
                 {"updated_at", at((kBaseSecond - 86'400) * 1'000'000)},
                 {"last_active", at(kBaseSecond * 1'000'000)},
                 {"online", r % 3 == 0},
                 {"banned", false},
                 {"shadow_banned", false},
                 {"department", r % 2 ? "engineering" : "sales"},
                 {"timezone", "Europe/Berlin"}};
  return u;
}

std::string Corpus::member_user(std::int64_t channel, std::int64_t k) const {
  if (k == 0) return kMe;  // the connected user is in every channel
  return fmt::format("user-{}", 1 + (channel * 7 + k * 13) % (shape_.users - 1));
}

json::object Corpus::message_json(std::int64_t n) const {
  const std::int64_t channel = channel_of(n);
  const std::uint64_t r = mix(n, 6);
  const std::int64_t author_k =
      static_cast<std::int64_t>(r % static_cast<std::uint64_t>(shape_.members_per_channel));
  const std::string author = member_user(channel, author_k);
  const std::string created = created_at(n).to_string();
  json::object m{{"id", message_id(n)},
                 {"cid", cid(channel)},
                 {"text", text(mix(n, 7), 50, 500)},
                 {"type", "regular"},
                 {"user", user_json(std::stoll(author.substr(5)))},
                 {"attachments", json::array()},
                 {"latest_reactions", json::array()},
                 {"own_reactions", json::array()},
                 {"reaction_counts", json::object()},
                 {"reaction_scores", json::object()},
                 {"reply_count", 0},
                 {"mentioned_users", json::array()},
                 {"silent", false},
                 {"shadowed", false},
                 {"pinned", false},
                 {"pinned_at", nullptr},
                 {"created_at", created},
                 {"updated_at", created},
                 {"client", r % 2 ? "desktop" : "mobile"},
                 {"priority", static_cast<std::int64_t>(r % 5)}};
  auto& attachments = m["attachments"].as_array();
  for (std::uint64_t a = 0; a < (r >> 8) % 10 / 7 + (r >> 12) % 10 / 9; ++a) {
    attachments.push_back(json::object{
        {"type", a ? "file" : "image"},
        {"asset_url", fmt::format("https://cdn.example.com/files/{}-{}.bin", message_id(n), a)},
        {"image_url", fmt::format("https://cdn.example.com/images/{}-{}.jpg", message_id(n), a)},
        {"title", text(r >> 16, 5, 30)},
        {"mime_type", a ? "application/pdf" : "image/jpeg"},
        {"file_size", static_cast<std::int64_t>(1000 + (r >> 20) % 5'000'000)},
        {"original_width", 1280},
        {"original_height", 960}});
  }
  if ((r >> 24) % 10 < 3) {  // 30% have reactions
    auto& latest = m["latest_reactions"].as_array();
    const std::int64_t count = 1 + static_cast<std::int64_t>((r >> 28) % 3);
    for (std::int64_t k = 0; k < count; ++k) {
      const std::string who = member_user(channel, k + 1);
      latest.push_back(json::object{{"message_id", message_id(n)},
                                    {"user_id", who},
                                    {"type", k % 2 ? "love" : "like"},
                                    {"score", 1},
                                    {"created_at", created},
                                    {"updated_at", created}});
    }
    m["reaction_counts"] = json::object{{"like", (count + 1) / 2}, {"love", count / 2}};
    m["reaction_scores"] = m["reaction_counts"];
  }
  if (n > 10 && (r >> 32) % 10 == 0) {  // 10% are thread replies to a recent message
    const std::int64_t parent = n - 1 - static_cast<std::int64_t>((r >> 36) % 10);
    if (channel_of(parent) == channel) {
      m["type"] = "reply";
      m["parent_id"] = message_id(parent);
      m["show_in_channel"] = (r >> 40) % 5 == 0;
    }
  }
  return m;
}

json::object Corpus::channel_json(std::int64_t channel) const {
  return json::object{{"id", fmt::format("channel-{:04}", channel)},
                      {"type", "messaging"},
                      {"cid", cid(channel)},
                      {"name", text(mix(channel, 8), 8, 30)},
                      {"created_at", at((kBaseSecond - 86'400 * 30) * 1'000'000)},
                      {"updated_at", at((kBaseSecond - 86'400 * 30) * 1'000'000)},
                      {"last_message_at", at(kBaseSecond * 1'000'000 + channel * 1000)},
                      {"created_by", user_json(0)},
                      {"frozen", false},
                      {"disabled", false},
                      {"member_count", shape_.members_per_channel},
                      {"config", json::object{{"typing_events", true},
                                              {"read_events", true},
                                              {"reactions", true},
                                              {"replies", true},
                                              {"max_message_length", 5000}}},
                      {"own_capabilities", json::array{"send-message", "send-reaction",
                                                       "read-events", "typing-events"}},
                      {"project", "chatkeep"}};
}

json::object Corpus::member_json(std::int64_t channel, std::int64_t k) const {
  const std::string who = member_user(channel, k);
  return json::object{{"user_id", who},
                      {"user", user_json(std::stoll(who.substr(5)))},
                      {"channel_role", k == 0 ? "channel_moderator" : "channel_member"},
                      {"role", "member"},
                      {"created_at", at((kBaseSecond - 86'400 * 30 + k) * 1'000'000)},
                      {"updated_at", at((kBaseSecond - 86'400 * 30 + k) * 1'000'000)},
                      {"banned", false},
                      {"notifications_muted", false}};
}

json::object Corpus::read_json(std::int64_t channel, std::int64_t k) const {
  const std::string who = member_user(channel, k);
  return json::object{{"user", user_json(std::stoll(who.substr(5)))},
                      {"last_read", at(kBaseSecond * 1'000'000)},
                      {"unread_messages", static_cast<std::int64_t>(mix(channel * 10 + k, 9) % 20)},
                      {"last_read_message_id", message_id(channel)}};
}

json::object Corpus::message_new_json(std::int64_t n) const {
  json::object message = message_json(n);
  const std::int64_t channel = channel_of(n);
  json::object event{{"type", "message.new"},
                     {"created_at", message["created_at"]},
                     {"cid", cid(channel)},
                     {"channel_type", "messaging"},
                     {"channel_id", fmt::format("channel-{:04}", channel)},
                     {"message_id", message["id"]},
                     {"user", message["user"]},
                     {"watcher_count", 2},
                     {"channel_member_count", shape_.members_per_channel},
                     {"total_unread_count", 7},
                     {"unread_channels", 3},
                     {"unread_count", 1}};
  event["message"] = std::move(message);
  return event;
}

json::object Corpus::mixed_event_json(std::int64_t n, std::int64_t known) const {
  const std::uint64_t r = mix(n, 10);
  const std::uint64_t kind = r % 100;
  if (kind < 40) return message_new_json(known + n);
  // The others act on a message that exists: one of the known ones.
  const std::int64_t target =
      static_cast<std::int64_t>((r >> 8) % static_cast<std::uint64_t>(known));
  json::object message = message_json(target);
  const std::int64_t channel = channel_of(target);
  const std::string created =
      Timestamp::from_unix_micros(created_at(known + n).unix_micros()).to_string();
  json::object event{{"created_at", created},
                     {"cid", cid(channel)},
                     {"channel_type", "messaging"},
                     {"channel_id", fmt::format("channel-{:04}", channel)}};
  const std::string actor = member_user(channel, static_cast<std::int64_t>((r >> 16) % 4) + 1);
  event["user"] = user_json(std::stoll(actor.substr(5)));
  if (kind < 60) {
    event["type"] = "message.updated";
    message["text"] = text(r >> 20, 50, 500);
    message["message_text_updated_at"] = created;
    message["updated_at"] = created;
    event["message"] = std::move(message);
  } else if (kind < 65) {
    event["type"] = "message.deleted";
    message["type"] = "deleted";
    message["deleted_at"] = created;
    event["hard_delete"] = (r >> 24) % 2 == 0;
    event["message"] = std::move(message);
  } else if (kind < 80) {
    event["type"] = "reaction.new";
    json::object reaction{
        {"message_id", message["id"]}, {"user_id", actor},     {"type", "wow"}, {"score", 1},
        {"created_at", created},       {"updated_at", created}};
    message["latest_reactions"].as_array().push_back(reaction);
    message["reaction_counts"].as_object()["wow"] = 1;
    event["reaction"] = std::move(reaction);
    event["message"] = std::move(message);
  } else if (kind < 85) {
    event["type"] = "reaction.deleted";
    event["reaction"] =
        json::object{{"message_id", message["id"]}, {"user_id", actor}, {"type", "like"}};
    event["message"] = std::move(message);
  } else if (kind < 95) {
    event["type"] = "message.read";
    event["last_read_message_id"] = message["id"];
  } else {
    event["type"] = (r >> 24) % 2 ? "member.added" : "member.removed";
    json::object member = member_json(channel, 1 + static_cast<std::int64_t>((r >> 28) % 4));
    event["member"] = std::move(member);
  }
  return event;
}

}  // namespace chatkeep::bench
