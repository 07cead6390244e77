#pragma once

// The terminal as `chatkeep chat` uses it, through ncurses: a status line on top, a channel list
// beside the messages, a notice line, and the input line with its cursor at the bottom. Text is
// UTF-8 and cut to the columns it fits in.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace chatkeep::cli {

enum class Tone { plain, dim, bold, pending, failed, selected };

struct Line {
  std::string text;
  Tone tone = Tone::plain;
};

// What the screen shows; drawn whole each time.
struct Frame {
  Line status;
  std::vector<Line> channels;
  std::string title;           // above the messages: the open channel
  std::vector<Line> messages;  // the last ones that fit are shown, wrapped
  Line notice;
  std::string input;  // the line being typed
};

// A key, or an edit of the input line.
struct Key {
  enum Kind { character, enter, backspace, up, down, tab, quit, clear_line, resize };
  Kind kind = character;
  char32_t character_value = 0;
};

class Screen {
 public:
  Screen();   // takes over the terminal
  ~Screen();  // gives it back as it was
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  // The next key, waiting at most `timeout`.
  std::optional<Key> read(std::chrono::milliseconds timeout);
  void draw(const Frame& frame);
  // How many message lines fit (before wrapping).
  int message_rows() const;
};

// The UTF-8 encoding of a code point.
std::string to_utf8(char32_t code_point);

}  // namespace chatkeep::cli
