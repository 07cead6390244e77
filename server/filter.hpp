#pragma once

#include <cstddef>

#include <boost/json/object.hpp>

#include "chatkeep/query.hpp"
#include "model/filter_match.hpp"

namespace chatkeep::server {

// The filter, sort and page of a query of users or members (GET /users, GET /members):
// `filter_conditions`, `sort`, `limit` (up to max_limit), `offset`. ChatError code 4 when
// malformed. model::select answers it.
struct DocumentQuery {
  Filter filter;
  Sort sort;
  std::size_t offset = 0;
  std::size_t limit = 0;
};
DocumentQuery read_document_query(const boost::json::object& payload, Sort default_sort,
                                  std::size_t default_limit, std::size_t max_limit);

}  // namespace chatkeep::server
