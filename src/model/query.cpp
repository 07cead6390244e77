#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "model/tables.hpp"

namespace chatkeep {
namespace model {

struct FilterAccess {
  static Filter make(json::object json) { return Filter(std::move(json)); }
};

namespace {

void check_filter(const json::value& v, const Path& path);

// A field's condition: a bare value (equality) or an object of operators.
void check_condition(const json::value& v, const Path& path) {
  const json::object* ops = v.if_object();
  if (!ops) return;
  if (ops->empty()) fail(path, "expected an operator");
  for (const auto& member : *ops) {
    const std::string_view op = member.key();
    const json::value& operand = member.value();
    const Path at(path, op);
    if (op == "$eq" || op == "$ne" || op == "$contains") {
      if (operand.is_object()) fail(at, "expected a value, not an object");
    } else if (op == "$in" || op == "$nin") {
      if (!operand.is_array()) fail(at, "expected array");
    } else if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") {
      if (!operand.is_string() && !operand.is_number()) fail(at, "expected string or number");
    } else if (op == "$exists") {
      if (!operand.is_bool()) fail(at, "expected boolean");
    } else if (op == "$autocomplete" || op == "$q") {
      if (!operand.is_string()) fail(at, "expected string");
    } else {
      fail(at, "unknown operator");
    }
  }
}

void check_filter(const json::value& v, const Path& path) {
  if (path.depth() > kMaxModelDepth) fail(path, "nested too deeply");
  const json::object* object = v.if_object();
  if (!object) fail(path, "expected object");
  for (const auto& member : *object) {
    const std::string_view key = member.key();
    const Path at(path, key);
    if (key == "$and" || key == "$or" || key == "$nor") {
      const json::array* filters = member.value().if_array();
      if (!filters) fail(at, "expected array of filters");
      if (filters->empty()) fail(at, "expected at least one filter");
      for (std::size_t i = 0; i < filters->size(); ++i)
        check_filter((*filters)[i], Path(at, i));
    } else if (key.empty() || key.front() == '$') {
      fail(at, "expected a field name or $and, $or, $nor");
    } else {
      check_condition(member.value(), at);
    }
  }
}

}  // namespace

void read(const json::value& v, Filter& out, const Path& path) {
  check_filter(v, path);
  out = FilterAccess::make(v.get_object());
}

json::value write(const Filter& v) {
  return v.json();
}

void read(const json::value& v, SortOption& out, const Path& path) {
  const json::object* object = v.if_object();
  if (!object) fail(path, "expected object");
  const json::value* field = object->if_contains("field");
  if (!field) fail(Path(path, "field"), "required");
  read(*field, out.field, Path(path, "field"));
  const json::value* direction = object->if_contains("direction");
  if (!direction) fail(Path(path, "direction"), "required");
  std::int64_t d = 0;
  read(*direction, d, Path(path, "direction"));
  if (d != 1 && d != -1) fail(Path(path, "direction"), "expected 1 or -1");
  out.direction = d == 1 ? SortDirection::ascending : SortDirection::descending;
  for (const auto& member : *object) {
    if (member.key() != "field" && member.key() != "direction") {
      fail(Path(path, member.key()), "unknown member of a sort option");
    }
  }
}

json::value write(const SortOption& v) {
  return json::object{{"field", v.field}, {"direction", static_cast<int>(v.direction)}};
}

void append(const Filter& v, JsonWriter& w) {
  w.value(v.json());
}

void append(const SortOption& v, JsonWriter& w) {
  w.begin_object();
  w.key("field");
  w.string(v.field);
  w.key("direction");
  w.integer(static_cast<int>(v.direction));
  w.end_object();
}

const FieldTable<MessagePagination>& field_table(Tag<MessagePagination>) {
  using P = MessagePagination;
  static const FieldTable<P> table(
      "messages",
      {CHATKEEP_FIELD(P, limit), CHATKEEP_FIELD(P, id_lt), CHATKEEP_FIELD(P, id_lte),
       CHATKEEP_FIELD(P, id_gt), CHATKEEP_FIELD(P, id_gte), CHATKEEP_FIELD(P, id_around)});
  return table;
}

const FieldTable<Pagination>& field_table(Tag<Pagination>) {
  static const FieldTable<Pagination> table(
      "pagination", {CHATKEEP_FIELD(Pagination, limit), CHATKEEP_FIELD(Pagination, offset)});
  return table;
}

const FieldTable<QueryChannelsRequest>& field_table(Tag<QueryChannelsRequest>) {
  using Q = QueryChannelsRequest;
  static const FieldTable<Q> table(
      "query", {CHATKEEP_REQUIRED(Q, filter_conditions), CHATKEEP_FIELD(Q, sort),
                CHATKEEP_FIELD(Q, state), CHATKEEP_FIELD(Q, watch), CHATKEEP_FIELD(Q, presence),
                CHATKEEP_FIELD(Q, limit), CHATKEEP_FIELD(Q, offset),
                CHATKEEP_FIELD(Q, message_limit), CHATKEEP_FIELD(Q, member_limit)});
  return table;
}

}  // namespace model

Filter Filter::from_json(const boost::json::value& json) {
  Filter filter;
  model::read(json, filter, model::Path("filter"));
  return filter;
}

Filter Filter::condition(std::string_view field, std::string_view op, boost::json::value operand) {
  boost::json::object condition;
  condition.emplace(op, std::move(operand));
  boost::json::object filter;
  filter.emplace(field, std::move(condition));
  return from_json(filter);
}

Filter Filter::group(std::string_view op, std::vector<Filter> filters) {
  boost::json::array array;
  array.reserve(filters.size());
  for (auto& f : filters)
    array.emplace_back(std::move(f.json_));
  boost::json::object filter;
  filter.emplace(op, std::move(array));
  return from_json(filter);
}

Filter Filter::eq(std::string_view field, boost::json::value value) {
  return condition(field, "$eq", std::move(value));
}
Filter Filter::ne(std::string_view field, boost::json::value value) {
  return condition(field, "$ne", std::move(value));
}
Filter Filter::in(std::string_view field, boost::json::array values) {
  return condition(field, "$in", std::move(values));
}
Filter Filter::nin(std::string_view field, boost::json::array values) {
  return condition(field, "$nin", std::move(values));
}
Filter Filter::gt(std::string_view field, boost::json::value value) {
  return condition(field, "$gt", std::move(value));
}
Filter Filter::gte(std::string_view field, boost::json::value value) {
  return condition(field, "$gte", std::move(value));
}
Filter Filter::lt(std::string_view field, boost::json::value value) {
  return condition(field, "$lt", std::move(value));
}
Filter Filter::lte(std::string_view field, boost::json::value value) {
  return condition(field, "$lte", std::move(value));
}
Filter Filter::exists(std::string_view field, bool exists) {
  return condition(field, "$exists", exists);
}
Filter Filter::all_of(std::vector<Filter> filters) {
  return group("$and", std::move(filters));
}
Filter Filter::any_of(std::vector<Filter> filters) {
  return group("$or", std::move(filters));
}
Filter Filter::none_of(std::vector<Filter> filters) {
  return group("$nor", std::move(filters));
}

std::string Filter::canonical() const {
  return canonical_json(json_);
}

}  // namespace chatkeep
