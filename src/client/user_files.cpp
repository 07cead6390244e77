// What lives beside the store for the connected user (storage.hpp): preferences and the file
// cache, opened with the session and emptied by a flush; fetching files into the cache; and the
// user's storage statistics.

#include <future>

#include <boost/asio/post.hpp>
#include <boost/url/parse.hpp>

#include "chatkeep/sqlite_persistence.hpp"
#include "client/client_core.hpp"

namespace chatkeep {

std::filesystem::path ClientCore::data_directory() const {
  return options_.data_directory.empty() ? SqlitePersistenceClient::default_directory()
                                         : options_.data_directory;
}

void ClientCore::open_user_files(Session& session) {
  const UserStorage files = user_storage(data_directory(), session.user.id);
  session.preferences = std::make_shared<Preferences>(files.preferences);
  session.files = std::make_shared<FileCache>(files.file_cache, options_.file_cache_budget);
}

void ClientCore::flush_user_files() {
  session_->preferences->clear();
  // On the files thread, after any put already handed to it: a file fetched before the logout
  // must not land in the cache after it was emptied. (Later fetches see the session gone.)
  std::packaged_task<void()> clear([files = session_->files] { files->clear(); });
  auto cleared = clear.get_future();
  boost::asio::post(files_thread_, [&clear] { clear(); });
  cleared.get();
}

std::shared_ptr<Preferences> ClientCore::preferences() {
  require_session();
  return session_->preferences;
}

std::shared_ptr<FileCache> ClientCore::file_cache() {
  require_session();
  return session_->files;
}

UserStorage ClientCore::storage_paths() {
  require_session();
  return user_storage(data_directory(), session_->user.id);
}

StorageStats ClientCore::storage_stats() {
  require_session();
  return chatkeep::storage_stats(data_directory(), session_->user.id);
}

// The cache's reads and writes hash and sync whole files: they run on files_thread_, never on
// the network thread, whose events they would hold up.
void ClientCore::cache_file(const std::string& url, Callback<std::filesystem::path> done) {
  auto fail = [&](ChatError error) { deliver([done, error] { done({.error = error}); }); };
  if (!session_) return fail(ChatError(ErrorCode::invalid_state, "no user is connected"));
  boost::asio::post(
      files_thread_, [this, files = session_->files, url, done, serial = session_serial_] {
        try {
          if (auto path = files->get(url)) {
            return deliver([done, path = std::move(*path)] { done({.value = path}); });
          }
        } catch (const ChatError& e) {
          return deliver([done, e] { done({.error = e}); });
        }
        boost::asio::post(
            io_, [this, files, url, done, serial] { fetch_file(files, url, serial, done); });
      });
}

void ClientCore::fetch_file(std::shared_ptr<FileCache> files, const std::string& url,
                            std::uint64_t serial, Callback<std::filesystem::path> done) {
  auto fail = [&](ChatError error) { deliver([done, error] { done({.error = error}); }); };
  if (serial != session_serial_ || !session_) {
    return fail(ChatError(ErrorCode::cancelled, "the user disconnected before " + url + " came"));
  }
  const auto parsed = boost::urls::parse_absolute_uri(url);
  net::Endpoint endpoint;
  try {
    if (!parsed) throw ChatError(ErrorCode::input, "not a URL: " + url);
    endpoint = net::Endpoint::parse(std::string(parsed->scheme()) + "://" +
                                    std::string(parsed->encoded_authority()));
  } catch (const ChatError& e) {
    return fail(e);
  }
  const std::string origin =
      (endpoint.tls ? "https://" : "http://") + endpoint.host + ":" + std::to_string(endpoint.port);
  auto& http = file_http_[origin];
  if (!http) {
    if (endpoint.tls && !file_tls_) file_tls_ = net::make_tls_context(options_.extra_ca_file);
    http = std::make_unique<net::HttpClient>(
        io_.get_executor(), endpoint, endpoint.tls ? file_tls_ : nullptr, options_.request_timeout);
  }
  std::string target(parsed->encoded_target());
  if (target.empty()) target = "/";
  http->send(boost::beast::http::verb::get, std::move(target), {}, "",
             [this, files, url, done, serial](net::HttpResult r) {
               const bool gone = serial != session_serial_ || !session_;
               if (r.error || r.status != 200 || gone) {
                 Result<std::filesystem::path> result;
                 if (gone) {
                   result.error = ChatError(ErrorCode::cancelled,
                                            "the user disconnected before " + url + " came");
                 } else if (r.error) {
                   result.error = ChatError(ErrorCode::network,
                                            "fetching " + url + ": " + r.error.message(), 0, true);
                 } else {
                   result.error = ChatError(
                       ErrorCode::network, "fetching " + url + ": HTTP " + std::to_string(r.status),
                       static_cast<int>(r.status), r.status >= 500);
                 }
                 return deliver([done, result = std::move(result)] { done(result); });
               }
               boost::asio::post(files_thread_, [this, files, url, done, body = std::move(r.body)] {
                 Result<std::filesystem::path> result;
                 try {
                   result.value = files->put(url, body);
                 } catch (const ChatError& e) {
                   result.error = e;
                 }
                 deliver([done, result = std::move(result)] { done(result); });
               });
             });
}

}  // namespace chatkeep
