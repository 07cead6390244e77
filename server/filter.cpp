#include "filter.hpp"

#include <algorithm>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"

namespace chatkeep::server {

namespace json = boost::json;

DocumentQuery read_document_query(const boost::json::object& payload, Sort default_sort,
                                  std::size_t default_limit, std::size_t max_limit) {
  DocumentQuery query{.sort = std::move(default_sort), .limit = default_limit};
  if (const json::value* filter = payload.if_contains("filter_conditions")) {
    query.filter = Filter::from_json(*filter);
  }
  if (const json::value* sort = payload.if_contains("sort")) {
    if (!sort->is_array()) throw ChatError(ErrorCode::input, "sort: expected an array", 400);
    if (!sort->as_array().empty()) query.sort.clear();
    for (const auto& option : sort->as_array())
      query.sort.push_back(from_json<SortOption>(option));
  }
  const Pagination page = from_json<Pagination>(payload);
  query.offset = static_cast<std::size_t>(std::max<std::int64_t>(page.offset.value_or(0), 0));
  if (page.limit) {
    query.limit = static_cast<std::size_t>(
        std::clamp<std::int64_t>(*page.limit, 0, static_cast<std::int64_t>(max_limit)));
  }
  return query;
}

}  // namespace chatkeep::server
