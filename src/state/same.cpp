#include "state/same.hpp"

#include "chatkeep/json.hpp"

namespace chatkeep::state {
namespace {

bool same_upload(const std::optional<AttachmentUpload>& a,
                 const std::optional<AttachmentUpload>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->key == b->key && a->local_file == b->local_file && a->state == b->state &&
                a->bytes_total == b->bytes_total && a->error == b->error);
}

bool same_local(const Message& a, const Message& b) {
  if (a.local_state != b.local_state || a.local_error != b.local_error) return false;
  const std::size_t n = a.attachments ? a.attachments->size() : 0;
  if (n != (b.attachments ? b.attachments->size() : 0)) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (!same_upload((*a.attachments)[i].upload, (*b.attachments)[i].upload)) return false;
  }
  return true;
}

bool same_local(const std::optional<std::vector<Message>>& a,
                const std::optional<std::vector<Message>>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  if (a->size() != b->size()) return false;
  for (std::size_t i = 0; i < a->size(); ++i) {
    if (!same_local((*a)[i], (*b)[i])) return false;
  }
  return true;
}

}  // namespace

bool same(const Message& a, const Message& b) {
  return same_local(a, b) && to_json(a) == to_json(b);
}

bool same(const ChannelState& a, const ChannelState& b) {
  const std::size_t n = a.read ? a.read->size() : 0;
  if (n != (b.read ? b.read->size() : 0)) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if ((*a.read)[i].unread_mentions != (*b.read)[i].unread_mentions) return false;
  }
  return same_local(a.messages, b.messages) && same_local(a.pinned_messages, b.pinned_messages) &&
         to_json(a) == to_json(b);
}

}  // namespace chatkeep::state
