// ChatClient::search: the store's answer, then the server's, which is stored and answered from
// the store again. Storing what the server found (each message an island in its channel's
// history: RecordPage leaves gaps on both sides) is what merges the two without duplicates and
// in one order, keeps the user's messages still in the outbox among the results, and makes what
// the server found searchable offline next time.

#include "client/client_core.hpp"
#include "search/search_terms.hpp"
#include "store/search_query.hpp"

namespace chatkeep {
namespace {

namespace json = boost::json;

// Stream's payload for the query (protocol.md): the channels as a filter, and the text as
// `query`, or, with message filters, inside them as {"text": {"$q": ...}}.
json::object search_payload(const SearchQuery& query, const std::string& me) {
  std::vector<Filter> channels;
  if (query.channel_filter) channels.push_back(*query.channel_filter);
  if (query.cids) {
    json::array cids;
    for (const auto& cid : *query.cids)
      cids.emplace_back(cid);
    channels.push_back(Filter::in("cid", std::move(cids)));
  }
  if (channels.empty()) channels.push_back(Filter::in("members", {json::value(me)}));
  std::vector<Filter> messages;
  if (query.user_id) messages.push_back(Filter::eq("user.id", json::value(*query.user_id)));
  if (query.created_after) {
    messages.push_back(Filter::gte("created_at", json::value(query.created_after->to_string())));
  }
  if (query.created_before) {
    messages.push_back(Filter::lt("created_at", json::value(query.created_before->to_string())));
  }
  if (query.in_thread) {
    messages.push_back(*query.in_thread ? Filter::exists("parent_id")
                                        : Filter::any_of({Filter::exists("parent_id", false),
                                                          Filter::eq("show_in_channel", true)}));
  }
  if (query.has_attachments)
    messages.push_back(Filter::exists("attachments", *query.has_attachments));
  json::object payload{
      {"filter_conditions",
       channels.size() == 1 ? channels[0].json() : Filter::all_of(std::move(channels)).json()},
      {"sort", json::array{json::object{
                   {"field", query.sort == SearchSort::relevance ? "relevance" : "created_at"},
                   {"direction", -1}}}},
      {"limit", query.limit},
      {"offset", query.offset}};
  if (messages.empty()) {
    payload["query"] = query.text;
  } else {
    messages.push_back(Filter::eq("text", json::object{{"$q", query.text}}));
    payload["message_filter_conditions"] = Filter::all_of(std::move(messages)).json();
  }
  return payload;
}

}  // namespace

void ClientCore::search(SearchQuery query, AnswerCallback<SearchResults> done) {
  try {
    store::check_search_query(query);
    search::parse_search_text(query.text);
  } catch (const ChatError& e) {
    return answer(done, Answer<SearchResults>{.source = Source::server, .error = e});
  }
  auto shared = std::make_shared<SearchQuery>(std::move(query));
  answer_twice<SearchResults>(
      std::move(done), [this, shared] { return store_->search(*shared); },
      [this, shared](Callback<SearchResults> fetched) {
        api_->search(search_payload(*shared, session_->user.id),
                     storing<std::vector<api::Api::Found>>(
                         [this, shared, fetched](Result<std::vector<api::Api::Found>> r) {
                           if (!r) return fetched({.error = r.error});
                           try {
                             fetched({.value = store_->search(*shared)});
                           } catch (const ChatError& e) {
                             fetched({.error = e});
                           }
                         },
                         [this, asked_at = news_count_](const std::vector<api::Api::Found>& found,
                                                        Batch& batch) {
                           for (const auto& f : found) {
                             if (!still_there(f.channel.cid, asked_at)) continue;
                             batch.push_back(UpsertChannels{{f.channel}, true});
                             batch.push_back(RecordPage{
                                 .cid = f.channel.cid,
                                 .page = MessagePagination{.limit = 1, .id_around = f.message.id},
                                 .messages = {{f.message.id, *f.message.created_at}},
                                 .parent_id = shown_in_channel(f.message) ? std::nullopt
                                                                          : f.message.parent_id});
                             batch.push_back(UpsertMessages{f.channel.cid, {f.message}});
                           }
                         }));
      });
}

}  // namespace chatkeep
