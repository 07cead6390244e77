#include "inspect.hpp"

#include <iostream>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/storage.hpp"
#include "commands.hpp"

namespace chatkeep::cli {

namespace json = boost::json;

namespace {

json::value optional_string(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

// A message's attachments as inspect shows them: name, type, URL, and where an upload stands.
json::array attachments_of(const Message& m) {
  json::array out;
  for (const auto& a : m.attachments.value_or(std::vector<Attachment>{})) {
    json::object o{{"title", optional_string(a.title)},
                   {"type", optional_string(a.type)},
                   {"url", optional_string(a.image_url ? a.image_url : a.asset_url)}};
    if (a.upload) {
      o["upload_state"] = to_string(a.upload->state);
      o["upload_error"] = optional_string(a.upload->error);
      o["local_file"] = a.upload->local_file.string();
      o["bytes_total"] = a.upload->bytes_total;
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

json::object inspect(const InspectRequest& request) {
  SqlitePersistenceClient store(
      {.directory = request.data_directory, .log = {.level = LogLevel::off}, .read_only = true});
  store.connect(request.user);
  const auto path = SqlitePersistenceClient::database_path(request.data_directory, request.user);
  const StorageStats stats = storage_stats(request.data_directory, request.user);
  json::object out;
  out["database"] = {
      {"path", path.string()}, {"bytes", stats.database_bytes}, {"wal_bytes", stats.wal_bytes}};
  out["storage"] = {{"database_bytes", stats.database_bytes},
                    {"wal_bytes", stats.wal_bytes},
                    {"preferences_bytes", stats.preferences_bytes},
                    {"file_cache_bytes", stats.file_cache_bytes},
                    {"file_cache_entries", stats.file_cache_entries},
                    {"total_bytes", stats.total_bytes()},
                    {"channels", stats.channels},
                    {"messages", stats.messages},
                    {"outbox_entries", stats.outbox_entries},
                    {"search_index_bytes", stats.search_index_bytes},
                    {"search_index_complete", stats.search_index_complete}};
  out["user"] = request.user;
  const auto checkpoint = store.last_sync_at();
  out["checkpoint"] = checkpoint ? json::value(checkpoint->to_string()) : json::value(nullptr);

  json::array channels;
  for (const auto& cid : store.channel_cids(1000)) {
    const auto channel = store.channel(cid);
    std::optional<std::int64_t> unread;
    for (const auto& read : store.reads(cid)) {
      if (read.user.id == request.user) unread = read.unread_messages;
    }
    channels.push_back(
        json::object{{"cid", cid},
                     {"name", channel ? optional_string(channel->name) : json::value(nullptr)},
                     {"last_message_at", channel && channel->last_message_at
                                             ? json::value(channel->last_message_at->to_string())
                                             : json::value(nullptr)},
                     {"unread", unread ? json::value(*unread) : json::value(nullptr)}});
  }
  out["channels"] = std::move(channels);

  if (request.channel) {
    json::array messages;
    const auto page = store.messages(*request.channel,
                                     {.limit = static_cast<std::int64_t>(request.message_limit)});
    for (const auto& m : page) {
      json::object reactions;
      for (const auto& [type, count] :
           m.reaction_counts.value_or(std::map<std::string, std::int64_t>{}))
        reactions[type] = count;
      messages.push_back(json::object{
          {"id", m.id},
          {"user", m.user ? json::value(m.user->id) : json::value(nullptr)},
          {"text", optional_string(m.text)},
          {"type", optional_string(m.type)},
          {"created_at",
           m.created_at ? json::value(m.created_at->to_string()) : json::value(nullptr)},
          {"deleted", m.deleted_at.has_value()},
          {"reactions", std::move(reactions)},
          {"local_state",
           m.local_state ? json::value(to_string(*m.local_state)) : json::value(nullptr)},
          {"local_error", optional_string(m.local_error)},
          {"attachments", attachments_of(m)}});
    }
    out["channel"] = *request.channel;
    out["messages"] = std::move(messages);
  }

  json::array outbox;
  for (const auto& e : store.outbox(0, 1'000'000)) {
    outbox.push_back(json::object{{"id", e.id},
                                  {"kind", to_string(e.kind)},
                                  {"cid", e.cid},
                                  {"message_id", e.message_id},
                                  {"state", to_string(e.state)},
                                  {"attempts", e.attempts},
                                  {"error", optional_string(e.error)}});
  }
  out["outbox"] = std::move(outbox);
  store.disconnect(false);
  return out;
}

void print_inspection(const json::object& inspection, std::ostream& out) {
  const auto& db = inspection.at("database").as_object();
  out << fmt::format(
      "database  {} ({} bytes, WAL {} bytes)\n", json::value_to<std::string>(db.at("path")),
      db.at("bytes").to_number<std::uint64_t>(), db.at("wal_bytes").to_number<std::uint64_t>());
  const auto& storage = inspection.at("storage").as_object();
  const auto number = [&](const char* key) { return storage.at(key).to_number<std::int64_t>(); };
  out << fmt::format(
      "storage   {} bytes: database {}, WAL {}, preferences {}, file cache {} ({} files); "
      "{} channels, {} messages, {} outbox entries; search index {} bytes{}\n",
      number("total_bytes"), number("database_bytes"), number("wal_bytes"),
      number("preferences_bytes"), number("file_cache_bytes"), number("file_cache_entries"),
      number("channels"), number("messages"), number("outbox_entries"),
      number("search_index_bytes"),
      storage.at("search_index_complete").as_bool() ? "" : " (still being built)");
  const auto& checkpoint = inspection.at("checkpoint");
  out << fmt::format("checkpoint {}\n",
                     checkpoint.is_string() ? std::string(checkpoint.as_string()) : "none");
  const auto& channels = inspection.at("channels").as_array();
  out << fmt::format("channels  {}\n", channels.size());
  for (const auto& c : channels) {
    const auto& o = c.as_object();
    out << fmt::format("  {:<28} {:<20} unread {}\n", json::value_to<std::string>(o.at("cid")),
                       o.at("name").is_string() ? std::string(o.at("name").as_string()) : "",
                       o.at("unread").is_int64() ? std::to_string(o.at("unread").as_int64()) : "-");
  }
  if (const auto* messages = inspection.if_contains("messages")) {
    out << fmt::format("messages of {}\n", json::value_to<std::string>(inspection.at("channel")));
    for (const auto& m : messages->as_array()) {
      const auto& o = m.as_object();
      std::string reactions;
      for (const auto& [type, count] : o.at("reactions").as_object())
        reactions += fmt::format(" {}×{}", std::string(type), count.as_int64());
      std::string mark;
      if (o.at("local_state").is_string())
        mark = " [" + std::string(o.at("local_state").as_string()) + "]";
      for (const auto& a : o.at("attachments").as_array()) {
        const auto& attachment = a.as_object();
        mark += " [file " + (attachment.at("title").is_string()
                                 ? std::string(attachment.at("title").as_string())
                                 : std::string("?"));
        if (const auto* state = attachment.if_contains("upload_state")) {
          mark += ": upload " + std::string(state->as_string());
          if (attachment.at("upload_error").is_string())
            mark += " (" + std::string(attachment.at("upload_error").as_string()) + ")";
        }
        mark += "]";
      }
      out << fmt::format("  {:<8} {}{}{}{}\n",
                         o.at("user").is_string() ? std::string(o.at("user").as_string()) : "?",
                         o.at("deleted").as_bool()  ? "(deleted)"
                         : o.at("text").is_string() ? std::string(o.at("text").as_string())
                                                    : "",
                         reactions, mark,
                         o.at("local_error").is_string()
                             ? " " + std::string(o.at("local_error").as_string())
                             : "");
    }
  }
  const auto& outbox = inspection.at("outbox").as_array();
  out << fmt::format("outbox    {} waiting\n", outbox.size());
  for (const auto& e : outbox) {
    const auto& o = e.as_object();
    out << fmt::format("  #{:<4} {:<16} {:<8} {} {}\n", o.at("id").as_int64(),
                       json::value_to<std::string>(o.at("kind")),
                       json::value_to<std::string>(o.at("state")),
                       json::value_to<std::string>(o.at("message_id")),
                       o.at("error").is_string() ? std::string(o.at("error").as_string()) : "");
  }
}

void add_inspect(CLI::App& app, int& status) {
  struct Flags {
    InspectRequest request;
    bool as_json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand("inspect", "show what a user's database holds (read-only)");
  sub->add_option("--data-dir", flags->request.data_directory, "the directory of the databases")
      ->required();
  sub->add_option("--user", flags->request.user, "the user id")->required();
  sub->add_option("--channel", flags->request.channel, "a channel's cid: its messages too");
  sub->add_option("--limit", flags->request.message_limit, "messages to show")
      ->capture_default_str();
  sub->add_flag("--json", flags->as_json, "JSON, for scripts");
  sub->callback([flags, &status] {
    const json::object inspection = inspect(flags->request);
    if (flags->as_json) {
      std::cout << json::serialize(inspection) << "\n";
    } else {
      print_inspection(inspection, std::cout);
    }
    status = 0;
  });
}

}  // namespace chatkeep::cli
