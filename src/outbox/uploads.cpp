#include "outbox/uploads.hpp"

#include <boost/url/parse.hpp>

#include "chatkeep/error.hpp"

namespace chatkeep::outbox {

namespace json = boost::json;

namespace {

json::array* attachments_of(json::object& message) {
  json::value* list = message.if_contains("attachments");
  return list && list->is_array() ? &list->as_array() : nullptr;
}

const json::array* attachments_of(const json::object& message) {
  const json::value* list = message.if_contains("attachments");
  return list && list->is_array() ? &list->as_array() : nullptr;
}

std::string text_at(const json::object& object, std::string_view name) {
  const json::value* v = object.if_contains(name);
  if (!v || !v->is_string()) {
    throw ChatError(ErrorCode::input, "an upload entry without " + std::string(name));
  }
  return std::string(v->as_string());
}

}  // namespace

json::object to_payload(const Upload& upload) {
  return {{"key", upload.key},   {"sha256", upload.sha256},       {"size", upload.size},
          {"name", upload.name}, {"mime_type", upload.mime_type}, {"image", upload.image},
          {"path", upload.path}};
}

Upload upload_of(const OutboxEntry& entry) {
  if (entry.kind != OutboxKind::upload_attachment) {
    throw ChatError(ErrorCode::input, "not an upload entry");
  }
  const json::object& p = entry.payload;
  const json::value* size = p.if_contains("size");
  const json::value* image = p.if_contains("image");
  if (!size || !size->is_int64() || !image || !image->is_bool()) {
    throw ChatError(ErrorCode::input, "an upload entry without size or image");
  }
  return Upload{.key = text_at(p, "key"),
                .sha256 = text_at(p, "sha256"),
                .size = size->as_int64(),
                .mime_type = text_at(p, "mime_type"),
                .name = text_at(p, "name"),
                .image = image->as_bool(),
                .path = text_at(p, "path")};
}

std::optional<std::string> upload_key(const json::object& attachment) {
  const json::value* key = attachment.if_contains(kUploadKey);
  if (!key || !key->is_string()) return std::nullopt;
  return std::string(key->as_string());
}

std::vector<std::string> upload_keys(const json::object& message) {
  std::vector<std::string> keys;
  if (const json::array* list = attachments_of(message)) {
    for (const auto& a : *list) {
      if (auto key = a.is_object() ? upload_key(a.as_object()) : std::nullopt) keys.push_back(*key);
    }
  }
  return keys;
}

std::optional<Uploaded> uploaded(const json::object& message, const std::string& key) {
  const json::array* list = attachments_of(message);
  if (!list) return std::nullopt;
  for (const auto& a : *list) {
    if (!a.is_object() || upload_key(a.as_object()) != key) continue;
    for (const char* field : {"image_url", "asset_url"}) {
      const json::value* url = a.as_object().if_contains(field);
      if (url && url->is_string()) {
        return Uploaded{.url = std::string(url->as_string()),
                        .image = std::string_view(field) == "image_url"};
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> answered_url(const json::object& answer) {
  const json::value* file = answer.if_contains("file");
  if (!file || !file->is_string() || file->as_string().size() > kMaxUrlLength) return std::nullopt;
  std::string url(file->as_string());
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https")) return std::nullopt;
  return url;
}

bool fill_url(json::object& message, const std::string& key, const std::string& url, bool image) {
  json::array* list = attachments_of(message);
  if (!list) return false;
  for (auto& a : *list) {
    if (!a.is_object() || upload_key(a.as_object()) != key) continue;
    json::object& attachment = a.as_object();
    if (image) {
      attachment["image_url"] = url;
      attachment["thumb_url"] = url;
    } else {
      attachment["asset_url"] = url;
    }
    return true;
  }
  return false;
}

json::object sendable(const json::object& payload) {
  json::object out = payload;
  json::value* message = out.if_contains("message");
  if (!message || !message->is_object()) return out;
  if (json::array* list = attachments_of(message->as_object())) {
    for (auto& a : *list) {
      if (a.is_object()) a.as_object().erase(kUploadKey);
    }
  }
  return out;
}

void attach_uploads(Message& message, const std::vector<OutboxEntry>& entries) {
  if (!message.attachments) return;
  for (auto& attachment : *message.attachments) {
    const auto key = upload_key(attachment.extra);
    if (!key) continue;
    AttachmentUpload upload{.key = *key};
    const OutboxEntry* entry = nullptr;
    for (const auto& e : entries) {
      if (e.kind != OutboxKind::upload_attachment) continue;
      const json::value* k = e.payload.if_contains("key");
      if (k && k->is_string() && k->as_string() == *key) entry = &e;
    }
    if (entry) {
      try {
        const Upload u = upload_of(*entry);
        upload.local_file = u.path;
        upload.bytes_total = u.size;
      } catch (const ChatError&) {
        // A malformed entry still says where the upload stands.
      }
      upload.state = entry->state == OutboxState::failed    ? UploadState::failed
                     : entry->state == OutboxState::sending ? UploadState::uploading
                                                            : UploadState::queued;
      upload.error = entry->error;
    } else if (attachment.image_url || attachment.asset_url) {
      upload.state = UploadState::done;
    } else {
      upload.state = UploadState::failed;
      upload.error = "the file is no longer in the outbox";
    }
    attachment.upload = std::move(upload);
  }
}

}  // namespace chatkeep::outbox
