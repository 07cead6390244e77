#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace chatkeep {

namespace model {
struct FilterAccess;
}

// A Stream query filter, e.g. {"type": "messaging", "members": {"$in": ["alice"]}}.
//
// Invariant: the JSON is well formed: every key is a field name or `$and`, `$or`, `$nor` (with a
// non-empty array of filters); a field's condition is a bare value (equality) or an object of
// known operators with operands of the right kind. Construct with the helpers or from_json.
class Filter {
 public:
  // The empty filter, which matches everything.
  Filter() = default;

  static Filter eq(std::string_view field, boost::json::value value);
  static Filter ne(std::string_view field, boost::json::value value);
  static Filter in(std::string_view field, boost::json::array values);
  static Filter nin(std::string_view field, boost::json::array values);
  static Filter gt(std::string_view field, boost::json::value value);
  static Filter gte(std::string_view field, boost::json::value value);
  static Filter lt(std::string_view field, boost::json::value value);
  static Filter lte(std::string_view field, boost::json::value value);
  static Filter exists(std::string_view field, bool exists = true);
  static Filter all_of(std::vector<Filter> filters);   // $and
  static Filter any_of(std::vector<Filter> filters);   // $or
  static Filter none_of(std::vector<Filter> filters);  // $nor

  // Checks the filter's shape; throws ChatError (code input) naming the offending path.
  static Filter from_json(const boost::json::value& json);

  const boost::json::object& json() const { return json_; }
  // The same text for equal filters whatever their key order: a cache key for the query.
  std::string canonical() const;

  friend bool operator==(const Filter& a, const Filter& b) { return a.json_ == b.json_; }

 private:
  friend struct model::FilterAccess;  // the codec builds filters it has checked
  explicit Filter(boost::json::object json) : json_(std::move(json)) {}
  static Filter condition(std::string_view field, std::string_view op, boost::json::value operand);
  static Filter group(std::string_view op, std::vector<Filter> filters);

  boost::json::object json_;
};

enum class SortDirection : int { ascending = 1, descending = -1 };

struct SortOption {
  std::string field;
  SortDirection direction = SortDirection::descending;
};
using Sort = std::vector<SortOption>;

// Paging through a channel's messages by id; at most one bound is usually set.
struct MessagePagination {
  std::optional<std::int64_t> limit;
  std::optional<std::string> id_lt;
  std::optional<std::string> id_lte;
  std::optional<std::string> id_gt;
  std::optional<std::string> id_gte;
  std::optional<std::string> id_around;
  boost::json::object extra;  // members chatkeep does not model, kept as for model objects
};

struct Pagination {
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> offset;
  boost::json::object extra;
};

// The body of `POST /channels`.
struct QueryChannelsRequest {
  Filter filter_conditions;  // required
  std::optional<Sort> sort;
  std::optional<bool> state;
  std::optional<bool> watch;
  std::optional<bool> presence;
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> offset;
  std::optional<std::int64_t> message_limit;
  std::optional<std::int64_t> member_limit;
  boost::json::object extra;
};

}  // namespace chatkeep
