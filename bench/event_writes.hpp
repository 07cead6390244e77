#pragma once

// The writes each event implies, for the benchmark's event streams. A stand-in for the client's
// event applier (src/sync/, a later issue), which will replace it here; it covers the event types
// the streams carry.

#include <string>

#include "chatkeep/event.hpp"
#include "chatkeep/persistence.hpp"

namespace chatkeep::bench {

void add_writes(const Event& event, const std::string& me, Batch& batch);

}  // namespace chatkeep::bench
