#include "net/http_upload.hpp"

#include <optional>
#include <random>

#include <fmt/format.h>
#include <boost/beast/http.hpp>

#include "net/spliced_body.hpp"
#include "net/transport.hpp"

namespace chatkeep::net {

namespace http = beast::http;

namespace {

// A file name inside a quoted header parameter, as browsers write it (WHATWG's form encoding):
// quotes and line breaks percent-encoded.
std::string quoted_filename(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '"') {
      out += "%22";
    } else if (c == '\r') {
      out += "%0D";
    } else if (c == '\n') {
      out += "%0A";
    } else {
      out += c;
    }
  }
  return out;
}

std::string new_boundary() {
  std::random_device random;
  return fmt::format("chatkeep-{:08x}{:08x}{:08x}", random(), random(), random());
}

template <class Stream>
class Upload : public std::enable_shared_from_this<Upload<Stream>> {
 public:
  Upload(std::shared_ptr<Stream> stream, Endpoint endpoint, std::chrono::milliseconds timeout,
         http::request<SplicedBody> request, UploadProgress progress,
         std::function<void(HttpResult)> done)
      : stream_(std::move(stream)),
        resolver_(stream_->get_executor()),
        endpoint_(std::move(endpoint)),
        timeout_(timeout),
        request_(std::move(request)),
        total_(SplicedBody::size(request_.body())),
        progress_(std::move(progress)),
        done_(std::move(done)) {}

  void start() {
    auto self = this->shared_from_this();
    open_stream(stream_, resolver_, endpoint_, timeout_, [self](beast::error_code ec) {
      if (ec) return self->finish(HttpResult{.error = ec});
      self->serializer_.emplace(self->request_);
      self->write_header();
    });
  }

  void cancel() {
    if (!done_) return;
    tcp_layer(*stream_).close();
    finish(HttpResult{.error = asio::error::operation_aborted});
  }

 private:
  // The header alone, with Expect: 100-continue: a server that will refuse the file (too large,
  // not a member) says so before the body goes, and its answer is read rather than lost to a
  // connection it closed while the body was still being written.
  void write_header() {
    tcp_layer(*stream_).expires_after(timeout_);
    http::async_write_header(
        *stream_, *serializer_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->finish(HttpResult{.error = ec});
          self->response_.emplace();
          self->response_->body_limit(1 << 20);
          tcp_layer(*self->stream_).expires_after(self->timeout_);
          http::async_read_header(
              *self->stream_, self->buffer_, *self->response_,
              [self](beast::error_code ec2, std::size_t) {
                if (ec2) return self->finish(HttpResult{.error = ec2});
                if (self->response_->get().result() == http::status::continue_) {
                  return self->write_some();
                }
                self->read();  // the final answer, before the body: the rest of it
              });
        });
  }

  void write_some() {
    tcp_layer(*stream_).expires_after(timeout_);
    http::async_write_some(*stream_, *serializer_,
                           [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                             if (ec) return self->finish(HttpResult{.error = ec});
                             self->written_ += n;
                             if (self->serializer_->is_done()) {
                               if (self->progress_ && self->done_) {
                                 self->progress_(self->total_, self->total_);
                               }
                               self->response_.emplace();
                               self->response_->body_limit(1 << 20);
                               return self->read();
                             }
                             // Headers are counted as body: a few hundred bytes early.
                             if (self->progress_ && self->done_) {
                               self->progress_(std::min(self->written_, self->total_),
                                               self->total_);
                             }
                             self->write_some();
                           });
  }

  void read() {
    tcp_layer(*stream_).expires_after(timeout_);
    http::async_read(
        *stream_, buffer_, *response_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->finish(HttpResult{.error = ec});
          auto response = self->response_->release();
          self->finish(HttpResult{.status = response.result_int(),
                                  .body = std::move(response.body()),
                                  .date = std::string(response[http::field::date])});
          beast::error_code ignored;
          tcp_layer(*self->stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
          tcp_layer(*self->stream_).close();
        });
  }

  // Answers once: a cancel and a failing handler may both try.
  void finish(HttpResult result) {
    if (auto done = std::exchange(done_, nullptr)) done(std::move(result));
  }

  std::shared_ptr<Stream> stream_;
  tcp::resolver resolver_;
  Endpoint endpoint_;
  std::chrono::milliseconds timeout_;
  http::request<SplicedBody> request_;
  std::optional<http::request_serializer<SplicedBody>> serializer_;
  std::uint64_t total_ = 0;
  std::uint64_t written_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> response_;  // interim, then final
  UploadProgress progress_;
  std::function<void(HttpResult)> done_;
};

template <class Stream>
CancelUpload run(std::shared_ptr<Stream> stream, asio::any_io_executor executor, Endpoint endpoint,
                 std::chrono::milliseconds timeout, http::request<SplicedBody> request,
                 UploadProgress progress, std::function<void(HttpResult)> done) {
  auto upload =
      std::make_shared<Upload<Stream>>(std::move(stream), std::move(endpoint), timeout,
                                       std::move(request), std::move(progress), std::move(done));
  asio::dispatch(executor, [upload] { upload->start(); });
  return [executor, weak = std::weak_ptr(upload)] {
    asio::dispatch(executor, [weak] {
      if (auto running = weak.lock()) running->cancel();
    });
  };
}

}  // namespace

CancelUpload upload_file(asio::any_io_executor executor, Endpoint endpoint,
                         std::shared_ptr<ssl::context> tls, std::chrono::milliseconds timeout,
                         FileUpload upload, UploadProgress progress,
                         std::function<void(HttpResult)> done) {
  const std::string boundary = new_boundary();
  http::request<SplicedBody> request{http::verb::post, endpoint.base_path + upload.target, 11};
  request.set(http::field::host, endpoint.host_header());
  request.keep_alive(false);
  for (auto& [name, value] : upload.headers)
    request.set(name, value);
  request.set(http::field::content_type, "multipart/form-data; boundary=" + boundary);
  request.set(http::field::expect, "100-continue");
  request.body() = {
      SplicedBody::Piece{.bytes = fmt::format("--{}\r\nContent-Disposition: form-data; "
                                              "name=\"file\"; filename=\"{}\"\r\n"
                                              "Content-Type: {}\r\n\r\n",
                                              boundary, quoted_filename(upload.filename),
                                              upload.content_type)},
      SplicedBody::Piece{.file = upload.file, .offset = 0, .length = upload.size},
      SplicedBody::Piece{.bytes = fmt::format("\r\n--{}--\r\n", boundary)}};
  request.prepare_payload();
  if (endpoint.tls) {
    return run(std::make_shared<TlsStream>(executor, *tls), executor, std::move(endpoint), timeout,
               std::move(request), std::move(progress), std::move(done));
  }
  return run(std::make_shared<PlainStream>(executor), executor, std::move(endpoint), timeout,
             std::move(request), std::move(progress), std::move(done));
}

}  // namespace chatkeep::net
