#include "model/filter_match.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "chatkeep/timestamp.hpp"

namespace chatkeep::model {
namespace {

namespace json = boost::json;

// -1, 0, 1, or nullopt when the two cannot be ordered (different kinds).
std::optional<int> compare(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.to_number<double>(), y = b.to_number<double>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    const std::string x(a.as_string()), y(b.as_string());
    auto tx = Timestamp::parse(x), ty = Timestamp::parse(y);
    if (tx && ty) return *tx < *ty ? -1 : *tx > *ty ? 1 : 0;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_bool() && b.is_bool()) return a.as_bool() == b.as_bool() ? 0 : (a.as_bool() ? 1 : -1);
  return std::nullopt;
}

bool equal(const json::value& field, const json::value& value) {
  // A list field (members, tags) equals a value it contains.
  if (field.is_array() && !value.is_array()) {
    for (const auto& element : field.as_array()) {
      if (equal(element, value)) return true;
    }
    return false;
  }
  auto order = compare(field, value);
  return order ? *order == 0 : field == value;
}

bool in(const json::value& field, const json::array& values) {
  for (const auto& value : values) {
    if (equal(field, value)) return true;
  }
  return false;
}

bool condition(const json::value* field, const json::value& spec) {
  const json::object* ops = spec.if_object();
  if (!ops) return field && equal(*field, spec);  // a bare value: equality
  for (const auto& [op, operand] : *ops) {
    bool ok;
    if (op == "$exists") {
      ok = (field != nullptr && !field->is_null()) == operand.as_bool();
    } else if (!field || field->is_null()) {
      ok = op == "$ne" || op == "$nin";  // a missing field is unequal to anything
    } else if (op == "$eq") {
      ok = equal(*field, operand);
    } else if (op == "$ne") {
      ok = !equal(*field, operand);
    } else if (op == "$in") {
      ok = in(*field, operand.as_array());
    } else if (op == "$nin") {
      ok = !in(*field, operand.as_array());
    } else {
      auto order = compare(*field, operand);
      ok = order && ((op == "$gt" && *order > 0) || (op == "$gte" && *order >= 0) ||
                     (op == "$lt" && *order < 0) || (op == "$lte" && *order <= 0));
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

int compare_values(const json::value& a, const json::value& b) {
  return compare(a, b).value_or(0);
}

bool matches(const json::object& filter, const json::object& document) {
  for (const auto& [key, spec] : filter) {
    bool ok;
    if (key == "$and" || key == "$or" || key == "$nor") {
      std::size_t hits = 0;
      for (const auto& sub : spec.as_array())
        hits += matches(sub.as_object(), document);
      const std::size_t n = spec.as_array().size();
      ok = key == "$and" ? hits == n : key == "$or" ? hits > 0 : hits == 0;
    } else {
      ok = condition(document.if_contains(key), spec);
    }
    if (!ok) return false;
  }
  return true;
}

int compare_documents(const json::object& a, const json::object& b, const Sort& sort) {
  for (const auto& option : sort) {
    const json::value* x = a.if_contains(option.field);
    const json::value* y = b.if_contains(option.field);
    const int order = x && y ? compare_values(*x, *y) : (x ? 1 : y ? -1 : 0);
    if (order != 0) return option.direction == SortDirection::ascending ? order : -order;
  }
  return 0;
}

std::vector<std::size_t> select(const std::vector<json::object>& documents, const Filter& filter,
                                const Sort& sort, std::size_t offset, std::size_t limit) {
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    if (matches(filter.json(), documents[i])) found.push_back(i);
  }
  std::stable_sort(found.begin(), found.end(), [&](std::size_t a, std::size_t b) {
    return compare_documents(documents[a], documents[b], sort) < 0;
  });
  if (offset >= found.size()) return {};
  found.erase(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(offset));
  if (found.size() > limit) found.resize(limit);
  return found;
}

json::object channel_document(const Channel& channel, const ChannelFacts& facts) {
  json::object doc = to_json(channel).as_object();
  json::array members;
  for (const auto& id : facts.member_ids)
    members.emplace_back(id);
  doc["members"] = std::move(members);
  if (channel.created_by) doc["created_by_id"] = channel.created_by->id;
  const Timestamp updated = channel.updated_at.value_or(Timestamp());
  doc["last_updated"] = std::max(updated, channel.last_message_at.value_or(updated)).to_string();
  doc["hidden"] = facts.hidden;
  doc["unread_count"] = facts.unread_count;
  doc["has_unread"] = facts.unread_count > 0;
  if (facts.membership && facts.membership->pinned_at) {
    doc["pinned_at"] = facts.membership->pinned_at->to_string();
  } else {
    doc.erase("pinned_at");
  }
  return doc;
}

Sort channel_sort(const Sort& asked) {
  Sort sort = asked.empty()
                  ? Sort{{.field = "last_updated", .direction = SortDirection::descending}}
                  : asked;
  sort.push_back({.field = "cid", .direction = SortDirection::ascending});
  return sort;
}

Filter channel_filter(const Filter& asked) {
  if (asked.json().contains("hidden")) return asked;
  return Filter::all_of({asked, Filter::eq("hidden", false)});
}

}  // namespace chatkeep::model
