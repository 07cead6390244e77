#pragma once

// Sending a file as multipart/form-data (RFC 7578), streamed from disk over a connection of its
// own: memory stays at one chunk whatever the file's size, and a large upload does not hold up
// the pool's short requests. The deadline is for progress, not for the whole: each step
// (connecting, each write, the answer) has `timeout`, so a slow but moving upload goes on. The
// header goes first with Expect: 100-continue (RFC 9110), so a refusal comes before the body.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include "net/endpoint.hpp"
#include "net/http_client.hpp"

namespace chatkeep::net {

struct FileUpload {
  std::string target;  // path and query, below the endpoint's base path
  Headers headers;
  std::filesystem::path file;
  std::uint64_t size = 0;  // of the file, as it must be read
  std::string filename;    // the part's filename
  std::string content_type;
};

// Bytes of the body sent so far, and the body's size; called on the executor.
using UploadProgress = std::function<void(std::uint64_t sent, std::uint64_t total)>;

// Ends the upload at once (its callback gets operation_aborted). Safe from any thread, any time.
using CancelUpload = std::function<void()>;

// POSTs `upload` as one part named "file". `done` gets the answer as HttpClient::send gives it,
// on `executor`.
CancelUpload upload_file(boost::asio::any_io_executor executor, Endpoint endpoint,
                         std::shared_ptr<boost::asio::ssl::context> tls,
                         std::chrono::milliseconds timeout, FileUpload upload,
                         UploadProgress progress, std::function<void(HttpResult)> done);

}  // namespace chatkeep::net
