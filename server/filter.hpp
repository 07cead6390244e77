#pragma once

#include <cstddef>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/query.hpp"

namespace chatkeep::server {

// Whether a document (a channel as JSON, with `members` as the list of member ids) satisfies a
// Stream filter whose shape Filter::from_json has checked: $eq (or a bare value), $ne, $in,
// $nin, $gt, $gte, $lt, $lte, $exists, $and, $or, $nor. On `members`, $eq and $in ask whether
// the list holds the value(s). Strings that are RFC 3339 times compare as times.
bool matches(const boost::json::object& filter, const boost::json::object& document);

// -1, 0 or 1 as filters order two values (times as times); values of different kinds are equal.
int compare_values(const boost::json::value& a, const boost::json::value& b);

// The filter, sort and page of a query of users or members (GET /users, GET /members):
// `filter_conditions`, `sort`, `limit` (up to max_limit), `offset`. ChatError code 4 when
// malformed.
struct DocumentQuery {
  Filter filter;
  Sort sort;
  std::size_t offset = 0;
  std::size_t limit = 0;
};
DocumentQuery read_document_query(const boost::json::object& payload, Sort default_sort,
                                  std::size_t default_limit, std::size_t max_limit);

// The indexes of the documents that match the filter, ordered by the sort (ties in the order
// given), then paged.
std::vector<std::size_t> select(const std::vector<boost::json::object>& documents,
                                const Filter& filter, const Sort& sort, std::size_t offset,
                                std::size_t limit);

}  // namespace chatkeep::server
