// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli.hpp"

#include "daemon_verbs.hpp"
#include "exit_codes.hpp"
#include "import.hpp"
#include "output.hpp"
#include "store.hpp"

#include <CLI/CLI.hpp>
#include <array>
#include <csignal>
#include <cstdlib>
#include <istream>
#include <map>
#include <ostream>
#include <termios.h>
#include <unistd.h>

#ifndef ISCSI_INI_VERSION
#define ISCSI_INI_VERSION "unknown"
#endif

namespace iscsictl {
namespace {

// Usage lines in the exact forms the documentation gives, instead of CLI11's generated ones.
class usage_formatter final : public CLI::Formatter {
public:
    void set_usage(const CLI::App* app, std::string usage) { usages_[app] = std::move(usage); }
    std::string make_usage(const CLI::App* app, std::string name) const override {
        auto it = usages_.find(app);
        if (it == usages_.end())
            return CLI::Formatter::make_usage(app, std::move(name));
        return "Usage: " + it->second + "\n";
    }

private:
    std::map<const CLI::App*, std::string> usages_;
};

struct global_options {
    std::string store;
    std::string socket; // the iscsid control socket, for the daemon verbs
    bool json = false;
    int verbose = 0;
    int quiet = 0;
};

struct context {
    const invocation& io;
    std::filesystem::path store_path;
    std::filesystem::path initiatorname_path;
    std::filesystem::path socket_path;
    std::unique_ptr<printer> print;
    bool quiet = false;

