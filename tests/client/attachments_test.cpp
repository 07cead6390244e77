// Files through the outbox against a real chatkeep-server: photos and large files sent offline
// show at once from the file cache and arrive whole once the server is back; edits and deletions
// before delivery change what is uploaded; permanent failures show the server's reason; the same
// bytes are uploaded once; files sent alone.

#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "chatkeep/file_cache.hpp"
#include "crypto/sha256.hpp"
#include "support/client_fixture.hpp"
#include "support/media.hpp"

namespace chatkeep::testing {
namespace {

class AttachmentsTest : public ClientTest {
 public:
  AttachmentsTest() : ClientTest(options()) {}

  static std::filesystem::path files() {
    static TempDir dir;
    return dir.path() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  static server::ServerOptions options() {
    std::filesystem::remove_all(files());
    server::ServerOptions o;
    o.files_directory = files().string();
    o.max_upload_bytes = 60ull << 20;
    return o;
  }
  // Files the server keeps.
  static std::size_t stored_files() {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(files()))
      n += entry.path().filename().string().starts_with(".") ? 0u : 1u;
    return n;
  }

  // Alice's client, connected, caught up, with messaging:media (alice and bob).
  void SetUp() override {
    ClientTest::SetUp();
    cid_ = create("media");
    client_ = make_client();
    events_ = std::make_unique<Recorder>(*client_);
    ASSERT_TRUE(connect(*client_, "alice"));
    query_all(*client_, "alice");
    ASSERT_TRUE(events_->wait(EventType::connection_recovered));
  }

  ChatChannel channel() { return client_->channel("messaging", "media"); }

  // The server goes away for `ms`; returns once the client has seen it go.
  void go_offline(int ms) {
    chaos(R"({"offline_ms":)" + std::to_string(ms) + "}");
    ASSERT_TRUE(eventually([&] {
      auto all = events_->all();
      return std::any_of(all.begin(), all.end(), [](const Event& e) {
        return e.kind == EventType::connection_changed && e.online == false;
      });
    }));
  }

  std::vector<Message> server_messages() {
    auto r = query("bob", cid_, R"({"state":true,"messages":{"limit":100}})");
    return from_json<ChannelState>(r.json).messages.value_or(std::vector<Message>{});
  }

  // The bytes at a URL of the server.
  std::string download(const std::string& url) {
    const std::string origin = "http://127.0.0.1:" + std::to_string(port_);
    EXPECT_TRUE(url.starts_with(origin)) << url;
    HttpClient http(port_);
    auto r = http.send(verb::get, url.substr(origin.size()));
    EXPECT_EQ(r.status, 200u);
    return r.text;
  }

  // A file of `size` bytes that do not repeat, under the test's data directory.
  std::filesystem::path make_file(const std::string& name, std::size_t size, unsigned seed) {
    const auto path = data_.path() / name;
    std::ofstream out(path, std::ios::binary);
    std::mt19937_64 random(seed);
    std::vector<std::uint64_t> block(8192);
    for (std::size_t written = 0; written < size;) {
      for (auto& word : block)
        word = random();
      const std::size_t n = std::min(size - written, block.size() * sizeof(std::uint64_t));
      out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
      written += n;
    }
    return path;
  }

  bool delivered_all() {
    return eventually([&] { return client_->outbox().empty(); }, 60s);
  }

