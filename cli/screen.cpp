#include "screen.hpp"

#include <curses.h>

#include <algorithm>
#include <clocale>
#include <cwchar>

namespace chatkeep::cli {

namespace {

// The code point at `i`, moving `i` past it; a byte that does not start valid UTF-8 is U+FFFD.
char32_t next_code_point(const std::string& s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  const std::size_t length = lead < 0x80         ? 1
                             : (lead >> 5) == 6  ? 2
                             : (lead >> 4) == 14 ? 3
                             : (lead >> 3) == 30 ? 4
                                                 : 0;
  if (length == 0 || i + length > s.size()) {
    ++i;
    return lead < 0x80 ? lead : 0xFFFD;
  }
  char32_t cp = length == 1 ? lead : static_cast<char32_t>(lead & (0x7F >> length));
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | static_cast<char32_t>(byte(i + k) & 0x3F);
  }
  i += length;
  return cp;
}

int columns_of(char32_t cp) {
  const int w = ::wcwidth(static_cast<wchar_t>(cp));
  return w < 0 ? 1 : w;
}

// How many bytes of `s` from `from` fit in `columns`.
std::size_t fitting(const std::string& s, std::size_t from, int columns) {
  std::size_t i = from;
  int used = 0;
  while (i < s.size()) {
    std::size_t next = i;
    const int w = columns_of(next_code_point(s, next));
    if (used + w > columns) break;
    used += w;
    i = next;
  }
  return i - from;
}

// `s` cut into rows of at most `columns` (at least one row).
std::vector<std::string> wrap(const std::string& s, int columns) {
  std::vector<std::string> rows;
  std::size_t at = 0;
  do {
    std::size_t n = std::max<std::size_t>(fitting(s, at, columns), 1);
    rows.push_back(s.substr(at, n));
    at += n;
  } while (at < s.size() && columns > 0);
  return rows;
}

enum Pair : short { pending_pair = 1, failed_pair };

attr_t attributes(Tone tone) {
  switch (tone) {
    case Tone::plain:
      return A_NORMAL;
    case Tone::dim:
      return A_DIM;
    case Tone::bold:
      return A_BOLD;
    case Tone::pending:
      return has_colors() ? COLOR_PAIR(pending_pair) : A_DIM;
    case Tone::failed:
      return (has_colors() ? COLOR_PAIR(failed_pair) : A_NORMAL) | A_BOLD;
    case Tone::selected:
      return A_REVERSE;
  }
  return A_NORMAL;
}

// Writes `text` at row y from column x, cut to `columns`, in `tone`; `fill` pads it to the width.
void put(int y, int x, int columns, const std::string& text, Tone tone, bool fill = false) {
  if (columns <= 0) return;
  const attr_t a = attributes(tone);
  attron(a);
  mvaddnstr(y, x, text.c_str(), static_cast<int>(fitting(text, 0, columns)));
  if (fill) {
    int cy = 0, cx = 0;
    getyx(stdscr, cy, cx);
    for (; cx < x + columns; ++cx)
      addch(' ');
    (void)cy;
  }
  attroff(a);
}

}  // namespace

std::string to_utf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

Screen::Screen() {
  std::setlocale(LC_ALL, "");
  set_escdelay(25);
  initscr();
  raw();  // ^C and ^D come as keys: the program ends itself and gives the terminal back
  noecho();
  keypad(stdscr, TRUE);
  if (has_colors()) {
    start_color();
    use_default_colors();
    init_pair(pending_pair, COLOR_YELLOW, -1);
    init_pair(failed_pair, COLOR_RED, -1);
  }
}

Screen::~Screen() {
  endwin();
}

std::optional<Key> Screen::read(std::chrono::milliseconds timeout) {
  ::timeout(static_cast<int>(timeout.count()));
  wint_t ch = 0;
  const int r = get_wch(&ch);
  if (r == ERR) return std::nullopt;
  if (r == KEY_CODE_YES) {
    switch (ch) {
      case KEY_ENTER:
        return Key{Key::enter};
      case KEY_BACKSPACE:
        return Key{Key::backspace};
      case KEY_UP:
        return Key{Key::up};
      case KEY_DOWN:
        return Key{Key::down};
      case KEY_RESIZE:
        return Key{Key::resize};
      default:
        return std::nullopt;
    }
  }
  switch (ch) {
    case 3:  // ^C
    case 4:  // ^D
      return Key{Key::quit};
    case '\n':
    case '\r':
      return Key{Key::enter};
    case 8:
    case 127:
      return Key{Key::backspace};
    case '\t':
      return Key{Key::tab};
    case 21:  // ^U
      return Key{Key::clear_line};
    default:
      if (ch < 32) return std::nullopt;
      return Key{Key::character, static_cast<char32_t>(ch)};
  }
}

int Screen::message_rows() const {
  return std::max(LINES - 4, 1);
}

void Screen::draw(const Frame& frame) {
  erase();
  const int width = COLS;
  const int side = std::clamp(width / 4, 12, 28);  // the channel list's width
  const int main_x = side + 1;
  const int main_width = width - main_x;
  const int last_content_row = LINES - 3;

  put(0, 0, width, frame.status.text, Tone::selected, true);
  for (int y = 1; y <= last_content_row; ++y)
    mvaddch(y, side, ACS_VLINE);
  for (std::size_t i = 0; i < frame.channels.size() && static_cast<int>(i) < last_content_row;
       ++i) {
    put(static_cast<int>(i) + 1, 0, side, frame.channels[i].text, frame.channels[i].tone,
        frame.channels[i].tone == Tone::selected);
  }
  put(1, main_x, main_width, frame.title, Tone::bold);

  // The newest messages at the bottom, as many as fit once wrapped.
  std::vector<Line> rows;
  for (auto m = frame.messages.rbegin();
       m != frame.messages.rend() && static_cast<int>(rows.size()) < last_content_row - 1; ++m) {
    auto wrapped = wrap(m->text, main_width);
    for (auto r = wrapped.rbegin(); r != wrapped.rend(); ++r)
      rows.push_back({*r, m->tone});
  }
  const int shown = std::min(static_cast<int>(rows.size()), last_content_row - 1);
  for (int k = 0; k < shown; ++k) {
    const Line& row = rows[static_cast<std::size_t>(shown - 1 - k)];
    put(last_content_row - shown + 1 + k, main_x, main_width, row.text, row.tone);
  }

  mvhline(LINES - 2, 0, ACS_HLINE, width);
  put(LINES - 2, 1, width - 2, frame.notice.text, frame.notice.tone);
  // The input line keeps its end in view, with the cursor after it.
  const std::string prompt = "> ";
  const int room = width - static_cast<int>(prompt.size()) - 1;
  std::size_t start = 0;
  while (start < frame.input.size() &&
         fitting(frame.input, start, room) < frame.input.size() - start) {
    next_code_point(frame.input, start);
  }
  put(LINES - 1, 0, width, prompt + frame.input.substr(start), Tone::plain);
  refresh();
}

}  // namespace chatkeep::cli
