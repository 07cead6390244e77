#pragma once

// Files in the outbox (DESIGN.md, "The outbox"): the rules that tie a message's local
// attachments to its upload entries. A local attachment carries its key in
// extra[kUploadKey], in the stored echo and in the send's payload alike; its upload entry carries
// the same key. Once the file is uploaded, fill_url() puts the server's URL into the attachment;
// sendable() drops the keys from what goes to the server. Pure functions, safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/outbox.hpp"

namespace chatkeep::outbox {

inline constexpr std::string_view kUploadKey = "chatkeep_upload";

// What an upload_attachment entry's payload holds.
struct Upload {
  std::string key;     // the attachment's key, and the file's in the file cache
  std::string sha256;  // of the bytes
  std::int64_t size = 0;
  std::string mime_type;
  std::string name;    // sent as the file name
  bool image = false;  // to the image route, its URL in image_url; else the file route, asset_url
  std::string path;    // the cached file, for the app to show while it waits
};
boost::json::object to_payload(const Upload& upload);
// ChatError (input) when the entry is no upload or its payload lacks a field.
Upload upload_of(const OutboxEntry& entry);

// The key of a local attachment (an attachment JSON object), if it is one.
std::optional<std::string> upload_key(const boost::json::object& attachment);
// The keys of a message object's local attachments, in order.
std::vector<std::string> upload_keys(const boost::json::object& message);
// Where the local attachment `key` of a message object was uploaded to, if it was yet.
struct Uploaded {
  std::string url;
  bool image = false;  // its URL is the image_url
};
std::optional<Uploaded> uploaded(const boost::json::object& message, const std::string& key);

// The URL in an upload's answer ({"file": url}), if it is an absolute http(s) URL of at most
// kMaxUrlLength characters: a server's answer is no reason to point the app at a local file or a
// script, nor to store a megabyte of URL.
inline constexpr std::size_t kMaxUrlLength = 4096;
std::optional<std::string> answered_url(const boost::json::object& answer);

// Puts `url` into the attachment `key` of a message object (image_url and thumb_url for an
// image, else asset_url); false when the message has no such attachment.
bool fill_url(boost::json::object& message, const std::string& key, const std::string& url,
              bool image);

// A send's or an edit's payload as the server gets it: the upload keys dropped.
boost::json::object sendable(const boost::json::object& payload);

// Where each of `message`'s local attachments stands, from its upload entries among `entries`
// (the outbox's entries about the message): queued, uploading while in flight, failed with the
// entry's error; done once its entry is gone and it has a URL. What a store fills in when it
// reads a message (Attachment::upload).
void attach_uploads(Message& message, const std::vector<OutboxEntry>& entries);

}  // namespace chatkeep::outbox
