#pragma once

// A random but reproducible script of offline actions by one user across channels, and the state
// it implies on the server once everything is delivered. The crash test's child process plays it;
// the parent checks the server against it.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace chatkeep::testing {

// The user's own settings toggle: each op turns its thing on when off, else off.
enum class ScriptOp {
  send,
  edit,
  remove,
  react,
  unreact,
  pin,   // the message
  mood,  // sets the message's custom field `mood` (text), or unsets it (text empty)
  hide,  // the channel
  mute_channel,
  pin_channel,  // the membership
  mute_user,    // `other`
  block_user,   // `other`
  draft,        // saves the channel's draft (text), or deletes it (text empty)
  status,       // sets the own user's custom field `status` (text)
  create,       // makes channel `cid` with alice and bob
  topic,        // sets the topic (text) of a channel alice made
  add_carol,    // to a channel alice made
  truncate,     // a channel alice made
  destroy,      // deletes a channel alice made
  answer,       // alice's invite to kInvitedCid: accepts it (on) or rejects it, once
  leave         // alice leaves kLeavingCid, once
};

// Channels bob made before the script runs: one he invited alice to, one she is a member of.
inline const std::string kInvitedCid = "messaging:invited";
inline const std::string kLeavingCid = "messaging:leaving";

struct ScriptAction {
  ScriptOp op = ScriptOp::send;
  std::string cid;
  std::string message_id;
  std::string text;      // send, edit, mood
  std::string reaction;  // react, unreact
  std::string other;     // mute_user, block_user
  bool on = false;       // the toggles: whether it turns the thing on
};

struct ScriptedMessage {
  std::string id;
  std::string text;
  std::set<std::string> reactions;
  bool pinned = false;
  std::string mood;  // empty: none
};

// What the user's settings end as.
struct ScriptedSettings {
  std::set<std::string> hidden, muted_channels, pinned_channels;  // cids
  std::set<std::string> muted_users, blocked_users;
  std::map<std::string, std::string> drafts;  // cid: the channel draft's text
  std::string status;                         // empty: never set
  std::optional<bool> accepted;               // alice's answer to her invite, if she gave one
  bool left = false;                          // whether alice left kLeavingCid
};

// A channel the script makes, as it ends.
struct ScriptedChannel {
  std::string topic;   // empty: none
  bool carol = false;  // a member
  bool deleted = false;
};

