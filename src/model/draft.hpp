#pragma once

// Drafts as the server sends them (protocol.md, "drafts": {channel_cid, parent_id?, message,
// created_at}), in draft.updated and draft.deleted events and in the draft routes' answers.

#include "chatkeep/persistence.hpp"
#include "model/codec.hpp"

namespace chatkeep::model {

// Throws ChatError (input) naming the field when `v` is not a draft; the message's cid and
// parent_id are the draft's.
Draft read_draft(const json::value& v, const Path& path);

}  // namespace chatkeep::model
