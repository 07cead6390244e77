#pragma once

// Stream's filters and sorts evaluated on documents (objects as JSON). chatkeep-server answers
// its queries with this code, and the client's live channel lists (src/state/) decide with the
// same code which channels belong in a list and where, so that a list kept offline agrees with
// the server's answer for the same query.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/channel.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/query.hpp"

namespace chatkeep::model {

// Whether a document satisfies a filter whose shape Filter::from_json has checked: $eq (or a
// bare value), $ne, $in, $nin, $gt, $gte, $lt, $lte, $exists, $and, $or, $nor. On a list field
// (`members`), $eq and $in ask whether the list holds the value(s). Strings that are RFC 3339
// times compare as times.
bool matches(const boost::json::object& filter, const boost::json::object& document);

// -1, 0 or 1 as filters order two values (times as times); values of different kinds are equal.
int compare_values(const boost::json::value& a, const boost::json::value& b);

// -1, 0 or 1 as the sort orders two documents; a document without a sorted field comes before
// one with it (ascending).
int compare_documents(const boost::json::object& a, const boost::json::object& b, const Sort& sort);

// The indexes of the documents that match the filter, ordered by the sort (ties in the order
// given), then paged.
std::vector<std::size_t> select(const std::vector<boost::json::object>& documents,
                                const Filter& filter, const Sort& sort, std::size_t offset,
                                std::size_t limit);

// What a channel query filters and sorts on besides the channel's own fields: who is in it, and
// how the querying user stands in it.
struct ChannelFacts {
  std::vector<std::string> member_ids;
  bool hidden = false;               // the user hid it
  std::optional<Member> membership;  // the user's own, if a member (pinned_at)
  std::int64_t unread_count = 0;     // the user's unread messages in it
};

// The channel as a document for filters and sorts: its JSON, `members` (ids), `created_by_id`,
// `last_updated` (the later of updated_at and last_message_at), `hidden`, `unread_count`,
// `has_unread` and `pinned_at` (the user's own pin).
boost::json::object channel_document(const Channel& channel, const ChannelFacts& facts);

// A channel query's sort: the one asked for, else the server's default (last_updated,
// descending), and the cid last so that no two channels tie.
Sort channel_sort(const Sort& asked);

// The filter a channel query applies: the one asked for, and channels the user hid left out
// unless it asks about `hidden` itself.
Filter channel_filter(const Filter& asked);

}  // namespace chatkeep::model