  std::string cid_;
  std::unique_ptr<ChatClient> client_;
  std::unique_ptr<Recorder> events_;
};

TEST_F(AttachmentsTest, APhotoAndALargeFileSentOfflineShowAtOnceAndArriveWhole) {
  const auto big = make_file("report.bin", 50u << 20, 7);
  const std::string big_hash = *crypto::sha256_hex_of_file(big);
  go_offline(3000);

  const Message echo = channel().send_message(
      Message{.text = "holiday"},
      {LocalFile{.bytes = tiny_png(), .title = "beach.png"}, LocalFile{.path = big}});
  ASSERT_EQ(echo.attachments->size(), 2u);
  std::filesystem::remove(big);  // the app's own copy may go: the cache has one
  const Message stored = *client_->persistence().message(echo.id);
  ASSERT_EQ(stored.attachments->size(), 2u);
  const Attachment& photo = stored.attachments->at(0);
  const Attachment& file = stored.attachments->at(1);
  EXPECT_EQ(photo.type, "image");
  EXPECT_EQ(photo.mime_type, "image/png");
  EXPECT_EQ(photo.title, "beach.png");
  EXPECT_EQ(file.type, "file");
  EXPECT_EQ(file.title, "report.bin");
  EXPECT_EQ(file.file_size, 50 << 20);
  ASSERT_TRUE(photo.upload && file.upload);
  EXPECT_EQ(photo.upload->state, UploadState::queued);
  EXPECT_EQ(crypto::sha256_hex_of_file(photo.upload->local_file), crypto::sha256_hex(tiny_png()))
      << "the app can show the photo before it is uploaded";
  EXPECT_EQ(crypto::sha256_hex_of_file(file.upload->local_file), big_hash);
  EXPECT_EQ(file.upload->bytes_total, 50 << 20);

  ASSERT_TRUE(delivered_all());
  const auto on_server = server_messages();
  ASSERT_EQ(on_server.size(), 1u);
  ASSERT_EQ(on_server[0].attachments->size(), 2u);
  const Attachment& sent_photo = on_server[0].attachments->at(0);
  const Attachment& sent_file = on_server[0].attachments->at(1);
  EXPECT_FALSE(sent_photo.extra.contains("chatkeep_upload")) << "local keys stay local";
  ASSERT_TRUE(sent_photo.image_url && sent_file.asset_url);
  EXPECT_EQ(download(*sent_photo.image_url), tiny_png());
  EXPECT_EQ(crypto::sha256_hex(download(*sent_file.asset_url)), big_hash);
  // Progress was told, and the sent bytes are cached under their URLs: nothing to download.
  EXPECT_GE(events_->count(EventType::attachment_upload_progress), 2u);
  ASSERT_TRUE(
      eventually([&] { return client_->file_cache()->get(*sent_file.asset_url).has_value(); }));
  EXPECT_EQ(crypto::sha256_hex_of_file(*client_->file_cache()->get(*sent_file.asset_url)),
            big_hash);
  // The echo now shows the server's copy.
  ASSERT_TRUE(eventually([&] {
    auto m = client_->persistence().message(echo.id);
    return m && !m->local_state && m->attachments->at(1).asset_url == sent_file.asset_url;
  }));
}

TEST_F(AttachmentsTest, AnEditBeforeDeliverySwapsAFile) {
  go_offline(2500);
  const Message echo = channel().send_message(
      Message{.text = "draft"}, {LocalFile{.bytes = "first version", .title = "a.txt"}});
  Message edited = *client_->persistence().message(echo.id);
  edited.attachments->clear();  // the first file is left out, a second added
  channel().update_message(edited, {LocalFile{.bytes = "second version", .title = "b.txt"}});
  const Message shown = *client_->persistence().message(echo.id);
  ASSERT_EQ(shown.attachments->size(), 1u);
  EXPECT_EQ(shown.attachments->at(0).title, "b.txt");

  ASSERT_TRUE(delivered_all());
  const auto on_server = server_messages();
  ASSERT_EQ(on_server.size(), 1u);
  ASSERT_EQ(on_server[0].attachments->size(), 1u);
  EXPECT_EQ(download(*on_server[0].attachments->at(0).asset_url), "second version");
  EXPECT_EQ(stored_files(), 1u) << "the first file was never uploaded";
}

TEST_F(AttachmentsTest, ADeleteBeforeDeliveryLeavesNothingOnTheServer) {
  go_offline(2500);
  const Message echo = channel().send_message(
      Message{.text = "oops"}, {LocalFile{.bytes = tiny_png()}, LocalFile{.bytes = "notes"}});
  channel().delete_message(echo.id);
  EXPECT_FALSE(client_->persistence().message(echo.id));
  EXPECT_TRUE(client_->outbox().empty());
  EXPECT_EQ(client_->file_cache()->entries(), 0) << "the staged files are let go";
  channel().send_message(Message{.text = "after"});
  ASSERT_TRUE(delivered_all());
  EXPECT_EQ(server_messages().size(), 1u);
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(AttachmentsTest, AFileOfAMessageThatIsDiscardedIsTakenBack) {
  // Bob freezes the channel: files still go, but the message is refused for good.
  auto r = call("bob", verb::post, "/channels/messaging/media", R"({"data":{"frozen":true}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  const Message echo =
      channel().send_message(Message{.text = "frozen"}, {LocalFile{.bytes = "kept?"}});
  ASSERT_TRUE(events_->wait(EventType::outbox_failed));
  EXPECT_EQ(stored_files(), 1u) << "the file went before its message was refused";
  const auto entries = client_->outbox();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].kind, OutboxKind::send_message);
  client_->discard(entries[0].id);
  EXPECT_FALSE(client_->persistence().message(echo.id));
  ASSERT_TRUE(delivered_all());
  EXPECT_EQ(stored_files(), 0u) << "taken back";

  // The same bytes sent again are uploaded again: what was taken back is not counted on.
  r = call("bob", verb::post, "/channels/messaging/media", R"({"data":{"frozen":false}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  channel().send_message(Message{.text = "thawed"}, {LocalFile{.bytes = "kept?"}});
  ASSERT_TRUE(delivered_all());
  const auto on_server = server_messages();
  ASSERT_EQ(on_server.size(), 1u);
  EXPECT_EQ(download(*on_server[0].attachments->at(0).asset_url), "kept?");
}

TEST_F(AttachmentsTest, APermanentFailureShowsTheServersReason) {
  const auto big = make_file("huge.bin", (60u << 20) + 1, 3);
  const Message echo = channel().send_message(Message{.text = "too big"}, {LocalFile{.path = big}});
  // (60 MB to write and stage first: slow under the sanitizers.)
  ASSERT_TRUE(eventually([&] { return events_->count(EventType::outbox_failed) >= 2; }, 90s))
      << "the upload and its message";
  const Message shown = *client_->persistence().message(echo.id);
  EXPECT_EQ(shown.local_state, LocalState::failed);
  ASSERT_TRUE(shown.attachments->at(0).upload);
  EXPECT_EQ(shown.attachments->at(0).upload->state, UploadState::failed);
  EXPECT_NE(shown.attachments->at(0).upload->error.value_or("").find("limit"), std::string::npos)
      << shown.attachments->at(0).upload->error.value_or("");
  EXPECT_NE(shown.local_error.value_or("").find("limit"), std::string::npos);
  EXPECT_TRUE(server_messages().empty());
  // Discarding the message lets go of everything.
  for (const auto& e : client_->outbox()) {
    if (e.kind == OutboxKind::send_message) client_->discard(e.id);
  }
  EXPECT_TRUE(client_->outbox().empty());
  EXPECT_FALSE(client_->persistence().message(echo.id));
  EXPECT_EQ(client_->file_cache()->entries(), 0);
}

TEST_F(AttachmentsTest, AFileGoneFromTheCacheFailsClearly) {
  go_offline(2500);
  const Message echo =
      channel().send_message(Message{.text = "lost"}, {LocalFile{.bytes = "will vanish"}});
  ASSERT_TRUE(client_->file_cache()->remove(echo.attachments->at(0).upload->key));
  ASSERT_TRUE(events_->wait(EventType::outbox_failed, 2));
  const Message shown = *client_->persistence().message(echo.id);
  EXPECT_EQ(shown.attachments->at(0).upload->state, UploadState::failed);
  EXPECT_NE(shown.attachments->at(0).upload->error.value_or("").find("no longer in the file cache"),
            std::string::npos)
      << shown.attachments->at(0).upload->error.value_or("");
  EXPECT_TRUE(server_messages().empty());
}

TEST_F(AttachmentsTest, TheSameBytesAreUploadedOnceToAChannel) {
  channel().send_message(Message{.text = "one"},
                         {LocalFile{.bytes = tiny_png(), .title = "p.png"}});
  ASSERT_TRUE(delivered_all());
  channel().send_message(Message{.text = "two"},
                         {LocalFile{.bytes = tiny_png(), .title = "p.png"}});
  ASSERT_TRUE(delivered_all());
  const auto on_server = server_messages();
  ASSERT_EQ(on_server.size(), 2u);
  EXPECT_EQ(on_server[0].attachments->at(0).image_url, on_server[1].attachments->at(0).image_url);
  EXPECT_EQ(stored_files(), 1u);
  EXPECT_EQ(client_->persistence().uploaded_url(cid_, crypto::sha256_hex(tiny_png())),
            on_server[0].attachments->at(0).image_url);
}

TEST_F(AttachmentsTest, FilesSentAloneAnswerWithTheirUrl) {
  Eventually<Result<std::string>> image;
  channel().upload_image(LocalFile{.bytes = tiny_png(), .title = "alone.png"}, image.setter());
  const auto url = image.get();
  ASSERT_TRUE(url) << url.error->what();
  EXPECT_EQ(download(*url.value), tiny_png());
  EXPECT_TRUE(client_->file_cache()->get(*url.value)) << "kept under its URL";

  Eventually<Result<std::string>> not_an_image;
  channel().upload_image(LocalFile{.bytes = "plain text"}, not_an_image.setter());
  EXPECT_EQ(not_an_image.get().error->code(), ErrorCode::input);

  Eventually<Result<bool>> deleted;
  channel().delete_image(*url.value, deleted.setter());
  EXPECT_TRUE(deleted.get());
  HttpClient http(port_);
  EXPECT_EQ(http.send(verb::get, url.value->substr(url.value->find("/uploads/"))).status, 404u);
}

TEST_F(AttachmentsTest, AFileThatCannotBeReadIsRefusedAndNothingIsQueued) {
  EXPECT_THROW(channel().send_message(Message{.text = "x"},
                                      {LocalFile{.path = data_.path() / "missing.bin"}}),
               ChatError);
  EXPECT_THROW(channel().send_message(Message{.text = "x"},
                                      {LocalFile{.bytes = "a", .mime_type = "text/plain\r\nX: y"}}),
               ChatError);
  EXPECT_TRUE(client_->outbox().empty());
  EXPECT_EQ(client_->file_cache()->entries(), 0);
}

}  // namespace
}  // namespace chatkeep::testing
