// The search text's syntax and what a message is found by: terms, prefixes, phrases, unspaced
// terms, what is refused; UTF-8; the indexed text of a message and of a deleted one.

#include <gtest/gtest.h>

#include "chatkeep/error.hpp"
#include "search/indexed_text.hpp"
#include "search/search_terms.hpp"

namespace chatkeep::search {
namespace {

TEST(SearchTerms, WordsPrefixesPhrasesAndUnspacedTerms) {
  const SearchTerms t = parse_search_text(R"(lunch caf* "at noon" 北京 🎉 !!! say"what)");
  ASSERT_EQ(t.phrases.size(), 4u);
  EXPECT_EQ(t.phrases[0].text, "lunch");
  EXPECT_EQ(t.phrases[1].text, "caf");
  EXPECT_TRUE(t.phrases[1].prefix);
  EXPECT_EQ(t.phrases[2].text, "at noon");
  EXPECT_EQ(t.phrases[3].text, "say\"what");
  EXPECT_EQ(t.substrings, (std::vector<std::string>{"北京", "🎉"}));
  // Every character the user typed is inside an FTS5 string: nothing is syntax.
  EXPECT_EQ(t.fts5_words(), R"("lunch" "caf" * "at noon" "say""what")");
  EXPECT_EQ(parse_search_text("\"unclosed phrase").phrases[0].text, "unclosed phrase");
}

TEST(SearchTerms, RefusesWhatIsNoSearch) {
  for (const std::string text : {"", "  \t ", "*", "!!! ?? --", "caf\xc3", "\xff\xfe",
                                 "\xed\xa0\x80" /* a surrogate */, "\xc0\xaf" /* overlong */}) {
    EXPECT_THROW(parse_search_text(text), ChatError) << text;
  }
  EXPECT_THROW(parse_search_text(std::string(kMaxSearchTextBytes + 1, 'a')), ChatError);
  std::string many;
  for (std::size_t i = 0; i <= kMaxSearchTerms; ++i)
    many += "w" + std::to_string(i) + " ";
  EXPECT_THROW(parse_search_text(many), ChatError);
  EXPECT_TRUE(is_utf8("café 北京 🎉"));
  EXPECT_EQ(code_points("北京🎉a"), 4u);
}

TEST(IndexedText, TextTitlesAndFileNamesAndNothingForTheDeleted) {
  EXPECT_EQ(indexed_text(R"({"text":"hi\u0001there","attachments":[{"title":"Plan",
              "asset_url":"https://x/a/plan-v2.pdf?sig=1"},{"image_url":"https://x/i/cat.jpg"},
              {"title":"same.png","image_url":"https://x/same.png"}]})"),
            "hi there\nPlan\nplan-v2.pdf\ncat.jpg\nsame.png");
  EXPECT_EQ(indexed_text(R"({"text":"gone","type":"deleted"})"), std::nullopt);
  EXPECT_EQ(indexed_text(R"({"text":"gone","deleted_at":"2026-01-01T00:00:00Z"})"), std::nullopt);
  EXPECT_EQ(indexed_text(R"({"text":""})"), std::nullopt);
  EXPECT_EQ(indexed_text("not json"), std::nullopt);
  EXPECT_EQ(indexed_text(R"({"text":5,"attachments":"x"})"), std::nullopt);
  EXPECT_EQ(unspaced_words("party 🎉 tonight at 北京大学, ok"), "🎉 北京大学,");
  EXPECT_EQ(unspaced_words("plain latin text"), std::nullopt);
  EXPECT_TRUE(has_unspaced("สวัสดี"));
  EXPECT_FALSE(has_unspaced("naïve café über"));
}

}  // namespace
}  // namespace chatkeep::search
