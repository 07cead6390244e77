#pragma once

// The writes each event implies, for the benchmark's event streams. A stand-in for the client's
// event applier (src/sync/, a later issue), which will replace it here; it covers the event types
// the streams carry.

#include <string>

#include "chatkeep/event.hpp"
#include "chatkeep/persistence.hpp"

namespace chatkeep::bench {

// Moves what it needs out of the event, as the applier will (events are applied once).
void add_writes(Event event, const std::string& me, Batch& batch);

}  // namespace chatkeep::bench
