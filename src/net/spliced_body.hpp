#pragma once

// An HTTP body made of pieces, each either bytes in memory or a range of a file on disk, written
// out in order without ever holding a file whole: a multipart upload is a header, a file and a
// trailer; a download is a file, or a range of it. Memory stays at one chunk (kChunk) per
// message being written, whatever the files' sizes. A Beast Body for writing only.

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional/optional.hpp>
#include <boost/system/error_code.hpp>

namespace chatkeep::net {

struct SplicedBody {
  struct Piece {
    std::string bytes;           // written when `file` is empty
    std::filesystem::path file;  // else `length` bytes of it from `offset`
    std::uint64_t offset = 0;
    std::uint64_t length = 0;

    std::uint64_t size() const { return file.empty() ? bytes.size() : length; }
  };
  using value_type = std::vector<Piece>;

  static constexpr std::size_t kChunk = 64 * 1024;

  static std::uint64_t size(const value_type& pieces) {
    std::uint64_t total = 0;
    for (const auto& p : pieces)
      total += p.size();
    return total;
  }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& pieces)
        : pieces_(pieces) {}
    ~writer() { close(); }
    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;

    void init(boost::system::error_code& ec) { ec = {}; }

    // The next chunk, and whether more follow. A file that cannot be read, or that ends before
    // its range does, fails the write (the peer sees the connection end short of the length).
    boost::optional<std::pair<const_buffers_type, bool>> get(boost::system::error_code& ec) {
      ec = {};
      while (index_ < pieces_.size()) {
        const Piece& piece = pieces_[index_];
        if (piece.file.empty()) {
          ++index_;
          if (piece.bytes.empty()) continue;
          return std::pair{const_buffers_type(piece.bytes.data(), piece.bytes.size()),
                           index_ < pieces_.size()};
        }
        if (done_ == piece.length) {
          close();
          done_ = 0;
          ++index_;
          continue;
        }
        if (fd_ < 0) {
          fd_ = ::open(piece.file.c_str(), O_RDONLY | O_CLOEXEC);
          if (fd_ < 0) {
            ec = boost::system::error_code(errno, boost::system::generic_category());
            return boost::none;
          }
          chunk_.resize(kChunk);
        }
        const std::uint64_t want = std::min<std::uint64_t>(kChunk, piece.length - done_);
        const ssize_t got =
            ::pread(fd_, chunk_.data(), want, static_cast<off_t>(piece.offset + done_));
        if (got <= 0) {
          ec = got < 0 ? boost::system::error_code(errno, boost::system::generic_category())
                       : boost::system::error_code(EIO, boost::system::generic_category());
          return boost::none;
        }
        done_ += static_cast<std::uint64_t>(got);
        const bool more = done_ < piece.length || index_ + 1 < pieces_.size();
        return std::pair{const_buffers_type(chunk_.data(), static_cast<std::size_t>(got)), more};
      }
      return boost::none;
    }

   private:
    void close() {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
    }

    const value_type& pieces_;
    std::size_t index_ = 0;
    std::uint64_t done_ = 0;  // bytes of the current file piece read so far
    int fd_ = -1;
    std::vector<char> chunk_;
  };
};

}  // namespace chatkeep::net
