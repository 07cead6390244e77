#pragma once

#include <string>

namespace chatkeep {

// A random (version 4) UUID in lower-case canonical form, from the operating system's CSPRNG.
// Client-generated message ids are these, which makes a retried send idempotent.
std::string make_uuid_v4();

}  // namespace chatkeep