    void note(std::string_view message) const {
        if (!quiet)
            print->note(message);
    }
    void warn(std::string_view message) const {
        if (!quiet)
            io.err << "iscsictl: warning: " << message << '\n';
    }
};

// One KEY=VALUE of the command line; an empty value restores the key's default.
struct setting {
    const key_def* key;
    std::string value;
};

error usage_error(std::string message) {
    return {exit_code::usage, std::move(message)};
}

// The terminal settings to put back if a signal ends iscsictl while echo is off: a Ctrl-C at the
// secret prompt must not leave the user's shell without echo.
termios terminal_before_prompt{};

extern "C" void restore_terminal_and_die(int signal_number) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &terminal_before_prompt);
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

// Turns echo off on the terminal for its lifetime, restoring it however reading ends.
class echo_off {
public:
    echo_off() {
        if (::tcgetattr(STDIN_FILENO, &terminal_before_prompt) != 0)
            return;
        for (std::size_t i = 0; i < signals.size(); ++i)
            previous_[i] = std::signal(signals[i], restore_terminal_and_die);
        termios quiet = terminal_before_prompt;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        active_ = true;
    }
    echo_off(const echo_off&) = delete;
    echo_off& operator=(const echo_off&) = delete;
    ~echo_off() {
        if (!active_)
            return;
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &terminal_before_prompt);
        for (std::size_t i = 0; i < signals.size(); ++i)
            if (previous_[i] != SIG_ERR)
                std::signal(signals[i], previous_[i]);
    }

private:
    static constexpr std::array<int, 4> signals{SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    std::array<void (*)(int), signals.size()> previous_{};
    bool active_ = false;
};

// One line of standard input: typed without echo at a terminal, or the next line of a pipe.
outcome<std::string> read_secret(const key_def& key, const invocation& io) {
    std::string secret;
    if (io.in_is_terminal) {
        io.err << key.name << ": " << std::flush;
        echo_off hidden;
        std::getline(io.in, secret);
        io.err << '\n';
    } else {
        std::getline(io.in, secret);
    }
    if (secret.ends_with('\r'))
        secret.pop_back();
    if (secret.empty() && !io.in)
        return usage_error("no value for " + std::string(key.name) + " on standard input");
    return secret;
}

std::string_view kind_noun(section_kind kind) {
    return kind == section_kind::discovery ? "discovery portal" : section_name(kind);
}

// Checks every KEY=VALUE before the store is touched, reading "-" secrets from standard input.
outcome<std::vector<setting>> parse_settings(std::span<const std::string> args, section_kind kind,
                                             const invocation& io) {
    std::vector<setting> settings;
    for (const std::string& arg : args) {
        auto equals = arg.find('=');
        std::string name = arg.substr(0, equals);
        const key_def* key = find_key(kind, name);
        if (equals == std::string::npos)
            return usage_error(key ? name + " needs a value: " + name + "=VALUE"
                                   : "expected KEY=VALUE, got an argument without '='");
        if (!key)
            return usage_error("unknown key '" + printable(name) + "' for a " + std::string(kind_noun(kind)) +
                               "; see 'iscsictl modify " + std::string(section_name(kind)) + " --help'");
        if (key->repeatable)
            return usage_error(name +
                               " is not a KEY=VALUE setting: give portals as arguments of add and remove");
        if (std::ranges::any_of(settings, [&](const setting& s) { return s.key == key; }))
            return usage_error(name + " is given twice");
        std::string value = arg.substr(equals + 1);
        if (key->secret && value == "-") {
            auto secret = read_secret(*key, io);
            if (!secret)
                return secret.error_value();
            value = std::move(*secret);
            if (value.empty())
                return usage_error(name + ": the secret read from standard input is empty");
        }
        if (!value.empty()) {
            auto normal = normalise_value(*key, value);
            if (!normal)
                return normal.error_value();
            value = std::move(*normal);
        }
        settings.push_back({key, std::move(value)});
    }
    return settings;
}

status apply_settings(store& s, section_kind kind, std::string_view subsection,
                      std::span<const setting> settings) {
    for (const setting& each : settings) {
        auto applied = each.value.empty() ? s.unset(kind, subsection, each.key->name)
                                          : s.set(kind, subsection, each.key->name, each.value);
        if (!applied)
            return applied;
    }
    return done{};
}

outcome<std::string> normalise_portal(std::string_view text) {
    return normalise_value(*find_key(section_kind::target, "portal"), text);
}

// A host without any initiator name gets one the first time a target or discovery portal is
// configured, as open-iscsi's installation does. Only after the store changed, so a failed command
// leaves no trace; a store edited without root rights still works, with a warning.
void ensure_initiator(const context& ctx) {
    auto current = load_store(ctx.store_path);
    if (!current)
        return; // update_store reports the store's problem
    if (auto name = ensure_initiator_name(*current, ctx.initiatorname_path); !name)
        ctx.warn(name.error_value().message);
}

status add_target(const context& ctx, const std::string& iqn_text, std::span<const std::string> args) {
    auto iqn = normalise_subsection(section_kind::target, iqn_text);
    if (!iqn)
        return iqn.error_value();
    std::vector<std::string> portals, assignments;
    for (const std::string& arg : args)
        (arg.find('=') == std::string::npos ? portals : assignments).push_back(arg);
    if (portals.empty())
        return usage_error("add target needs at least one PORTAL after the IQN");
    for (std::string& portal : portals) {
        auto normal = normalise_portal(portal);
        if (!normal)
            return normal.error_value();
        portal = std::move(*normal);
    }
    auto settings = parse_settings(assignments, section_kind::target, ctx.io);
    if (!settings)
        return settings.error_value();
    std::size_t added = 0;
    auto updated = update_store(ctx.store_path, [&](store& s) -> status {
        bool exists = s.has_section(section_kind::target, *iqn);
        if (exists && !settings->empty())
            return error{exit_code::already_exists,
                         "target '" + *iqn +
                             "' already exists: change its settings with 'iscsictl modify target'"};
        if (!exists)
            if (auto section = s.add_section(section_kind::target, *iqn); !section)
                return section;
        for (const std::string& portal : portals) {
            auto result = s.add_value(section_kind::target, *iqn, "portal", portal);
            if (result)
                ++added;
            else if (result.error_value().code != exit_code::already_exists)
                return result;
            else if (!exists) // a new target can only clash with a portal given before
                return usage_error("portal " + portal + " is given twice");
        }
        if (added == 0)
            return error{exit_code::already_exists, "target '" + *iqn + "' already has every portal given"};
        return apply_settings(s, section_kind::target, *iqn, *settings);
    });
    if (!updated)
        return updated;
    ctx.note("added " + std::to_string(added) + (added == 1 ? " portal" : " portals") + " of target " + *iqn);
    return done{};
}

status add_discovery(const context& ctx, const std::string& portal_text, std::span<const std::string> args) {
    auto portal = normalise_subsection(section_kind::discovery, portal_text);
    if (!portal)
        return portal.error_value();
    auto settings = parse_settings(args, section_kind::discovery, ctx.io);
    if (!settings)
        return settings.error_value();
    auto updated = update_store(ctx.store_path, [&](store& s) -> status {
        if (auto section = s.add_section(section_kind::discovery, *portal); !section)
            return section;
        return apply_settings(s, section_kind::discovery, *portal, *settings);
    });
    if (!updated)
        return updated;
    ctx.note("added discovery portal " + *portal);
    return done{};
}

status remove_target(const context& ctx, const std::string& iqn_text, const std::string& portal_text,
                     bool logout) {
    auto iqn = normalise_subsection(section_kind::target, iqn_text);
    if (!iqn)
        return iqn.error_value();
    std::string portal;
    if (!portal_text.empty()) {
        auto normal = normalise_portal(portal_text);
        if (!normal)
            return normal.error_value();
        portal = std::move(*normal);
    }
    auto current = load_store(ctx.store_path);
    if (!current)
        return current.error_value();
    if (!current->has_section(section_kind::target, *iqn))
        return error{exit_code::not_found, "no target '" + *iqn + "' in " + ctx.store_path.string()};
    // Ask iscsid whether the target is in use; no daemon means no sessions to check.
    auto sessions = target_sessions(ctx.socket_path, *iqn, portal);
    if (!sessions)
        return sessions.error_value();
    if (!sessions->empty()) {
        if (!logout)
            return error{exit_code::busy, "target " + *iqn + " is logged in" +
                                              (portal.empty() ? std::string() : " through " + portal) +
                                              ": log it out first, or add --logout"};
        auto out = call_daemon(ctx.socket_path, "logout", {{"target", *iqn}}, std::chrono::seconds(90));
        if (!out && out.error_value().code != exit_code::not_found)
            return out.error_value();
        ctx.note("logged out of " + *iqn);
    }
    auto updated = update_store(ctx.store_path, [&](store& s) {
        return portal.empty() ? s.remove_section(section_kind::target, *iqn)
                              : s.remove_value(section_kind::target, *iqn, "portal", portal);
    });
    if (!updated)
        return updated;
    ctx.note(portal.empty() ? "removed target " + *iqn : "removed portal " + portal + " of target " + *iqn);
    return done{};
}

status remove_discovery(const context& ctx, const std::string& portal_text) {
    auto portal = normalise_subsection(section_kind::discovery, portal_text);
    if (!portal)
        return portal.error_value();
    auto updated = update_store(ctx.store_path,
                                [&](store& s) { return s.remove_section(section_kind::discovery, *portal); });
    if (!updated)
        return updated;
    ctx.note("removed discovery portal " + *portal);
    return done{};
}

status modify(const context& ctx, section_kind kind, const std::string& subsection_text,
              std::span<const std::string> args) {
    auto subsection = normalise_subsection(kind, subsection_text);
    if (!subsection)
        return subsection.error_value();
    auto settings = parse_settings(args, kind, ctx.io);
    if (!settings)
        return settings.error_value();
    auto updated = update_store(ctx.store_path, [&](store& s) -> status {
        if (!s.has_section(kind, *subsection) && kind != section_kind::initiator)
            return error{exit_code::not_found, "no " + std::string(kind_noun(kind)) + " '" + *subsection +
                                                   "' in " + ctx.store_path.string()};
        return apply_settings(s, kind, *subsection, *settings);
    });
    if (!updated)
        return updated;
    ctx.note(kind == section_kind::initiator
                 ? std::string("modified the initiator")
                 : "modified " + std::string(kind_noun(kind)) + " " + *subsection);
    if (kind != section_kind::target)
        return done{};
    // The store is written; a logged-in session takes the live keys now, through iscsid.
    std::vector<std::pair<const key_def*, std::string>> live;
    for (const setting& each : *settings)
        if (each.key->live)
            live.emplace_back(each.key, each.value);
    if (live.empty())
        return done{};
    auto applied = modify_live(ctx.socket_path, *subsection, live);
    if (!applied)
        return error{applied.error_value().code, "the store is changed, but iscsid did not apply it to the "
                                                 "session: " +
                                                     applied.error_value().message};
    if (*applied)
        ctx.note(**applied + ": the change takes effect at the next login");
    else
        ctx.note("applied to the logged-in session");
    return done{};
}

// The typed value of a resolved key, with secrets masked.
field_value field_of(const resolved_key& r) {
    if (r.values.empty())
        return std::monostate{};
    if (r.key->secret)
        return masked_secret{};
    if (r.key->repeatable)
        return r.values;
    const std::string& v = r.values.front();
    switch (r.key->type) {
    case value_type::integer:
        return static_cast<std::int64_t>(std::stoll(v));
    case value_type::boolean:
        return v == "yes";
    case value_type::choice_list: {
        std::vector<std::string> items;
        for (std::size_t start = 0;;) {
            auto comma = v.find(',', start);
            items.push_back(v.substr(start, comma - start));
            if (comma == std::string::npos)
                return items;
            start = comma + 1;
        }
    }
    default:
        return v;
    }
}

std::string default_note(value_origin origin) {
    switch (origin) {
    case value_origin::default_value:
        return "default";
    case value_origin::inherited:
        return "from [initiator]";
    case value_origin::computed:
        return "the initiator name";
    case value_origin::set:
    case value_origin::unset:
        break;
    }
    return {};
}

field_value first_value(const store& s, section_kind kind, std::string_view subsection,
                        std::string_view key) {
    for (const auto& r : resolve(s, kind, subsection, ""))
        if (r.key->name == key)
            return field_of(r);
    return std::monostate{};
}

status list(const context& ctx, section_kind kind) {
    auto s = load_store(ctx.store_path);
    if (!s)
        return s.error_value();
    std::vector<record> records;
    for (const std::string& sub : s->subsections(kind)) {
        if (kind == section_kind::target)
            records.push_back({{"target", sub},
                               {"portals", s->values(kind, sub, "portal")},
                               {"startup", first_value(*s, kind, sub, "startup")},
                               {"auth", first_value(*s, kind, sub, "auth")}});
        else
            records.push_back({{"portal", sub},
                               {"method", first_value(*s, kind, sub, "method")},
                               {"auth", first_value(*s, kind, sub, "auth")}});
    }
    static constexpr std::array<std::string_view, 4> target_columns{"target", "portals", "startup", "auth"};
    static constexpr std::array<std::string_view, 3> discovery_columns{"portal", "method", "auth"};
    if (kind == section_kind::target)
        ctx.print->list(target_columns, records);
    else
        ctx.print->list(discovery_columns, records);
    if (records.empty())
        ctx.note("no " + std::string(kind == section_kind::target ? "targets" : "discovery portals") +
                 " in " + ctx.store_path.string());
    return done{};
}

status show_target(const context& ctx, const std::string& iqn_text) {
    auto iqn = normalise_subsection(section_kind::target, iqn_text);
    if (!iqn)
        return iqn.error_value();
    auto s = load_store(ctx.store_path);
    if (!s)
        return s.error_value();
    if (!s->has_section(section_kind::target, *iqn))
        return error{exit_code::not_found, "no target '" + *iqn + "' in " + ctx.store_path.string()};
    // Showing never creates the initiator name file; without one, chap-name shows as unset.
    auto initiator_name = read_initiator_name(*s, ctx.initiatorname_path);
    record fields{{"target", *iqn}};
    for (const resolved_key& r :
         resolve(*s, section_kind::target, *iqn, initiator_name ? *initiator_name : ""))
        fields.push_back({std::string(r.key->name), field_of(r), default_note(r.origin)});
    ctx.print->object(fields);
    return done{};
}

// The name this host logs in with and where it comes from: what a target's access list needs.
status show_initiator(const context& ctx) {
    auto s = load_store(ctx.store_path);
    if (!s)
        return s.error_value();
    auto name = read_initiator_name(*s, ctx.initiatorname_path);
    if (!name && name.error_value().code != exit_code::not_found)
        return name.error_value();
    record fields;
    for (const resolved_key& r : resolve(*s, section_kind::initiator, "", name ? *name : "")) {
        fields.push_back({std::string(r.key->name), field_of(r), default_note(r.origin)});
        if (r.key->name == "name" && r.values.empty() && name)
            fields.back() = {"name", *name, "from " + ctx.initiatorname_path.string()};
    }
    ctx.print->object(fields);
    return done{};
}

// One word per line: "keys SECTION" (KEY= of a section), "targets", "discovery" (from the store).
// Never fails loudly: a broken store just completes nothing.
status complete_words(const context& ctx, const std::string& what, const std::string& section) {
    if (what == "keys") {
        auto kind = parse_section_name(section);
        if (kind)
            for (const key_def& key : key_table())
                if (key.section == *kind && !key.repeatable)
                    ctx.io.out << key.name << "=\n";
        return done{};
    }
    auto kind = parse_section_name(what == "targets" ? "target" : what);
    if (!kind || *kind == section_kind::initiator)
        return done{};
    if (auto s = load_store(ctx.store_path))
        for (const std::string& sub : s->subsections(*kind))
            ctx.io.out << sub << '\n';
    return done{};
}

status import_open_iscsi(const context& ctx, const std::string& dir, bool dry_run, bool skip_existing) {
    auto db = read_open_iscsi(dir);
    if (!db)
        return db.error_value();
    for (const std::string& w : db->warnings)
        ctx.warn(w);
    std::vector<std::string> skipped;
    auto apply = [&](store& s) {
        return apply_import(s, *db, skip_existing, skipped);
    };
    if (dry_run) {
        auto s = load_store(ctx.store_path);
        if (!s)
            return s.error_value();
        if (auto applied = apply(*s); !applied)
            return applied;
    } else if (auto updated = update_store(ctx.store_path, apply); !updated) {
        return updated;
    }
    std::vector<record> rows;
    std::size_t imported = 0;
    for (const imported_section& section : db->sections) {
        bool skip = std::ranges::find(skipped, std::string(section_name(section.kind)) + " " +
                                                   section.name) != skipped.end();
        std::vector<std::string> keys;
        for (const auto& [key, value] : section.settings)
            keys.push_back(key);
        rows.push_back({{"kind", std::string(section_name(section.kind))},
                        {"name", section.name},
                        {"result", std::string(skip      ? "skipped"
                                               : dry_run ? "would-import"
                                                         : "imported")},
                        {"portals", section.portals},
                        {"settings", keys}});
        imported += skip ? 0 : 1;
    }
    static constexpr std::array<std::string_view, 5> columns{"kind", "name", "result", "portals", "settings"};
    ctx.print->list(columns, rows);
    ctx.note(std::string(dry_run ? "would import " : "imported ") + std::to_string(imported) + " of " +
             std::to_string(rows.size()) + " records from " + dir +
             (dry_run ? " (dry run: the store is unchanged)" : " into " + ctx.store_path.string()));
    return done{};
}

// "  startup  manual | automatic (default: manual)" for every key of a section: --help of the
// verbs that take KEY=VALUE.
std::string keys_help(section_kind kind) {
    std::size_t width = 0;
    for (const key_def& key : key_table())
        if (key.section == kind && !key.repeatable)
            width = std::max(width, key.name.size());
    std::string text = "Keys (KEY= with no value restores the default):\n";
    for (const key_def& key : key_table()) {
        if (key.section != kind || key.repeatable)
            continue;
        text += "  " + std::string(key.name) + std::string(width - key.name.size() + 2, ' ') +
                describe_values(key) + "; default: " + std::string(describe_default(key)) +
                (key.live ? "; live" : "") + "\n";
    }
    return text +
           "\nSecrets: KEY=- reads the value from standard input (without echo on a terminal), one line\n"
           "per secret in the order given. Prefer it: a secret on the command line is visible to other\n"
           "users in ps(1) and stays in the shell history. Secrets are never printed.\n"
           "'live' keys reach a logged-in session without a relogin once iscsid is running.";
}

} // namespace

