#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "chatkeep/log.hpp"

namespace chatkeep::log {

// The spdlog logger a part of chatkeep writes to, built from the app's options: lines at or above
// options.level go to options.sink, or to stderr when no sink is given. With the default options it
// drops everything before formatting, so logging costs a comparison.
std::shared_ptr<spdlog::logger> make_logger(std::string name, const LogOptions& options);

}  // namespace chatkeep::log
