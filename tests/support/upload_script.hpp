#pragma once

// A random but reproducible script of messages with files, for the upload crash test: its child
// process sends them; the parent checks the server's copies byte for byte against it.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace chatkeep::testing {

struct ScriptedFile {
  std::string name;
  std::string bytes;
};

struct ScriptedUpload {
  std::string cid;
  std::string message_id;
  std::string text;
  std::vector<ScriptedFile> files;
};

class UploadScript {
 public:
  UploadScript(std::uint32_t seed, std::size_t length, const std::vector<std::string>& cids) {
    std::mt19937_64 random(seed);
    for (std::size_t i = 0; i < length; ++i) {
      ScriptedUpload m{.cid = cids[random() % cids.size()],
                       .message_id = "u" + std::to_string(seed) + "-" + std::to_string(i),
                       .text = "files " + std::to_string(i)};
      const std::size_t count = 1 + random() % 2;
      for (std::size_t f = 0; f < count; ++f) {
        // Now and then the same bytes as an earlier file: they must be uploaded once.
        if (!messages_.empty() && random() % 6 == 0) {
          m.files.push_back(messages_[random() % messages_.size()].files.front());
          continue;
        }
        std::string bytes(8 * 1024 + random() % (256 * 1024), '\0');
        for (auto& byte : bytes)
          byte = static_cast<char>(random());
        m.files.push_back(
            {.name = "f" + std::to_string(i) + "-" + std::to_string(f) + ".bin", .bytes = bytes});
      }
      messages_.push_back(std::move(m));
    }
  }
  const std::vector<ScriptedUpload>& messages() const { return messages_; }

 private:
  std::vector<ScriptedUpload> messages_;
};

}  // namespace chatkeep::testing