int run(int argc, const char* const* argv, const invocation& io) {
    auto formatter = std::make_shared<usage_formatter>();
    CLI::App app{"iscsictl: manage the iSCSI initiator's targets, discovery portals and sessions"};
    app.formatter(formatter);
    app.set_version_flag("--version", std::string("iscsictl ") + ISCSI_INI_VERSION);
    app.require_subcommand(1);
    app.footer("The store is --store PATH, else $ISCSICTL_STORE, else " + std::string(default_store_path) +
               ".\nThe initiator name file is $ISCSICTL_INITIATORNAME, else " +
               std::string(default_initiatorname_path) +
               ".\nThe iscsid socket is --socket PATH, else $ISCSICTL_SOCKET, else " +
               std::string(default_socket_path) +
               ".\nExit status: 0 ok, 1 other failure, 2 bad usage, 3 not found, 4 already exists,\n"
               "5 authentication failed, 6 target unreachable, 7 daemon not running, 8 permission denied, 9 "
               "store error,\n10 target logged in (remove target without --logout).");
    formatter->set_usage(&app, "iscsictl [OPTIONS] VERB OBJECT [ARGS...]");

    global_options opts;
    app.add_option("--store", opts.store, "target store to read and edit")->type_name("PATH");
    app.add_option("--socket", opts.socket, "iscsid control socket (for the daemon verbs)")
        ->type_name("PATH");
    app.add_flag("--json", opts.json, "print JSON instead of text");
    app.add_flag("-v,--verbose", opts.verbose, "say more: the files in use");
    app.add_flag("-q,--quiet", opts.quiet, "print nothing but results and errors");

    auto verb = [&](CLI::App* parent, std::string name, std::string description, std::string usage) {
        CLI::App* sub = parent->add_subcommand(std::move(name), std::move(description));
        sub->fallthrough();
        formatter->set_usage(sub, "iscsictl [OPTIONS] " + usage);
        return sub;
    };

    std::string object_name, portal;
    std::vector<std::string> args;
    bool logout = false;

    CLI::App* add =
        verb(&app, "add", "add a target or discovery portal to the store", "add target|discovery ...");
    add->require_subcommand(1);
    CLI::App* add_target_cmd =
        verb(add, "target", "add a target with its portals and settings, or more portals",
             "add target IQN PORTAL [PORTAL...] [KEY=VALUE...]");
    add_target_cmd->add_option("IQN", object_name, "the target's iSCSI name")->required();
    add_target_cmd
        ->add_option("ARGS", args, "portals (address[:port][,tpgt], port 3260 by default), then settings")
        ->required();
    add_target_cmd->footer("Adding portals to a target in the store adds only those it lacks.\n\n" +
                           keys_help(section_kind::target));
    CLI::App* add_discovery_cmd =
        verb(add, "discovery", "add a SendTargets discovery portal", "add discovery PORTAL [KEY=VALUE...]");
    add_discovery_cmd->add_option("PORTAL", object_name, "address[:port], port 3260 by default")->required();
    add_discovery_cmd->add_option("KEY=VALUE", args, "settings");
    add_discovery_cmd->footer(keys_help(section_kind::discovery));

    CLI::App* remove = verb(&app, "remove", "remove a target, one of its portals, or a discovery portal",
                            "remove target|discovery ...");
    remove->require_subcommand(1);
    CLI::App* remove_target_cmd =
        verb(remove, "target", "remove a target from the store, or only one of its portals",
             "remove target IQN [PORTAL] [--logout]");
    remove_target_cmd->add_option("IQN", object_name, "the target's iSCSI name")->required();
    remove_target_cmd->add_option("PORTAL", portal, "remove only this portal (not the target's last)");
    remove_target_cmd->add_flag("--logout", logout, "log the target out first if it is logged in");
    remove_target_cmd->footer(
        "iscsictl asks iscsid whether the target (or, with PORTAL, that portal) is logged in\n"
        "and refuses with exit status 10 unless --logout is given; when iscsid is not\n"
        "running there are no sessions to check.");
    CLI::App* remove_discovery_cmd =
        verb(remove, "discovery", "remove a discovery portal (its discovered targets stay)",
             "remove discovery PORTAL");
    remove_discovery_cmd->add_option("PORTAL", object_name, "address[:port]")->required();

    CLI::App* modify_cmd =
        verb(&app, "modify", "change settings of a target, the initiator or a discovery portal",
             "modify target|initiator|discovery ...");
    modify_cmd->require_subcommand(1);
    CLI::App* modify_target_cmd =
        verb(modify_cmd, "target", "change a target's settings", "modify target IQN KEY=VALUE...");
    modify_target_cmd->add_option("IQN", object_name, "the target's iSCSI name")->required();
    modify_target_cmd->add_option("KEY=VALUE", args, "settings")->required();
    modify_target_cmd->footer(keys_help(section_kind::target));
    CLI::App* modify_initiator_cmd =
        verb(modify_cmd, "initiator", "change this host's name, alias or default CHAP credentials",
             "modify initiator KEY=VALUE...");
    modify_initiator_cmd->add_option("KEY=VALUE", args, "settings")->required();
    modify_initiator_cmd->footer(keys_help(section_kind::initiator));
    CLI::App* modify_discovery_cmd = verb(modify_cmd, "discovery", "change a discovery portal's settings",
                                          "modify discovery PORTAL KEY=VALUE...");
    modify_discovery_cmd->add_option("PORTAL", object_name, "address[:port]")->required();
    modify_discovery_cmd->add_option("KEY=VALUE", args, "settings")->required();
    modify_discovery_cmd->footer(keys_help(section_kind::discovery));

    std::vector<std::string> portals;
    bool add_portal = false;
    CLI::App* discover_cmd =
        verb(&app, "discover", "find targets with SendTargets and record them in the store (needs iscsid)",
             "discover [PORTAL...] [--add]");
    discover_cmd->add_option("PORTAL", portals,
                             "discovery portals (address[:port]); default: every one in the store");
    discover_cmd->add_flag("--add", add_portal, "also record each given PORTAL as a discovery portal");
    discover_cmd->footer(
        "Found targets are added to the store with their portals (address:port,tpgt) and\n"
        "discovered-from = PORTAL; known targets get the portals they lack. A target that was\n"
        "discovered through a portal earlier and no longer appears there is reported as 'vanished'\n"
        "and stays in the store. A PORTAL not in the store is asked with the default settings and\n"
        "credentials from [initiator]. Prints one row per target: PORTAL, TARGET, STATUS\n"
        "(added | updated | unchanged | vanished). If a portal fails, the others are still asked and\n"
        "the exit status is the highest of the failures.");

    login_options login_opts;
    CLI::App* login_cmd = verb(&app, "login", "log in to targets of the store (needs iscsid)",
                               "login IQN [PORTAL] | --all | --automatic [--retry-for SECONDS]");
    login_cmd->add_option("IQN", object_name, "the target's iSCSI name");
    login_cmd->add_option("PORTAL", login_opts.portal,
                          "log in through this portal only (address[:port][,tpgt])");
    auto* all_flag = login_cmd->add_flag("--all", login_opts.all, "every target of the store");
    auto* automatic_flag =
        login_cmd->add_flag("--automatic", login_opts.automatic, "every target with startup = automatic");
    all_flag->excludes(automatic_flag);
    login_cmd
        ->add_option("--retry-for", login_opts.retry_for,
                     "keep retrying a target that does not answer for this long (0..3600 s, default 0)")
        ->check(CLI::Range(0, 3600))
        ->type_name("SECONDS");
    login_cmd->footer(
        "With IQN: exits 0 once the target's LUNs are present as disks, and lists them.\n"
        "With --all or --automatic: logs every target in at once (one request each) and prints one row\n"
        "per target: TARGET, RESULT (logged-in | already-logged-in | failed), PORTAL, SESSION, DEVICES,\n"
        "ERROR. A target already logged in counts as success. The exit status is the highest of the\n"
        "failures' exit statuses. --retry-for makes iscsid retry unreachable targets with backoff\n"
        "(boot-time login); refused credentials fail at once.");
    bool logout_all = false;
    CLI::App* logout_cmd =
        verb(&app, "logout", "log out of a target, or of every session (needs iscsid)", "logout IQN | --all");
    logout_cmd->add_option("IQN", object_name, "the target's iSCSI name");
    logout_cmd->add_flag("--all", logout_all, "every session iscsid holds");
    logout_cmd->footer("Exits 0 once the target's disks are gone. --all prints one row per target:\n"
                       "TARGET, RESULT (logged-out | failed), ERROR.");
    CLI::App* rescan_cmd =
        verb(&app, "rescan", "look for new or resized LUNs (needs iscsid)", "rescan [IQN]");
    rescan_cmd->add_option("IQN", object_name, "only this target's sessions; default: every session");
    rescan_cmd->footer("Prints the LUNs of the rescanned sessions: TARGET, PORTAL, LUN, DEVICE, SIZE.");

    std::string import_dir = "/etc/iscsi";
    bool dry_run = false, skip_existing = false;
    CLI::App* import_cmd = verb(&app, "import", "import another initiator's configuration into the store",
                                "import open-iscsi [DIR] [--dry-run] [--skip-existing]");
    import_cmd->require_subcommand(1);
    CLI::App* import_open_iscsi_cmd =
        verb(import_cmd, "open-iscsi", "import open-iscsi's node database (iscsiadm's records)",
             "import open-iscsi [DIR] [--dry-run] [--skip-existing]");
    import_open_iscsi_cmd->add_option("DIR", import_dir,
                                      "open-iscsi's configuration directory (default /etc/iscsi)");
    import_open_iscsi_cmd->add_flag("--dry-run", dry_run, "show what would be imported; write nothing");
    import_open_iscsi_cmd->add_flag(
        "--skip-existing", skip_existing,
        "keep targets and discovery portals the store already has, import the rest");
    import_open_iscsi_cmd->footer(
        "Reads DIR/nodes/IQN/ADDR,PORT,TPGT/default (and the older flat files DIR/nodes/IQN/ADDR,PORT)\n"
        "and DIR/send_targets/ADDR,PORT/st_config. Imported: node.startup (automatic, onboot ->\n"
        "automatic), node.session.auth.* and discovery.sendtargets.auth.* (authmethod, username,\n"
        "password, username_in, password_in), header and data digests, replacement, login, logout\n"
        "and NOP-Out timeouts, queue depth, InitialR2T, ImmediateData, FirstBurstLength, MaxBurstLength,\n"
        "MaxRecvDataSegmentLength, MaxOutstandingR2T, DefaultTime2Wait/Retain, discoveryd polling\n"
        "(interval). Values equal to this initiator's defaults are not written. One record per\n"
        "target: the portals of a target become its portal lines. The store is written once,\n"
        "atomically, mode 0600 when a secret is imported. An entry the store already has stops the\n"
        "import (exit status 4) unless --skip-existing. Prints one row per record: KIND, NAME,\n"
        "RESULT (imported | skipped | would-import), PORTALS, SETTINGS (key names; secrets are never\n"
        "printed).");

    // Hidden: words for the bash completion (iscsictl/completion/iscsictl.bash), so it follows the
    // key table and the store instead of a copy of them.
    std::string complete_what, complete_section;
    CLI::App* complete_cmd = app.add_subcommand("__complete", "");
    complete_cmd->group("");
    complete_cmd->fallthrough();
    complete_cmd->add_option("WHAT", complete_what)->required();
    complete_cmd->add_option("SECTION", complete_section);

    CLI::App* list_cmd = verb(&app, "list", "list targets, discovery portals, sessions or LUNs",
                              "list targets|discovery|sessions|luns [--json]");
    list_cmd->require_subcommand(1);
    CLI::App* list_targets_cmd = verb(
        list_cmd, "targets", "targets in the store: name, portals, startup, auth", "list targets [--json]");
    CLI::App* list_discovery_cmd =
        verb(list_cmd, "discovery", "discovery portals in the store: portal, method, auth",
             "list discovery [--json]");
    CLI::App* list_sessions_cmd =
        verb(list_cmd, "sessions", "logged-in sessions: target, portal, state (needs iscsid)",
             "list sessions [--json]");
    CLI::App* list_luns_cmd =
        verb(list_cmd, "luns", "LUNs of the logged-in sessions: device and size (needs iscsid)",
             "list luns [--json]");

    CLI::App* show_cmd = verb(&app, "show", "show one record of the store or one session",
                              "show target|initiator|session ...");
    show_cmd->require_subcommand(1);
    CLI::App* show_target_cmd =
        verb(show_cmd, "target", "every setting of a target, defaults marked as such, secrets masked",
             "show target IQN [--json]");
    show_target_cmd->add_option("IQN", object_name, "the target's iSCSI name")->required();
    CLI::App* show_initiator_cmd =
        verb(show_cmd, "initiator", "this host's iSCSI name, its source, alias and CHAP credentials",
             "show initiator [--json]");
    CLI::App* show_session_cmd =
        verb(show_cmd, "session",
             "a session's state, negotiated parameters, settings, counters and LUNs (needs iscsid)",
             "show session IQN|ID [--json]");
    show_session_cmd->add_option("IQN|ID", object_name, "the target's iSCSI name or the session number")
        ->required();
    show_initiator_cmd->footer(
        "The name is the one to put in targets' access lists. Showing it never creates the "
        "initiator name file.");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
            return app.exit(e, io.out, io.err);
        io.err << "iscsictl: " << e.what() << " (see 'iscsictl --help')\n";
        return static_cast<int>(exit_code::usage);
    }

    if (login_cmd->parsed()) {
        bool many = login_opts.all || login_opts.automatic;
        if (many == !object_name.empty()) {
            io.err
                << "iscsictl: login needs an IQN, or --all, or --automatic (see 'iscsictl login --help')\n";
            return static_cast<int>(exit_code::usage);
        }
    }
    if (logout_cmd->parsed() && logout_all == !object_name.empty()) {
        io.err << "iscsictl: logout needs an IQN or --all (see 'iscsictl logout --help')\n";
        return static_cast<int>(exit_code::usage);
    }

    const char* env_store = std::getenv("ISCSICTL_STORE");
    const char* env_initiatorname = std::getenv("ISCSICTL_INITIATORNAME");
    const char* env_socket = std::getenv("ISCSICTL_SOCKET");
    context ctx{
        .io = io,
        .store_path = !opts.store.empty()       ? opts.store
                      : env_store && *env_store ? env_store
                                                : default_store_path,
        .initiatorname_path =
            env_initiatorname && *env_initiatorname ? env_initiatorname : default_initiatorname_path,
        .socket_path = !opts.socket.empty()        ? std::filesystem::path(opts.socket)
                       : env_socket && *env_socket ? std::filesystem::path(env_socket)
                                                   : std::filesystem::path(default_socket_path),
        .print = make_printer(opts.json ? output_format::json : output_format::text, io.out),
        .quiet = opts.quiet > opts.verbose,
    };
    if (opts.verbose > opts.quiet)
        io.err << "iscsictl: store " << ctx.store_path.string() << ", initiator name file "
               << ctx.initiatorname_path.string() << '\n';

    status result = done{};
    if (add_target_cmd->parsed())
        result = add_target(ctx, object_name, args);
    else if (add_discovery_cmd->parsed())
        result = add_discovery(ctx, object_name, args);
    else if (remove_target_cmd->parsed())
        result = remove_target(ctx, object_name, portal, logout);
    else if (remove_discovery_cmd->parsed())
        result = remove_discovery(ctx, object_name);
    else if (modify_target_cmd->parsed())
        result = modify(ctx, section_kind::target, object_name, args);
    else if (modify_initiator_cmd->parsed())
        result = modify(ctx, section_kind::initiator, "", args);
    else if (modify_discovery_cmd->parsed())
        result = modify(ctx, section_kind::discovery, object_name, args);
    else if (list_targets_cmd->parsed())
        result = list(ctx, section_kind::target);
    else if (list_discovery_cmd->parsed())
        result = list(ctx, section_kind::discovery);
    else if (show_target_cmd->parsed())
        result = show_target(ctx, object_name);
    else if (show_initiator_cmd->parsed())
        result = show_initiator(ctx);
    else if (complete_cmd->parsed())
        result = complete_words(ctx, complete_what, complete_section);
    else if (import_open_iscsi_cmd->parsed())
        result = import_open_iscsi(ctx, import_dir, dry_run, skip_existing);
    else {
        const daemon_context daemon{ctx.store_path, ctx.initiatorname_path, ctx.socket_path, *ctx.print,
                                    ctx.quiet};
        if (discover_cmd->parsed())
            result = iscsictl::discover(daemon, portals, add_portal);
        else if (login_cmd->parsed())
            result = iscsictl::login(daemon, object_name, login_opts);
        else if (logout_cmd->parsed())
            result = iscsictl::logout(daemon, object_name, logout_all);
        else if (rescan_cmd->parsed())
            result = iscsictl::rescan(daemon, object_name);
        else if (show_session_cmd->parsed())
            result = iscsictl::show_session(daemon, object_name);
        else if (list_sessions_cmd->parsed())
            result = iscsictl::list_sessions(daemon);
        else if (list_luns_cmd->parsed())
            result = iscsictl::list_luns(daemon);
    }

    if (!result) {
        io.err << "iscsictl: " << result.error_value().message << '\n';
        return static_cast<int>(result.error_value().code);
    }
    if (add_target_cmd->parsed() || add_discovery_cmd->parsed() || modify_target_cmd->parsed() ||
        modify_discovery_cmd->parsed())
        ensure_initiator(ctx);
    return 0;
}

} // namespace iscsictl
