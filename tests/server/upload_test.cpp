// Uploads on chatkeep-server over real sockets: who may upload, what is stored and served (with
// ranges), limits, bad bodies, deletion, and uploads cut off by fault injection.

#include <filesystem>

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "chatkeep/testing/temp_dir.hpp"
#include "crypto/sha256.hpp"
#include "support/media.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using boost::beast::http::verb;
using testing::HttpClient;
using testing::HttpResponse;

class UploadTest : public testing::ServerTest {
 public:
  UploadTest() : ServerTest(options()) {}

  static std::filesystem::path files() {
    static testing::TempDir dir;
    return dir.path() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  static server::ServerOptions options() {
    std::filesystem::remove_all(files());
    server::ServerOptions o;
    o.files_directory = files().string();
    o.max_upload_bytes = 3'000'000;  // over max_body_bytes, which must not apply
    return o;
  }

  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
              200u);
  }

  HttpResponse upload(const std::string& user, const std::string& route, const std::string& body,
                      const std::string& content_type = testing::multipart_content_type()) {
    return call(user, verb::post, "/channels/messaging/general/" + route, body,
                {{"Content-Type", content_type}});
  }

  // The path of a URL this server gave.
  std::string path_of(const std::string& url) {
    const std::string origin = "http://127.0.0.1:" + std::to_string(port_);
    EXPECT_TRUE(url.starts_with(origin)) << url;
    return url.substr(origin.size());
  }

  // Files stored (not counting any still arriving).
  std::size_t stored_files() {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(files()))
      n += entry.path().filename().string().starts_with(".") ? 0u : 1u;
    return n;
  }
  std::size_t all_files() {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(files()),
                                                  std::filesystem::directory_iterator()));
  }
};

TEST_F(UploadTest, AnImageIsStoredByItsHashAndServedWithRanges) {
  const std::string png = testing::tiny_png();
  auto r = upload("alice", "image", testing::multipart_file("cat.png", "image/png", png));
  ASSERT_EQ(r.status, 200u) << r.text;
  const std::string url(r.json.at("file").as_string());
  EXPECT_TRUE(url.ends_with("/uploads/" + crypto::sha256_hex(png) + "/cat.png")) << url;
  EXPECT_TRUE(r.json.at("duration").is_string());
  EXPECT_EQ(stored_files(), 1u);

  HttpClient download(port_);  // no token: the URL is enough
  auto got = download.send(verb::get, path_of(url));
  EXPECT_EQ(got.status, 200u);
  EXPECT_EQ(got.text, png);
  got = download.send(verb::get, path_of(url), "", {{"Range", "bytes=1-3"}});
  EXPECT_EQ(got.status, 206u);
  EXPECT_EQ(got.text, png.substr(1, 3));
  got = download.send(verb::get, path_of(url), "", {{"Range", "bytes=-4"}});
  EXPECT_EQ(got.status, 206u);
  EXPECT_EQ(got.text, png.substr(png.size() - 4));
  got = download.send(verb::get, path_of(url), "", {{"Range", "bytes=60-"}});
  EXPECT_EQ(got.text, png.substr(60));
  got = download.send(verb::get, path_of(url), "", {{"Range", "bytes=1000-"}});
  EXPECT_EQ(got.status, 416u);
  // Keep-alive goes on after a file.
  EXPECT_EQ(download.send(verb::get, path_of(url)).text, png);
  EXPECT_EQ(download.send(verb::get, "/uploads/" + std::string(64, 'a') + "/cat.png").status, 404u);
  EXPECT_EQ(download.send(verb::get, "/uploads/..%2F..%2Fetc/passwd").status, 404u);
}

