#pragma once

// Realistic, deterministic chat data for the benchmarks: any message, event or channel can be
// built from its index alone, so cached databases and live event streams always agree.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/models.hpp"

namespace chatkeep::bench {

struct CorpusShape {
  std::int64_t channels = 1000;
  std::int64_t users = 500;
  std::int64_t members_per_channel = 5;
  // Message n < big_channel_messages goes to channel 0, so that one channel is deep.
  std::int64_t big_channel_messages = 100'000;
};

class Corpus {
 public:
  explicit Corpus(CorpusShape shape = {}, std::uint64_t seed = 20261121);

  const CorpusShape& shape() const { return shape_; }
  std::string cid(std::int64_t channel) const;
  std::int64_t channel_of(std::int64_t n) const;
  std::string message_id(std::int64_t n) const;  // UUID-shaped, random-looking
  Timestamp created_at(std::int64_t n) const;    // increasing with n

  // Objects as the server sends them: full users, 50-500 characters of text, 0-2 attachments,
  // some reactions, some thread replies, custom fields.
  boost::json::object user_json(std::int64_t user) const;
  boost::json::object message_json(std::int64_t n) const;
  boost::json::object channel_json(std::int64_t channel) const;
  boost::json::object member_json(std::int64_t channel, std::int64_t k) const;
  boost::json::object read_json(std::int64_t channel, std::int64_t k) const;
  std::string member_user(std::int64_t channel, std::int64_t k) const;

  // `message.new` for message n, as a WebSocket frame would carry it.
  boost::json::object message_new_json(std::int64_t n) const;
  // Event n of a catch-up stream over messages [0, known): new messages (numbered from `known`),
  // edits, deletes, reactions, reads and membership changes.
  boost::json::object mixed_event_json(std::int64_t n, std::int64_t known) const;

  // The connected user of every benchmark store.
  static constexpr const char* kMe = "user-0";

 private:
  std::uint64_t mix(std::int64_t n, std::uint64_t salt) const;
  std::string text(std::uint64_t r, std::size_t min, std::size_t max) const;

  CorpusShape shape_;
  std::uint64_t seed_;
  std::vector<std::string> words_;
};

}  // namespace chatkeep::bench
