#pragma once

// Process identity for what several processes share through the user's database (the app and its
// agent): a holder id names who holds a lease or a claim on work, and says whether that holder's
// process still runs. Every process sharing a database in WAL mode is on this machine, so a pid
// that is gone means a holder that died.

#include <string>
#include <string_view>

namespace chatkeep::process {

// A new holder id, "<pid>:<16 hex digits>": this process, and a random part that tells apart the
// holders within it (a client and a scheduler, or two clients).
std::string new_holder_id();

// Whether the process a holder id names ("<pid>:...") still exists. A holder named otherwise counts
// as alive: what it holds runs out by time.
bool holder_alive(std::string_view holder);

}  // namespace chatkeep::process