TEST_F(UploadTest, AFileLargerThanAnyOtherBodyIsTakenWhole) {
  std::string bytes(2'500'000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>((i * 7919) >> 3);
  auto r = upload("alice", "file", testing::multipart_file("data.bin", "x/y", bytes));
  ASSERT_EQ(r.status, 200u) << r.text;
  HttpClient download(port_);
  auto got = download.send(verb::get, path_of(std::string(r.json.at("file").as_string())));
  EXPECT_EQ(crypto::sha256_hex(got.text), crypto::sha256_hex(bytes));
}

TEST_F(UploadTest, AnUploadedPageIsADownloadNotAPage) {
  auto r = upload("alice", "file",
                  testing::multipart_file("x.html", "text/html",
                                          "<!DOCTYPE html><html><script>alert(1)</script></html>"));
  ASSERT_EQ(r.status, 200u) << r.text;
  const std::string url(r.json.at("file").as_string());
  const std::string origin = "http://127.0.0.1:" + std::to_string(port_);
  // The raw answer's headers, through a socket of our own.
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  boost::beast::http::request<boost::beast::http::empty_body> get{verb::get,
                                                                  url.substr(origin.size()), 11};
  get.set(boost::beast::http::field::host, "127.0.0.1");
  boost::beast::http::write(stream, get);
  boost::beast::flat_buffer buffer;
  boost::beast::http::response<boost::beast::http::string_body> answer;
  boost::beast::http::read(stream, buffer, answer);
  EXPECT_EQ(answer[boost::beast::http::field::content_type], "text/html");
  EXPECT_EQ(answer[boost::beast::http::field::content_disposition], "attachment");
  EXPECT_EQ(answer["X-Content-Type-Options"], "nosniff");
}

// What a client that asks (Expect: 100-continue) hears after its header alone: go on, or no.
unsigned answer_to_header(std::uint16_t port, const std::string& user, std::uint64_t length) {
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  const std::string header =
      "POST /channels/messaging/general/file?api_key=" + std::string(testing::kKey) +
      "&user_id=" + user +
      " HTTP/1.1\r\nHost: x\r\nAuthorization: " + make_user_token(testing::kSecret, user) +
      "\r\nContent-Type: " + testing::multipart_content_type() +
      "\r\nContent-Length: " + std::to_string(length) + "\r\nExpect: 100-continue\r\n\r\n";
  boost::asio::write(stream.socket(), boost::asio::buffer(header));
  stream.expires_after(std::chrono::seconds(10));
  boost::beast::flat_buffer buffer;
  boost::beast::http::response_parser<boost::beast::http::string_body> answer;
  boost::beast::http::read_header(stream, buffer, answer);
  return answer.get().result_int();
}

TEST_F(UploadTest, AClientThatAsksHearsNoBeforeItSendsTheBody) {
  EXPECT_EQ(answer_to_header(port_, "alice", 1000), 100u);
  EXPECT_EQ(answer_to_header(port_, "carol", 1000), 403u) << "not a member";
  EXPECT_EQ(answer_to_header(port_, "alice", 3'100'000), 413u) << "too large";
  EXPECT_EQ(all_files(), 0u);
}

TEST_F(UploadTest, TheSameBytesSentTwiceAreOneUploadWithOneUrl) {
  const std::string body = testing::multipart_file("notes.txt", "text/plain", "same bytes");
  auto first = upload("alice", "file", body);
  auto again = upload("alice", "file", body);
  ASSERT_EQ(first.status, 200u) << first.text;
  EXPECT_EQ(first.json.at("file"), again.json.at("file"));
  // Under another name they are another upload of the same stored file.
  auto renamed =
      upload("bob", "file", testing::multipart_file("other.txt", "text/plain", "same bytes"));
  EXPECT_NE(renamed.json.at("file"), first.json.at("file"));
  EXPECT_EQ(stored_files(), 1u);
}

TEST_F(UploadTest, OnlyMembersUploadAndNothingOfARefusedUploadIsKept) {
  const std::string body = testing::multipart_file("a.txt", "text/plain", "from carol");
  testing::ServerTest::expect_error(upload("carol", "file", body), 403, 17);
  auto r = call("alice", verb::post, "/channels/messaging/nowhere/file", body,
                {{"Content-Type", testing::multipart_content_type()}});
  testing::ServerTest::expect_error(r, 404, 16);
  EXPECT_EQ(all_files(), 0u);
}

TEST_F(UploadTest, AnImageRouteTakesOnlyImagesWhateverTheyAreCalled) {
  auto r = upload("alice", "image", testing::multipart_file("cat.png", "image/png", "not a png"));
  testing::ServerTest::expect_error(r, 400, 4);
  EXPECT_NE(r.text.find("not an image"), std::string::npos) << r.text;
  // And a PNG called .txt is still an image.
  r = upload("alice", "image",
             testing::multipart_file("notes.txt", "text/plain", testing::tiny_png()));
  EXPECT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(stored_files(), 1u);
  EXPECT_EQ(all_files(), 1u);  // the refused one left nothing behind
}

TEST_F(UploadTest, BadBodiesAndLargeFilesAreRefusedClearly) {
  testing::ServerTest::expect_error(
      upload("alice", "file", "junk", "multipart/form-data; boundary=x"), 400, 4);
  testing::ServerTest::expect_error(upload("alice", "file", "{}", "application/json"), 400, 4);
  auto r =
      upload("alice", "file", testing::multipart_file("big", "x/y", std::string(3'000'001, 'b')));
  testing::ServerTest::expect_error(r, 413, 22);
  // No file part at all.
  const std::string b(testing::kBoundary);
  r = upload("alice", "file",
             "--" + b + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nx\r\n--" + b + "--");
  testing::ServerTest::expect_error(r, 400, 4);
  EXPECT_EQ(all_files(), 0u);
}

TEST_F(UploadTest, TheSenderOrTheChannelsCreatorDeletesAnUpload) {
  auto r = upload("bob", "file", testing::multipart_file("b.txt", "text/plain", "bob's"));
  ASSERT_EQ(r.status, 200u) << r.text;
  const std::string url(r.json.at("file").as_string());
  const std::string target = "/channels/messaging/general/file?url=" +
                             boost::urls::encode(url, boost::urls::unreserved_chars);
  testing::ServerTest::expect_error(call("carol", verb::delete_, target), 403, 17);
  EXPECT_EQ(call("alice", verb::delete_, target).status, 200u);  // the creator
  HttpClient download(port_);
  EXPECT_EQ(download.send(verb::get, path_of(url)).status, 404u);
  EXPECT_EQ(stored_files(), 0u);
  testing::ServerTest::expect_error(call("bob", verb::delete_, target), 404, 16);
  testing::ServerTest::expect_error(
      call("bob", verb::delete_, "/channels/messaging/general/file?url=http://elsewhere/x"), 400,
      4);
}

TEST_F(UploadTest, AnUploadCutOffMidBodyLeavesNothing) {
  HttpClient admin(port_);
  auto r = admin.send(verb::post, std::string("/_chaos?api_key=") + testing::kKey,
                      R"({"upload_drop_after_bytes":1000})",
                      {{"Authorization", make_server_token(testing::kSecret)}});
  ASSERT_EQ(r.status, 200u) << r.text;
  HttpClient client(port_);
  const std::string body = testing::multipart_file("big", "x/y", std::string(50'000, 'c'));
  EXPECT_THROW(client.send(verb::post,
                           "/channels/messaging/general/file?api_key=" +
                               std::string(testing::kKey) + "&user_id=alice",
                           body,
                           {{"Authorization", make_user_token(testing::kSecret, "alice")},
                            {"Content-Type", testing::multipart_content_type()}}),
               std::exception);
  EXPECT_EQ(all_files(), 0u);
}

}  // namespace
}  // namespace chatkeep
