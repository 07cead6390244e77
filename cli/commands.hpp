#pragma once

// The chatkeep program's subcommands. Each adds itself to the program; its callback runs the
// command and sets `status`, the program's exit status. Failures throw (ChatError or another
// std::exception); the program prints them as one line and exits 1.

#include <CLI/CLI.hpp>

namespace chatkeep::cli {

void add_agent(CLI::App& app, int& status);
void add_chat(CLI::App& app, int& status);
void add_demo(CLI::App& app, int& status);
void add_demo_app(CLI::App& app, int& status);  // the demo's app process; hidden
void add_inspect(CLI::App& app, int& status);
void add_query(CLI::App& app, int& status);
void add_search(CLI::App& app, int& status);
void add_send(CLI::App& app, int& status);
void add_serve(CLI::App& app, int& status);
void add_sync(CLI::App& app, int& status);
void add_token(CLI::App& app, int& status);

}  // namespace chatkeep::cli
