#pragma once

// What every store's search does before its own: the query's page checked, and its channel
// filter matched against the stored channels (stored_channel.hpp).

#include <optional>
#include <string>
#include <vector>

#include "chatkeep/persistence.hpp"

namespace chatkeep::store {

// ChatError(input) for a limit outside 1..kMaxSearchLimit or an offset beyond 2^31.
void check_search_query(const SearchQuery& query);

// The cids a search is limited to: the query's, narrowed to those its channel filter takes;
// nothing when neither limits it.
std::optional<std::vector<std::string>> searched_cids(ChatPersistenceClient& store,
                                                      const SearchQuery& query);

}  // namespace chatkeep::store
