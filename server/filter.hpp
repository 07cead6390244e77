#pragma once

#include <boost/json/object.hpp>

namespace chatkeep::server {

// Whether a document (a channel as JSON, with `members` as the list of member ids) satisfies a
// Stream filter whose shape Filter::from_json has checked: $eq (or a bare value), $ne, $in,
// $nin, $gt, $gte, $lt, $lte, $exists, $and, $or, $nor. On `members`, $eq and $in ask whether
// the list holds the value(s). Strings that are RFC 3339 times compare as times.
bool matches(const boost::json::object& filter, const boost::json::object& document);

// -1, 0 or 1 as filters order two values (times as times); values of different kinds are equal.
int compare_values(const boost::json::value& a, const boost::json::value& b);

}  // namespace chatkeep::server
