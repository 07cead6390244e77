#pragma once

// A random but reproducible script of offline actions by one user across channels, and the state
// it implies on the server once everything is delivered. The crash test's child process plays it;
// the parent checks the server against it.

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace chatkeep::testing {

enum class ScriptOp { send, edit, remove, react, unreact };

struct ScriptAction {
  ScriptOp op = ScriptOp::send;
  std::string cid;
  std::string message_id;
  std::string text;      // send, edit
  std::string reaction;  // react, unreact
};

struct ScriptedMessage {
  std::string id;
  std::string text;
  std::set<std::string> reactions;
};

class OutboxScript {
 public:
  OutboxScript(std::uint32_t seed, std::size_t length, const std::vector<std::string>& cids) {
    std::mt19937 random(seed);
    std::map<std::string, std::vector<std::string>> live;  // per channel, in send order
    for (std::size_t i = 0; i < length; ++i) {
      ScriptAction a;
      a.cid = cids[random() % cids.size()];
      auto& messages = live[a.cid];
      const auto roll = random() % 100;
      if (messages.empty() || roll < 50) {
        a.op = ScriptOp::send;
        a.message_id = "script-" + std::to_string(seed) + "-" + std::to_string(i);
        a.text = "text " + std::to_string(i);
        messages.push_back(a.message_id);
        final_[a.message_id] = {a.message_id, a.text, {}};
        order_[a.cid].push_back(a.message_id);
      } else {
        a.message_id = messages[random() % messages.size()];
        auto& m = final_[a.message_id];
        if (roll < 70) {
          a.op = ScriptOp::edit;
          a.text = "text " + std::to_string(i) + " (edited)";
          m.text = a.text;
        } else if (roll < 80) {
          a.op = ScriptOp::remove;
          std::erase(messages, a.message_id);
          final_.erase(a.message_id);
          std::erase(order_[a.cid], a.message_id);
        } else if (roll < 95) {
          a.op = ScriptOp::react;
          a.reaction = random() % 2 ? "like" : "love";
          m.reactions.insert(a.reaction);
        } else {
          a.op = ScriptOp::unreact;
          a.reaction = random() % 2 ? "like" : "love";
          m.reactions.erase(a.reaction);
        }
      }
      actions_.push_back(std::move(a));
    }
  }

  const std::vector<ScriptAction>& actions() const { return actions_; }
  // The messages the server must hold in the end, by id, and each channel's in sending order.
  const std::map<std::string, ScriptedMessage>& final_messages() const { return final_; }
  const std::map<std::string, std::vector<std::string>>& order() const { return order_; }

 private:
  std::vector<ScriptAction> actions_;
  std::map<std::string, ScriptedMessage> final_;
  std::map<std::string, std::vector<std::string>> order_;
};

}  // namespace chatkeep::testing
