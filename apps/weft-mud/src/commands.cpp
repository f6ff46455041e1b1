#include "commands.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "text.hpp"

namespace mud {

void (*request_shutdown)(std::string_view) = nullptr;

namespace {

using handler = void (*)(context&, std::string_view);

struct command {
  std::string_view name;
  handler fn;
  std::string_view help;
  bool admin = false;
};

std::string idle_text(weft::clock::duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  return std::to_string(s / 3600) + "h";
}

bool matches_keyword(const std::vector<std::string>& keywords, std::string_view word) {
  for (const auto& k : keywords)
    if (starts_with_ci(k, word)) return true;
  return false;
}

// "#17", "token", "2.token". `movable`: only things not already being moved by someone.
object* find_object(const std::vector<object*>& in, std::string_view arg, bool movable = false) {
  if (arg.empty()) return nullptr;
  if (arg[0] == '#') {
    std::int64_t id = std::atoll(std::string(arg.substr(1)).c_str());
    for (object* o : in)
      if (o->id == id && !(movable && o->moving)) return o;
    return nullptr;
  }
  int nth = 1;
  if (auto dot = arg.find('.'); dot != std::string_view::npos && dot > 0 && std::isdigit(static_cast<unsigned char>(arg[0]))) {
    nth = std::atoi(std::string(arg.substr(0, dot)).c_str());
    arg = arg.substr(dot + 1);
  }
  for (object* o : in)
    if (!(movable && o->moving) && matches_keyword(o->proto->keywords, arg) && --nth == 0) return o;
  return nullptr;
}

player* find_in_room(context& c, std::string_view arg) {
  if (arg.empty()) return nullptr;
  for (player* p : c.p.where->players)
    if (starts_with_ci(p->name(), arg)) return p;
  return nullptr;
}

creature* find_creature(room* r, std::string_view arg) {
  for (creature* cr : r->creatures)
    if (matches_keyword(cr->def->keywords, arg)) return cr;
  return nullptr;
}

player* find_online(game& g, std::string_view arg) {
  if (player* p = g.find_player(arg); p && p->sess) return p;
  player* found = nullptr;
  for (auto& [k, p] : g.players)
    if (p->sess && starts_with_ci(p->name(), arg)) {
      if (found) return nullptr;  // ambiguous
      found = p.get();
    }
  return found;
}

// ---- movement ----

void go(context& c, std::string_view dir) {
  const exit_to* e = c.p.where->exit(dir);
  if (!e) {
    c.s.line("You cannot go that way.");
    return;
  }
  room* from = c.p.where;
  room* to = e->to;
  c.g.move_player(c.p, to);  // committed before anyone is told
  c.g.to_room(from, paint(ansi::player, c.p.name()) + " leaves " + std::string(dir) + ".", &c.p);
  std::string_view back = opposite_dir(dir);
  std::string arrive = paint(ansi::player, c.p.name()) + " arrives";
  if (back == "up") arrive += " from above.";
  else if (back == "down") arrive += " from below.";
  else arrive += " from the " + std::string(back) + ".";
  c.g.to_room(to, arrive, &c.p);
  show_room(c);
}

// ---- looking ----

std::string list_objects(const std::vector<object*>& objs) {
  // "two brass tokens" would need plurals; the count keeps it honest and short.
  std::map<std::string, int> counts;
  std::vector<std::string> order;
  for (const object* o : objs) {
    if (counts[o->proto->name]++ == 0) order.push_back(o->proto->name);
  }
  std::string out;
  for (const auto& n : order) {
    out += "  " + paint(ansi::object, n);
    if (counts[n] > 1) out += " (x" + std::to_string(counts[n]) + ")";
    out += "\n";
  }
  return out;
}

void cmd_look(context& c, std::string_view args) {
  if (args.empty()) {
    show_room(c);
    return;
  }
  if (starts_with_ci(args, "at ")) args = trim(args.substr(3));
  if (object* o = find_object(c.p.inv, args); o || (o = find_object(c.p.where->objects, args))) {
    c.s.line(o->proto->desc.empty() ? "You see nothing special." : o->proto->desc);
    return;
  }
  if (player* p = find_in_room(c, args)) {
    std::string t = paint(ansi::player, p->name()) + " is here, looking about.";
    if (!p->inv.empty()) t += "\n" + p->name() + " carries:\n" + list_objects(p->inv);
    c.s.line(t);
    return;
  }
  if (creature* cr = find_creature(c.p.where, args)) {
    c.s.line(cr->def->desc);
    return;
  }
  if (std::string_view d = canonical_dir(args); !d.empty()) {
    const exit_to* e = c.p.where->exit(d);
    c.s.line(e ? "To the " + std::string(d) + " is " + e->to->name + "." : "Nothing that way.");
    return;
  }
  c.s.line("You see no " + std::string(args) + " here.");
}

void cmd_examine(context& c, std::string_view args) {
  if (args.empty()) {
    c.s.line("Examine what?");
    return;
  }
  object* o = find_object(c.p.inv, args);
  if (!o) o = find_object(c.p.where->objects, args);
  if (!o) {
    cmd_look(c, args);
    return;
  }
  c.s.line(paint(ansi::object, o->proto->name) + " (#" + std::to_string(o->id) + ")\n" + o->proto->desc);
}

// ---- talking ----

void cmd_say(context& c, std::string_view args) {
  std::string text = sanitize(args);
  if (text.empty()) {
    c.s.line("Say what?");
    return;
  }
  c.s.line(paint(ansi::speech, "You say, \"" + text + "\""));
  c.g.to_room(c.p.where, paint(ansi::speech, c.p.name() + " says, \"" + text + "\""), &c.p);
  std::string j = "{\"channel\":\"say\",\"talker\":" + json_string(c.p.name()) + ",\"text\":" + json_string(text) + "}";
  c.g.gmcp_room(c.p.where, "Comm.Channel", j);
}

void cmd_shout(context& c, std::string_view args) {
  std::string text = sanitize(args);
  if (text.empty()) {
    c.s.line("Shout what?");
    return;
  }
  c.s.line(paint(ansi::alert, "You shout, \"" + text + "\""));
  c.g.to_all(paint(ansi::alert, c.p.name() + " shouts, \"" + text + "\""), &c.p);
  std::string j = "{\"channel\":\"shout\",\"talker\":" + json_string(c.p.name()) + ",\"text\":" + json_string(text) + "}";
  for (auto& [k, p] : c.g.players)
    if (p->sess) p->sess->gmcp("Comm.Channel", j);
}

void cmd_tell(context& c, std::string_view args) {
  std::string_view rest;
  std::string_view who = first_word(args, &rest);
  std::string text = sanitize(rest);
  if (who.empty() || text.empty()) {
    c.s.line("Tell whom what?");
    return;
  }
  player* to = find_online(c.g, who);
  if (!to) {
    c.s.line("No one called " + std::string(who) + " is here.");
    return;
  }
  c.s.line(paint(ansi::speech, "You tell " + to->name() + ", \"" + text + "\""));
  to->sess->line(paint(ansi::speech, c.p.name() + " tells you, \"" + text + "\""));
  to->sess->gmcp("Comm.Channel", "{\"channel\":\"tell\",\"talker\":" + json_string(c.p.name()) +
                                     ",\"text\":" + json_string(text) + "}");
}

void cmd_emote(context& c, std::string_view args) {
  std::string text = sanitize(args);
  if (text.empty()) {
    c.s.line("Emote what?");
    return;
  }
  std::string t = c.p.name() + " " + text;
  c.s.line(t);
  c.g.to_room(c.p.where, t, &c.p);
}

void cmd_who(context& c, std::string_view) {
  std::string t = paint(ansi::bold, "Players in the game:") + "\n";
  auto now = weft::clock::now();
  std::size_t n = 0;
  for (auto& [k, p] : c.g.players) {
    if (!p->sess) continue;
    ++n;
    std::string name = p->name();
    name.resize(16, ' ');
    t += "  " + paint(ansi::player, name) + " idle " + idle_text(now - p->sess->last_input) + ", " +
         p->sess->info.client + "\n";
  }
  t += std::to_string(n) + (n == 1 ? " player." : " players.");
  c.s.line(t);
}

// ---- things ----

void cmd_get(context& c, std::string_view args) {
  if (args.empty()) {
    c.s.line("Get what?");
    return;
  }
  if (equals_ci(args, "all")) {
    if (c.p.where->objects.empty()) {
      c.s.line("There is nothing here to take.");
      return;
    }
    std::vector<object*> all = c.p.where->objects;
    for (object* o : all) {
      if (o->in_room != c.p.where || o->moving) continue;  // someone else took it meanwhile
      c.g.give_object(o, c.p);
      c.s.line("You get " + o->proto->name + ".");
      c.g.to_room(c.p.where, c.p.name() + " gets " + o->proto->name + ".", &c.p);
    }
    return;
  }
  object* o = find_object(c.p.where->objects, args, true);
  if (!o) {
    c.s.line(find_object(c.p.where->objects, args) ? "Someone is already taking it."
                                                   : "You see no " + std::string(args) + " here.");
    return;
  }
  c.g.give_object(o, c.p);
  c.s.line("You get " + o->proto->name + ".");
  c.g.to_room(c.p.where, c.p.name() + " gets " + o->proto->name + ".", &c.p);
}

void cmd_drop(context& c, std::string_view args) {
  if (args.empty()) {
    c.s.line("Drop what?");
    return;
  }
  std::vector<object*> which;
  if (equals_ci(args, "all")) which = c.p.inv;
  else if (object* o = find_object(c.p.inv, args, true)) which.push_back(o);
  if (which.empty()) {
    c.s.line("You have no " + std::string(args) + ".");
    return;
  }
  for (object* o : which) {
    if (o->carried_by != &c.p || o->moving) continue;
    room* r = c.p.where;
    c.g.drop_object(o, r);
    c.s.line("You drop " + o->proto->name + ".");
    c.g.to_room(r, c.p.name() + " drops " + o->proto->name + ".", &c.p);
  }
}

void cmd_give(context& c, std::string_view args) {
  // give <thing> [to] <player>
  std::string_view rest;
  std::string_view what = first_word(args, &rest);
  if (starts_with_ci(rest, "to ")) rest = trim(rest.substr(3));
  if (what.empty() || rest.empty()) {
    c.s.line("Give what to whom?");
    return;
  }
  object* o = find_object(c.p.inv, what, true);
  if (!o) {
    c.s.line("You have no " + std::string(what) + ".");
    return;
  }
  player* to = find_in_room(c, rest);
  if (!to || to == &c.p) {
    if (creature* cr = find_creature(c.p.where, rest)) {
      c.s.line(cr->def->name + " sniffs " + o->proto->name + " and loses interest.");
      return;
    }
    c.s.line("No one called " + std::string(rest) + " is here.");
    return;
  }
  c.g.give_object(o, *to);  // committed before either side is told
  c.s.line("You give " + o->proto->name + " to " + to->name() + ".");
  if (to->sess) {
    to->sess->line(c.p.name() + " gives you " + o->proto->name + ".");
    to->sess->gmcp("Char.Vitals", c.g.vitals_json(*to));
  }
  c.g.to_room(c.p.where, c.p.name() + " gives " + o->proto->name + " to " + to->name() + ".", &c.p, to);
  c.s.gmcp("Char.Vitals", c.g.vitals_json(c.p));
}

void cmd_inventory(context& c, std::string_view) {
  if (c.p.inv.empty()) {
    c.s.line("You are carrying nothing.");
    return;
  }
  c.s.line("You are carrying:\n" + list_objects(c.p.inv));
}

void cmd_colour(context& c, std::string_view args) {
  bool on = args.empty() ? !c.s.colour : equals_ci(args, "on");
  c.s.colour = on;
  c.p.acct.colour = on;
  c.g.save_account_fields(c.p);
  c.s.line(on ? paint(ansi::room, "Colour is on.") : "Colour is off.");
}

void cmd_quit(context& c, std::string_view) {
  c.s.line("You leave the Royal Mile. Your things are safe. Goodbye!");
}

void cmd_help(context& c, std::string_view args);

void cmd_north(context& c, std::string_view) { go(c, "north"); }
void cmd_south(context& c, std::string_view) { go(c, "south"); }
void cmd_east(context& c, std::string_view) { go(c, "east"); }
void cmd_west(context& c, std::string_view) { go(c, "west"); }
void cmd_ne(context& c, std::string_view) { go(c, "northeast"); }
void cmd_nw(context& c, std::string_view) { go(c, "northwest"); }
void cmd_se(context& c, std::string_view) { go(c, "southeast"); }
void cmd_sw(context& c, std::string_view) { go(c, "southwest"); }
void cmd_up(context& c, std::string_view) { go(c, "up"); }
void cmd_down(context& c, std::string_view) { go(c, "down"); }

// Table order breaks prefix ties the way players expect ("s" is south, "l" is look).
const command commands[] = {
    {"north", cmd_north, "Walk north (n)."},
    {"south", cmd_south, "Walk south (s)."},
    {"east", cmd_east, "Walk east (e)."},
    {"west", cmd_west, "Walk west (w)."},
    {"northeast", cmd_ne, "Walk northeast (ne)."},
    {"northwest", cmd_nw, "Walk northwest (nw)."},
    {"southeast", cmd_se, "Walk southeast (se)."},
    {"southwest", cmd_sw, "Walk southwest (sw)."},
    {"up", cmd_up, "Climb up (u)."},
    {"down", cmd_down, "Go down (d)."},
    {"look", cmd_look, "look [thing|player|direction]: the room, or something in it (l)."},
    {"examine", cmd_examine, "examine <thing>: a closer look, with the thing's number (#17)."},
    {"say", cmd_say, "say <text>: speak to the room ('text)."},
    {"shout", cmd_shout, "shout <text>: speak to everyone in the game."},
    {"tell", cmd_tell, "tell <player> <text>: a private message."},
    {"emote", cmd_emote, "emote <action>: 'emote waves' shows 'Ada waves' (:waves)."},
    {"who", cmd_who, "Who is in the game, their idle time and client."},
    {"get", cmd_get, "get <thing>|all: pick things up."},
    {"take", cmd_get, "take <thing>|all: as get."},
    {"drop", cmd_drop, "drop <thing>|all."},
    {"give", cmd_give, "give <thing> [to] <player>."},
    {"inventory", cmd_inventory, "What you carry (i)."},
    {"help", cmd_help, "help [command]."},
    {"colour", cmd_colour, "colour [on|off]: ANSI colour (also 'color')."},
    {"color", cmd_colour, "color [on|off]: ANSI colour."},
    {"quit", cmd_quit, "Leave the game (everything is saved)."},
    {"@tasklets", cmd_at_tasklets, "Every live tasklet: name, state, what it waits on.", true},
    {"@lag", cmd_at_lag, "Command latency over the last minute: p50, p99, max.", true},
    {"@who", cmd_at_who, "Connections: address, client, TTYPE, protocol, idle.", true},
    {"@boot", cmd_at_boot, "@boot <player> [reason]: disconnect a player.", true},
    {"@ban", cmd_at_ban, "@ban [name|address]: list bans, or ban a character or an address (10.1.* a range).", true},
    {"@unban", cmd_at_unban, "@unban <name|address>: lift a ban.", true},
    {"@shutdown", cmd_at_shutdown, "Shut the server down gracefully.", true},
};

const std::map<std::string_view, std::string_view> aliases = {
    {"n", "north"}, {"s", "south"}, {"e", "east"}, {"w", "west"}, {"ne", "northeast"}, {"nw", "northwest"},
    {"se", "southeast"}, {"sw", "southwest"}, {"u", "up"}, {"d", "down"}, {"l", "look"}, {"i", "inventory"},
    {"inv", "inventory"}, {"x", "examine"}, {"q", "quit"},
};

// The command `word` names: an alias, an exact name, or the single command it is a prefix of
// (a direction wins over the longer directions it prefixes: "so" is south). Sets *ambiguous
// to the candidates if there are several.
const command* lookup(std::string_view word, bool admin, std::string* ambiguous) {
  if (auto it = aliases.find(lower(word)); it != aliases.end()) word = it->second;
  const command* found = nullptr;
  std::vector<const command*> candidates;
  for (const auto& c : commands) {
    if (c.admin && !admin) continue;
    if (equals_ci(c.name, word)) return &c;
    if (!starts_with_ci(c.name, word)) continue;
    if (!found) found = &c;
    bool same = false;
    for (const command* k : candidates) same |= k->fn == c.fn;
    if (!same) candidates.push_back(&c);
  }
  if (candidates.size() > 1 && !canonical_dir(found->name).empty()) return found;
  if (candidates.size() > 1) {
    for (const command* k : candidates) *ambiguous += (ambiguous->empty() ? "" : ", ") + std::string(k->name);
    return nullptr;
  }
  return found;
}

void cmd_help(context& c, std::string_view args) {
  if (!args.empty()) {
    std::string amb;
    const command* cmd = lookup(args, c.p.acct.admin, &amb);
    if (!cmd) {
      c.s.line(amb.empty() ? "No such command." : "Which one: " + amb + "?");
      return;
    }
    c.s.line(std::string(cmd->name) + ": " + std::string(cmd->help));
    return;
  }
  std::string t = paint(ansi::bold, "Commands") + " (any unambiguous prefix works):\n";
  t += "  Moving:   n s e w ne nw se sw u d (or north, south, ...)\n";
  t += "  Looking:  look, examine, inventory, who\n";
  t += "  Talking:  say (or '), shout, tell, emote (or :)\n";
  t += "  Things:   get/take, drop, give\n";
  t += "  Other:    colour, help <command>, quit";
  if (c.p.acct.admin) t += "\n  Admin:    @tasklets, @lag, @who, @boot, @ban, @unban, @shutdown";
  c.s.line(t);
}

}  // namespace

void show_room(context& c) {
  room* r = c.p.where;
  std::string t = paint(ansi::room, r->name) + "\n" + r->desc + "\n";
  std::string ex;
  for (const auto& e : r->exits) ex += (ex.empty() ? "" : " ") + e.dir;
  t += paint(ansi::exits, "Exits: " + (ex.empty() ? std::string("none") : ex)) + "\n";
  t += list_objects(r->objects);
  for (creature* cr : r->creatures) t += "  " + cr->def->name + " is here.\n";
  for (player* p : r->players)
    if (p != &c.p) t += "  " + paint(ansi::player, p->name()) + " is here.\n";
  t.pop_back();
  c.s.line(t);
  c.s.gmcp("Room.Info", c.g.room_info_json(r));
}

outcome dispatch(context& c, std::string_view line) {
  line = trim(line);
  if (line.empty()) return outcome::go_on;
  // One-character shorthands that need no space: 'hello  :waves
  if (line[0] == '\'' || line[0] == '"') {
    cmd_say(c, line.substr(1));
    return outcome::go_on;
  }
  if (line[0] == ':') {
    cmd_emote(c, line.substr(1));
    return outcome::go_on;
  }
  std::string_view args;
  std::string_view word = first_word(line, &args);
  std::string amb;
  const command* cmd = lookup(word, c.p.acct.admin, &amb);
  if (!cmd) {
    if (!amb.empty()) c.s.line("\"" + sanitize(word) + "\" could be: " + amb + ".");
    else c.s.line("Unknown command \"" + sanitize(word) + "\". Type 'help' for the list.");
    return outcome::go_on;
  }
  cmd->fn(c, args);
  return cmd->fn == cmd_quit ? outcome::quit : outcome::go_on;
}

}  // namespace mud
