#include "model/draft.hpp"

#include "model/tables.hpp"

namespace chatkeep::model {

Draft read_draft(const json::value& v, const Path& path) {
  const json::object* object = v.if_object();
  if (!object) fail(path, "expected object");
  Draft draft;
  auto required = [&](std::string_view key) -> const json::value& {
    const json::value* field = object->if_contains(key);
    if (!field) fail(Path(path, key), "required");
    return *field;
  };
  read(required("channel_cid"), draft.cid, Path(path, "channel_cid"));
  read(required("created_at"), draft.created_at, Path(path, "created_at"));
  read(required("message"), draft.message, Path(path, "message"));
  if (const json::value* parent = object->if_contains("parent_id"); parent && !parent->is_null()) {
    read(*parent, draft.parent_id.emplace(), Path(path, "parent_id"));
    if (draft.parent_id->empty()) draft.parent_id.reset();
  }
  draft.message.cid = draft.cid;
  draft.message.parent_id = draft.parent_id;
  return draft;
}

}  // namespace chatkeep::model
