// The multipart reader on bodies cut at every possible place: what it finds must not depend on
// how the bytes arrive.

#include <gtest/gtest.h>

#include "chatkeep/error.hpp"
#include "multipart.hpp"
#include "support/media.hpp"

namespace chatkeep {
namespace {

using server::MultipartPart;
using server::MultipartReader;

struct Found {
  std::vector<MultipartPart> parts;
  std::vector<std::string> contents;
  int ended = 0;
};

Found read_in_pieces(const std::string& body, std::size_t piece) {
  Found found;
  MultipartReader reader(
      std::string(testing::kBoundary),
      {.begin =
           [&](const MultipartPart& part) {
             found.parts.push_back(part);
             found.contents.emplace_back();
           },
       .content = [&](std::string_view bytes) { found.contents.back() += bytes; },
       .end = [&] { ++found.ended; }});
  for (std::size_t at = 0; at < body.size(); at += piece)
    reader.feed(std::string_view(body).substr(at, piece));
  reader.finish();
  return found;
}

TEST(Multipart, PartsAreTheSameHoweverTheBodyIsCut) {
  // Content that looks like a boundary's start, and CRLFs, must survive every cut.
  const std::string content =
      "a\r\n--" + std::string(testing::kBoundary.substr(0, 10)) + "\r\n\r\nb" + testing::tiny_png();
  const std::string body =
      testing::multipart_file("cat \"one\".png", "image/png", content, R"({"id":"alice"})");
  for (std::size_t piece = 1; piece <= body.size(); ++piece) {
    const Found found = read_in_pieces(body, piece);
    ASSERT_EQ(found.parts.size(), 2u) << "pieces of " << piece;
    EXPECT_EQ(found.parts[0].name, "user");
    EXPECT_EQ(found.contents[0], R"({"id":"alice"})");
    EXPECT_EQ(found.parts[1].name, "file");
    EXPECT_EQ(found.parts[1].filename, "cat \"one\".png");
    EXPECT_EQ(found.parts[1].content_type, "image/png");
    EXPECT_EQ(found.contents[1], content) << "pieces of " << piece;
    EXPECT_EQ(found.ended, 2);
  }
}

TEST(Multipart, AnEmptyPartAndAPreambleAreRead) {
  const std::string b(testing::kBoundary);
  const std::string body = "preamble\r\n--" + b +
                           "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"e\"\r\n"
                           "\r\n\r\n--" +
                           b + "--\r\nepilogue";
  const Found found = read_in_pieces(body, 3);
  ASSERT_EQ(found.parts.size(), 1u);
  EXPECT_EQ(found.contents[0], "");
  EXPECT_EQ(found.parts[0].content_type, "text/plain");
}

TEST(Multipart, MalformedBodiesAreRefusedWithAReason) {
  const std::string b(testing::kBoundary);
  const std::string whole = testing::multipart_file("f", "text/plain", "hello");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cut short", whole.substr(0, whole.size() - 10)},
      {"no disposition", "--" + b + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + b + "--"},
      {"no name", "--" + b + "\r\nContent-Disposition: form-data\r\n\r\nx\r\n--" + b + "--"},
      {"not form-data",
       "--" + b + "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--" + b + "--"},
      {"text after boundary", "--" + b + "junk\r\n\r\n"},
      {"headers too long", "--" + b + "\r\nX: " + std::string(10'000, 'a')},
  };
  for (const auto& [name, body] : cases) {
    try {
      read_in_pieces(body, 7);
      ADD_FAILURE() << name << ": accepted";
    } catch (const ChatError& e) {
      EXPECT_EQ(e.http_status(), 400) << name;
      EXPECT_NE(e.message().find("multipart"), std::string::npos) << name << ": " << e.message();
    }
  }
  std::string many;
  for (int i = 0; i < 20; ++i)
    many += "--" + b + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nx\r\n";
  EXPECT_THROW(read_in_pieces(many + "--" + b + "--", 64), ChatError);
}

TEST(Multipart, TheBoundaryComesFromTheContentType) {
  EXPECT_EQ(MultipartReader::boundary_of("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(MultipartReader::boundary_of("Multipart/Form-Data; charset=x; boundary=\"a b\""),
            "a b");
  EXPECT_THROW(MultipartReader::boundary_of("application/json"), ChatError);
  EXPECT_THROW(MultipartReader::boundary_of("multipart/form-data"), ChatError);
  EXPECT_THROW(
      MultipartReader::boundary_of("multipart/form-data; boundary=" + std::string(71, 'a')),
      ChatError);
}

}  // namespace
}  // namespace chatkeep
