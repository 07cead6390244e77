// libFuzzer: Stream's filters and sorts, parsed (Filter, Sort, a users query's payload) and
// evaluated by chatkeep-server over a few channel documents.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "chatkeep/query.hpp"
#include "filter.hpp"
#include "json_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace json = boost::json;
  static const std::vector<json::object> documents = [] {
    std::vector<json::object> out;
    for (const char* text : {
             R"({"cid":"messaging:a","type":"messaging","members":["alice","bob"],"frozen":false,
                 "member_count":2,"created_at":"2024-01-01T00:00:00Z","name":"a","level":3})",
             R"({"cid":"team:b","type":"team","members":["carol"],"frozen":true,"member_count":1,
                 "created_at":"2023-06-01T12:00:00.5Z","tags":["x","y"],"level":null})",
             R"({"cid":"livestream:c","type":"livestream","members":[],"member_count":0})"}) {
      out.push_back(json::parse(text).as_object());
    }
    return out;
  }();
  const auto input = chatkeep::fuzz::json_input(data, size);
  if (!input) return 0;
  const auto& value = *input;
  if (!value.is_object()) return 0;
  try {
    const auto query =
        chatkeep::server::read_document_query(value.as_object(), chatkeep::Sort{}, 10, 100);
    (void)chatkeep::model::select(documents, query.filter, query.sort, query.offset, query.limit);
    for (const auto& document : documents)
      (void)chatkeep::model::matches(query.filter.json(), document);
  } catch (const chatkeep::ChatError&) {
    // refused with a clear error: fine
  }
  return 0;
}
