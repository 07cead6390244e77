#include <set>
#include <string_view>

#include "model/tables.hpp"

namespace chatkeep::model {
namespace {

// Responses carry mentioned users as objects, requests as bare ids; both decode to users.
void decode_mentioned_users(Message& message, const json::value& v, const Path& path) {
  const json::array* array = v.if_array();
  if (!array) fail(path, "expected array");
  auto& users = message.mentioned_users.emplace();
  users.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const json::value& element = (*array)[i];
    if (const json::string* id = element.if_string()) {
      users.push_back(User{.id = std::string(id->data(), id->size())});
    } else {
      read(element, users.emplace_back(), Path(path, i));
    }
  }
}

}  // namespace

const FieldTable<Attachment>& field_table(Tag<Attachment>) {
  using A = Attachment;
  static const FieldTable<A> table(
      "attachment",
      {CHATKEEP_FIELD(A, type), CHATKEEP_FIELD(A, asset_url), CHATKEEP_FIELD(A, image_url),
       CHATKEEP_FIELD(A, thumb_url), CHATKEEP_FIELD(A, title), CHATKEEP_FIELD(A, title_link),
       CHATKEEP_FIELD(A, text), CHATKEEP_FIELD(A, fallback), CHATKEEP_FIELD(A, mime_type),
       CHATKEEP_FIELD(A, file_size), CHATKEEP_FIELD(A, og_scrape_url)});
  return table;
}

const FieldTable<Reaction>& field_table(Tag<Reaction>) {
  using R = Reaction;
  static const FieldTable<R> table(
      "reaction", {CHATKEEP_REQUIRED(R, type), CHATKEEP_FIELD(R, message_id),
                   CHATKEEP_FIELD(R, user_id), CHATKEEP_FIELD(R, user), CHATKEEP_FIELD(R, score),
                   CHATKEEP_FIELD(R, created_at), CHATKEEP_FIELD(R, updated_at)});
  return table;
}

const FieldTable<ReactionGroup>& field_table(Tag<ReactionGroup>) {
  using G = ReactionGroup;
  static const FieldTable<G> table(
      "reaction_group",
      {CHATKEEP_FIELD(G, count), CHATKEEP_FIELD(G, sum_scores),
       CHATKEEP_FIELD(G, first_reaction_at), CHATKEEP_FIELD(G, last_reaction_at)});
  return table;
}

const FieldTable<Message>& field_table(Tag<Message>) {
  using M = Message;
  static const FieldTable<M> table("message", {CHATKEEP_REQUIRED(M, id),
                                               CHATKEEP_FIELD(M, cid),
                                               CHATKEEP_FIELD(M, text),
                                               CHATKEEP_FIELD(M, html),
                                               CHATKEEP_FIELD(M, type),
                                               CHATKEEP_FIELD(M, user),
                                               CHATKEEP_FIELD(M, attachments),
                                               CHATKEEP_FIELD(M, latest_reactions),
                                               CHATKEEP_FIELD(M, own_reactions),
                                               CHATKEEP_FIELD(M, reaction_counts),
                                               CHATKEEP_FIELD(M, reaction_scores),
                                               CHATKEEP_FIELD(M, reaction_groups),
                                               CHATKEEP_FIELD(M, reply_count),
                                               [] {  // decoded its own way, written as any field
                                                 auto f = CHATKEEP_FIELD(M, mentioned_users);
                                                 f.decode = &decode_mentioned_users;
                                                 return f;
                                               }(),
                                               CHATKEEP_FIELD(M, parent_id),
                                               CHATKEEP_FIELD(M, show_in_channel),
                                               CHATKEEP_FIELD(M, quoted_message_id),
                                               CHATKEEP_FIELD(M, quoted_message),
                                               CHATKEEP_FIELD(M, silent),
                                               CHATKEEP_FIELD(M, shadowed),
                                               CHATKEEP_FIELD(M, pinned),
                                               CHATKEEP_FIELD(M, pinned_at),
                                               CHATKEEP_FIELD(M, pinned_by),
                                               CHATKEEP_FIELD(M, pin_expires),
                                               CHATKEEP_FIELD(M, created_at),
                                               CHATKEEP_FIELD(M, updated_at),
                                               CHATKEEP_FIELD(M, deleted_at),
                                               CHATKEEP_FIELD(M, message_text_updated_at),
                                               CHATKEEP_FIELD(M, i18n)});
  return table;
}

}  // namespace chatkeep::model

namespace chatkeep {

bool sender_may_set(std::string_view name) {
  static const std::set<std::string_view> kModelled = {"id",
                                                       "text",
                                                       "attachments",
                                                       "mentioned_users",
                                                       "parent_id",
                                                       "show_in_channel",
                                                       "quoted_message_id",
                                                       "silent"};
  // Unmodelled fields a server's message carries that only the server sets; Stream refuses
  // some of them in a request, and its own clients strip them.
  static const std::set<std::string_view> kServerOwned = {
      "user_id", "member",  "deleted_reply_count", "thread_participants",
      "command", "channel", "channel_id"};
  if (model::field_table(model::Tag<Message>{}).names(name)) return kModelled.contains(name);
  return !kServerOwned.contains(name);
}

Message sender_settable(const Message& message) {
  Message out;
  out.id = message.id;
  out.text = message.text;
  out.attachments = message.attachments;
  out.mentioned_users = message.mentioned_users;
  out.parent_id = message.parent_id;
  out.show_in_channel = message.show_in_channel;
  out.quoted_message_id = message.quoted_message_id;
  out.silent = message.silent;
  for (const auto& [key, value] : message.extra) {
    if (sender_may_set(key) && !model::field_table(model::Tag<Message>{}).names(key)) {
      out.extra[key] = value;
    }
  }
  return out;
}

std::string_view to_string(LocalState state) {
  switch (state) {
    case LocalState::queued:
      return "queued";
    case LocalState::sending:
      return "sending";
    case LocalState::failed:
      return "failed";
  }
  return "unknown";
}

std::string_view to_string(UploadState state) {
  switch (state) {
    case UploadState::queued:
      return "queued";
    case UploadState::uploading:
      return "uploading";
    case UploadState::done:
      return "done";
    case UploadState::failed:
      return "failed";
  }
  return "unknown";
}

}  // namespace chatkeep
