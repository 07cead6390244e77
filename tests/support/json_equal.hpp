#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "chatkeep/timestamp.hpp"

namespace chatkeep::testing {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string test_data(const std::string& name) {
  return read_file(std::string(CHATKEEP_TEST_DATA) + "/" + name);
}

// Whether two JSON documents are the same: same members and values, order aside, where two
// strings that are the same RFC 3339 time count as equal (chatkeep writes times back in UTC with
// a fixed number of digits). Reports the first difference by path.
inline ::testing::AssertionResult same_document(const boost::json::value& expected,
                                                const boost::json::value& actual,
                                                const std::string& path = "$") {
  auto differ = [&](const std::string& why) {
    return ::testing::AssertionFailure()
           << path << ": " << why << "\n  expected " << boost::json::serialize(expected)
           << "\n  actual   " << boost::json::serialize(actual);
  };
  if (expected.is_string() && actual.is_string()) {
    if (expected == actual) return ::testing::AssertionSuccess();
    auto a = Timestamp::parse(std::string(expected.get_string()));
    auto b = Timestamp::parse(std::string(actual.get_string()));
    if (a && b && *a == *b) return ::testing::AssertionSuccess();
    return differ("strings differ");
  }
  if (expected.is_object() && actual.is_object()) {
    const auto& e = expected.get_object();
    const auto& a = actual.get_object();
    for (const auto& member : e) {
      const auto* other = a.if_contains(member.key());
      std::string child = path + "." + std::string(member.key());
      if (!other) return ::testing::AssertionFailure() << child << ": missing";
      if (auto r = same_document(member.value(), *other, child); !r) return r;
    }
    for (const auto& member : a) {
      if (!e.contains(member.key())) {
        return ::testing::AssertionFailure() << path << "." << member.key() << ": unexpected";
      }
    }
    return ::testing::AssertionSuccess();
  }
  if (expected.is_array() && actual.is_array()) {
    const auto& e = expected.get_array();
    const auto& a = actual.get_array();
    if (e.size() != a.size()) return differ("array sizes differ");
    for (std::size_t i = 0; i < e.size(); ++i) {
      if (auto r = same_document(e[i], a[i], path + "[" + std::to_string(i) + "]"); !r) return r;
    }
    return ::testing::AssertionSuccess();
  }
  if (expected == actual) return ::testing::AssertionSuccess();
  return differ("values differ");
}

}  // namespace chatkeep::testing