class OutboxScript {
 public:
  OutboxScript(std::uint32_t seed, std::size_t length, const std::vector<std::string>& cids) {
    std::mt19937 random(seed);
    std::map<std::string, std::vector<std::string>> live;  // per channel, in send order
    std::vector<std::string> made;                         // the channels it makes
    for (std::size_t i = 0; i < length; ++i) {
      ScriptAction a;
      const bool in_made = !made.empty() && random() % 4 == 0;
      a.cid = in_made ? made[random() % made.size()] : cids[random() % cids.size()];
      auto& messages = live[a.cid];
      const auto roll = random() % 100;
      // One in ten: the kinds beyond messages and settings.
      if (random() % 10 == 0) {
        const auto kind = random() % 9;
        if (kind == 0 && made.size() < 3) {
          a.op = ScriptOp::create;
          a.cid = "messaging:made-" + std::to_string(seed) + "-" + std::to_string(i);
          made.push_back(a.cid);
          made_[a.cid] = {};
        } else if (kind == 1 && in_made) {
          a.op = ScriptOp::topic;
          a.text = "topic " + std::to_string(i);
          made_[a.cid].topic = a.text;
        } else if (kind == 2 && in_made) {
          a.op = ScriptOp::add_carol;
          made_[a.cid].carol = true;
        } else if (kind == 3 && in_made) {
          a.op = ScriptOp::truncate;
          for (const auto& id : messages)
            final_.erase(id);
          messages.clear();
          order_[a.cid].clear();
        } else if (kind == 6 && in_made) {
          a.op = ScriptOp::destroy;
          for (const auto& id : messages)
            final_.erase(id);
          messages.clear();
          order_.erase(a.cid);
          settings_.drafts.erase(a.cid);
          for (auto* set : {&settings_.muted_channels, &settings_.pinned_channels})
            set->erase(a.cid);
          std::erase(made, a.cid);
          made_[a.cid].deleted = true;
        } else if (kind == 7 && !settings_.accepted) {
          a.op = ScriptOp::answer;
          a.cid = kInvitedCid;
          a.on = random() % 2;
          settings_.accepted = a.on;
        } else if (kind == 8 && !settings_.left) {
          a.op = ScriptOp::leave;
          a.cid = kLeavingCid;
          settings_.left = true;
        } else if (kind == 4) {
          a.op = ScriptOp::status;
          a.text = "status " + std::to_string(i);
          settings_.status = a.text;
        } else {
          a.op = ScriptOp::draft;
          a.text = settings_.drafts.contains(a.cid) ? "" : "draft " + std::to_string(i);
          if (a.text.empty()) {
            settings_.drafts.erase(a.cid);
          } else {
            settings_.drafts[a.cid] = a.text;
          }
        }
        actions_.push_back(std::move(a));
        continue;
      }
      if (messages.empty() || roll < 50) {
        a.op = ScriptOp::send;
        a.message_id = "script-" + std::to_string(seed) + "-" + std::to_string(i);
        a.text = "text " + std::to_string(i);
        messages.push_back(a.message_id);
        final_[a.message_id] = {a.message_id, a.text, {}};
        order_[a.cid].push_back(a.message_id);
        settings_.drafts.erase(a.cid);  // sending takes the draft away
      } else {
        a.message_id = messages[random() % messages.size()];
        auto& m = final_[a.message_id];
        // Toggles `key` in `set`, saying which way in the action.
        auto toggle = [&](ScriptOp op, std::set<std::string>& set, const std::string& key) {
          a.op = op;
          a.on = set.erase(key) == 0;
          if (a.on) set.insert(key);
        };
        const std::string other = random() % 2 ? "bob" : "carol";
        if (roll < 62) {
          a.op = ScriptOp::edit;
          a.text = "text " + std::to_string(i) + " (edited)";
          m.text = a.text;
          m.mood.clear();  // a full update: the custom fields it leaves out are gone
        } else if (roll < 70) {
          a.op = ScriptOp::remove;
          std::erase(messages, a.message_id);
          final_.erase(a.message_id);
          std::erase(order_[a.cid], a.message_id);
        } else if (roll < 82) {
          a.op = ScriptOp::react;
          a.reaction = random() % 2 ? "like" : "love";
          m.reactions.insert(a.reaction);
        } else if (roll < 86) {
          a.op = ScriptOp::unreact;
          a.reaction = random() % 2 ? "like" : "love";
          m.reactions.erase(a.reaction);
        } else if (roll < 89) {
          a.op = ScriptOp::pin;
          a.on = m.pinned = !m.pinned;
        } else if (roll < 92) {
          a.op = ScriptOp::mood;
          a.text = m.mood.empty() ? "mood " + std::to_string(i) : "";
          m.mood = a.text;
        } else if (roll < 94 && !in_made) {  // truncations would hide what shows it again
          toggle(ScriptOp::hide, hide_toggles_[a.cid], a.cid);
        } else if (roll < 96) {
          toggle(ScriptOp::mute_channel, settings_.muted_channels, a.cid);
        } else if (roll < 97) {
          toggle(ScriptOp::pin_channel, settings_.pinned_channels, a.cid);
        } else if (roll < 99) {
          a.other = other;
          toggle(ScriptOp::mute_user, settings_.muted_users, other);
        } else {
          a.other = other;
          toggle(ScriptOp::block_user, settings_.blocked_users, other);
        }
      }
      actions_.push_back(std::move(a));
    }
    // Hidden in the end: the channel's last hide or show, or a message sent after it that
    // reaches the server (one deleted before it went never does), which shows it again.
    for (const auto& a : actions_) {
      if (a.op == ScriptOp::hide && a.on) settings_.hidden.insert(a.cid);
      if ((a.op == ScriptOp::hide && !a.on) ||
          (a.op == ScriptOp::send && final_.contains(a.message_id))) {
        settings_.hidden.erase(a.cid);
      }
    }
  }

  const std::vector<ScriptAction>& actions() const { return actions_; }
  // The messages the server must hold in the end, by id, and each channel's in sending order.
  const std::map<std::string, ScriptedMessage>& final_messages() const { return final_; }
  const std::map<std::string, std::vector<std::string>>& order() const { return order_; }
  const ScriptedSettings& settings() const { return settings_; }
  const std::map<std::string, ScriptedChannel>& made() const { return made_; }

 private:
  std::map<std::string, ScriptedChannel> made_;
  std::map<std::string, std::set<std::string>> hide_toggles_;  // per channel: {cid} if hidden
  ScriptedSettings settings_;
  std::vector<ScriptAction> actions_;
  std::map<std::string, ScriptedMessage> final_;
  std::map<std::string, std::vector<std::string>> order_;
};

}  // namespace chatkeep::testing
