// SPDX-License-Identifier: GPL-2.0-or-later
// Whole iscsictl command lines run in process against temporary stores: every verb's happy path,
// its errors and exit codes, the JSON shapes scripts rely on, and that secrets stay secret.
#include "cli.hpp"
#include "exit_codes.hpp"
#include "iscsictl_fixture.hpp"
#include "output.hpp"
#include "store_keys.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace iscsictl {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::string_view vol1 = "iqn.2003-01.org.linux-iscsi.san:vol1";
constexpr std::string_view secret = "correct-horse-battery";

// Whether show --json lists `name` among the keys that take their default.
bool is_default(const json& shown, std::string_view name) {
    const json& defaults = shown["defaults"];
    return std::find(defaults.begin(), defaults.end(), std::string(name)) != defaults.end();
}

// No daemon: the verbs that ask iscsid find nobody at the test's socket.
class Cli : public iscsictl_test {
protected:
    Cli() : iscsictl_test("iscsictl-cli") {}

    void write_store(std::string_view text, mode_t mode = 0600) const {
        std::ofstream(store_path, std::ios::binary) << text;
        ::chmod(store_path.c_str(), mode);
    }
    // A store with one target (one portal) and one discovery portal.
    void seed() const {
        write_store("[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 192.168.1.10:3260\n\n"
                    "[discovery \"192.168.1.10:3260\"]\nmethod = sendtargets\n");
    }
    static json parse_json(const std::string& text) {
        auto parsed = json::parse(text, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << text;
        return parsed;
    }
};

TEST_F(Cli, AddTargetWritesTheDocumentedLayout) {
    auto r = iscsictl({"add", "target", std::string(vol1), "192.168.1.10", "[fe80::1%eth0]",
                       "startup=automatic", "header-digest=crc32c,none"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "added 2 portals of target iqn.2003-01.org.linux-iscsi.san:vol1\n");
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(store_text(), "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\n"
                            "portal = 192.168.1.10:3260\n"
                            "portal = [fe80::1%eth0]:3260\n"
                            "startup = automatic\n"
                            "header-digest = crc32c,none\n");
    struct stat st {};
    ASSERT_EQ(::stat(store_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(Cli, FirstConfigurationCreatesTheInitiatorNameFile) {
    ASSERT_FALSE(fs::exists(initiatorname));
    ASSERT_EQ(iscsictl({"add", "target", std::string(vol1), "10.0.0.1"}).code, 0);
    std::ifstream in(initiatorname);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(content.find("InitiatorName=iqn.2016-04.com.open-iscsi:"), std::string::npos) << content;
}

TEST_F(Cli, AnInitiatorNameFileThatCannotBeCreatedIsOnlyAWarning) {
    auto unreachable = dir / "no" / "such" / "initiatorname.iscsi";
    ::setenv("ISCSICTL_INITIATORNAME", unreachable.c_str(), 1);
    auto r = iscsictl({"add", "target", std::string(vol1), "10.0.0.1"});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.err, "iscsictl: warning: cannot create directory " + (dir / "no" / "such").string() +
                         ": No such file or directory\n");
    EXPECT_EQ(store_text(), "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 10.0.0.1:3260\n");
    r = iscsictl({"-q", "modify", "target", std::string(vol1), "auth=chap"});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.err, "");
}

TEST_F(Cli, NamesAndPortalsAreStoredInNormalForm) {
    ASSERT_EQ(
        iscsictl({"add", "target", "IQN.2003-01.ORG.Linux-iSCSI.san:VOL1", "SAN.example.com:3261"}).code, 0);
    EXPECT_EQ(store_text(),
              "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = san.example.com:3261\n");
    EXPECT_EQ(iscsictl({"show", "target", "iqn.2003-01.org.linux-iscsi.san:VOL1"}).code, 0);
}

TEST_F(Cli, AddingToAnExistingTargetAddsOnlyNewPortals) {
    seed();
    auto r = iscsictl({"add", "target", std::string(vol1), "192.168.1.10", "192.168.1.11:3261"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "added 1 portal of target iqn.2003-01.org.linux-iscsi.san:vol1\n");
    EXPECT_EQ(store_text(),
              "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 192.168.1.10:3260\n"
              "portal = 192.168.1.11:3261\n\n[discovery \"192.168.1.10:3260\"]\nmethod = sendtargets\n");
}

TEST_F(Cli, AddDiscoveryWithSettings) {
    auto r = iscsictl({"add", "discovery", "10.0.0.1", "auth=chap", "chap-name=disco"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "added discovery portal 10.0.0.1:3260\n");
    EXPECT_EQ(store_text(), "[discovery \"10.0.0.1:3260\"]\nauth = chap\nchap-name = disco\n");
}

TEST_F(Cli, RemoveTargetPortalAndDiscovery) {
    seed();
    ASSERT_EQ(iscsictl({"add", "target", std::string(vol1), "10.0.0.2"}).code, 0);
    auto r = iscsictl({"remove", "target", std::string(vol1), "10.0.0.2:3260"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "removed portal 10.0.0.2:3260 of target iqn.2003-01.org.linux-iscsi.san:vol1\n");
    r = iscsictl({"remove", "discovery", "192.168.1.10"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(store_text(),
              "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 192.168.1.10:3260\n");
    r = iscsictl({"remove", "target", std::string(vol1), "--logout"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "removed target iqn.2003-01.org.linux-iscsi.san:vol1\n");
    EXPECT_EQ(store_text(), "");
}

// Picks a valid value other than the default, for every kind of key.
std::string other_value(const key_def& key) {
    switch (key.type) {
    case value_type::integer:
        return std::to_string(key.default_value == std::to_string(key.min) ? key.max : key.min);
    case value_type::boolean:
        return key.default_value == "yes" ? "no" : "yes";
    case value_type::choice:
    case value_type::choice_list: {
        std::string_view choices = key.choices;
        return std::string(choices.substr(choices.rfind(',') + 1));
    }
    case value_type::portal:
        return "10.9.9.9:3260";
    case value_type::iscsi_name:
        return "iqn.2026-11.org.example:other";
    case value_type::text:
        return key.secret ? std::string(secret) : "some-name";
    }
    return {};
}

TEST_F(Cli, ModifyTargetSetsEveryKeyOfTheTable) {
    seed();
    for (const key_def& key : key_table()) {
        if (key.section != section_kind::target || key.repeatable)
            continue;
        std::string value = other_value(key);
        auto r = iscsictl({"modify", "target", std::string(vol1), std::string(key.name) + "=" + value});
        ASSERT_EQ(r.code, 0) << key.name << ": " << r.err;
        auto shown = parse_json(iscsictl({"show", "target", std::string(vol1), "--json"}).out);
        const json& field = shown[std::string(key.name)];
        if (key.secret)
            EXPECT_EQ(field, "********") << key.name;
        else if (key.type == value_type::integer)
            EXPECT_EQ(field, std::stoll(value)) << key.name;
        else if (key.type == value_type::boolean)
            EXPECT_EQ(field, value == "yes") << key.name;
        else if (key.type == value_type::choice_list)
            EXPECT_EQ(field, json::array({value})) << key.name;
        else
            EXPECT_EQ(field, value) << key.name;
        EXPECT_FALSE(is_default(shown, std::string(key.name))) << key.name;
    }
    EXPECT_NE(store_text().find("chap-secret = " + std::string(secret) + "\n"), std::string::npos);
}

TEST_F(Cli, ModifyWithAnEmptyValueRestoresTheDefault) {
    seed();
    ASSERT_EQ(iscsictl({"modify", "target", std::string(vol1), "replacement-timeout=30", "auth=chap"}).code,
              0);
    ASSERT_EQ(iscsictl({"modify", "target", std::string(vol1), "replacement-timeout="}).code, 0);
    auto shown = parse_json(iscsictl({"--json", "show", "target", std::string(vol1)}).out);
    EXPECT_EQ(shown["replacement-timeout"], 120);
    EXPECT_TRUE(is_default(shown, "replacement-timeout"));
    EXPECT_EQ(shown["auth"], "chap");
}

TEST_F(Cli, ModifyInitiatorAndDiscovery) {
    seed();
    auto r = iscsictl({"modify", "initiator", "name=IQN.2026-11.org.example:Host1", "alias=host one",
                       "chap-name=me", "chap-secret=-"},
                      std::string(secret) + "\n");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "modified the initiator\n");
    ASSERT_EQ(iscsictl({"modify", "discovery", "192.168.1.10:3260", "interval=3600"}).code, 0);
    EXPECT_EQ(store_text(),
              "[initiator]\nname = iqn.2026-11.org.example:host1\nalias = host one\nchap-name = me\n"
              "chap-secret = correct-horse-battery\n\n"
              "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 192.168.1.10:3260\n\n"
              "[discovery \"192.168.1.10:3260\"]\nmethod = sendtargets\ninterval = 3600\n");
    // The target inherits the initiator's credentials, and shows where they come from.
    auto shown = iscsictl({"show", "target", std::string(vol1)}).out;
    EXPECT_NE(shown.find("chap-name                     me  (from [initiator])\n"), std::string::npos)
        << shown;
    EXPECT_NE(shown.find("chap-secret                   ********  (from [initiator])\n"), std::string::npos);
}

TEST_F(Cli, SecretsFromAPipeInTheOrderGiven) {
    seed();
    auto r = iscsictl({"modify", "target", std::string(vol1), "auth=mutual-chap", "chap-secret=-",
                       "mutual-chap-name=san", "mutual-chap-secret=-"},
                      "first-secret-123\r\nsecond-secret-456\n");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(store_text().find("chap-secret = first-secret-123\n"), std::string::npos);
    EXPECT_NE(store_text().find("mutual-chap-secret = second-secret-456\n"), std::string::npos);
    EXPECT_EQ(r.out.find("secret-"), std::string::npos);
    EXPECT_EQ(r.err, "");
}

TEST_F(Cli, SecretsNeverAppearInOutputOrErrors) {
    seed();
    ASSERT_EQ(iscsictl({"modify", "target", std::string(vol1), "chap-secret=" + std::string(secret)}).code,
              0);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"show", "target", std::string(vol1)},
             {"show", "target", std::string(vol1), "--json"},
             {"list", "targets"},
             {"list", "targets", "--json"},
             {"-v", "modify", "target", std::string(vol1), "chap-secret=" + std::string(secret)},
             {"modify", "target", std::string(vol1), "chap-secret=" + std::string(secret) + "\x01"},
             {"modify", "target", std::string(vol1), "mutual-chap-secret=short"},
             {"modify", "target", "iqn.2026-11.org.example:none", "chap-secret=" + std::string(secret)},
         }) {
        auto r = iscsictl(args);
        EXPECT_EQ(r.out.find(secret), std::string::npos) << args[0] << ": " << r.out;
        EXPECT_EQ(r.err.find(secret), std::string::npos) << args[0] << ": " << r.err;
        EXPECT_EQ(r.err.find("short"), std::string::npos) << r.err;
    }
}

TEST_F(Cli, ListTargetsJsonIsAnArrayOfObjectsWithStableFields) {
    EXPECT_EQ(iscsictl({"list", "targets", "--json"}).out, "[]\n");
    seed();
    ASSERT_EQ(iscsictl({"add", "target", "iqn.2026-11.org.example:vol2", "10.0.0.2", "10.0.0.3",
                        "startup=automatic", "auth=chap"})
                  .code,
              0);
    auto listed = parse_json(iscsictl({"list", "targets", "--json"}).out);
    EXPECT_EQ(listed, json::parse(R"([
        {"target": "iqn.2003-01.org.linux-iscsi.san:vol1", "portals": ["192.168.1.10:3260"],
         "startup": "manual", "auth": "none"},
        {"target": "iqn.2026-11.org.example:vol2", "portals": ["10.0.0.2:3260", "10.0.0.3:3260"],
         "startup": "automatic", "auth": "chap"}])"));
    EXPECT_EQ(parse_json(iscsictl({"--json", "list", "discovery"}).out),
              json::parse(R"([{"portal": "192.168.1.10:3260", "method": "sendtargets", "auth": "none"}])"));
}

TEST_F(Cli, ListTargetsTextIsAnAlignedTable) {
    seed();
    ASSERT_EQ(iscsictl({"add", "target", "iqn.2026-11.org.example:b", "10.0.0.2", "10.0.0.3"}).code, 0);
    EXPECT_EQ(iscsictl({"list", "targets"}).out,
              "TARGET                                PORTALS                       STARTUP  AUTH\n"
              "iqn.2003-01.org.linux-iscsi.san:vol1  192.168.1.10:3260             manual   none\n"
              "iqn.2026-11.org.example:b             10.0.0.2:3260, 10.0.0.3:3260  manual   none\n");
    std::filesystem::remove(store_path);
    EXPECT_EQ(iscsictl({"list", "discovery"}).out, "no discovery portals in " + store_path.string() + "\n");
}

TEST_F(Cli, ShowTargetMarksDefaultsAndMasksSecrets) {
    write_store("[initiator]\nname = iqn.2026-11.org.example:host1\n\n"
                "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 192.168.1.10\nauth = chap\n"
                "chap-secret = correct-horse-battery\nreplacement-timeout = 30\n");
    auto text = iscsictl({"show", "target", std::string(vol1)});
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_TRUE(text.out.starts_with(
        "target                        iqn.2003-01.org.linux-iscsi.san:vol1\n"
        "portal                        192.168.1.10:3260\n"
        "startup                       manual  (default)\n"
        "auth                          chap\n"
        "chap-name                     iqn.2026-11.org.example:host1  (the initiator name)\n"
        "chap-secret                   ********\n"
        "mutual-chap-name              -\n"))
        << text.out;
    EXPECT_NE(text.out.find("\nreplacement-timeout           30\n"), std::string::npos);
    EXPECT_NE(text.out.find("\nlogin-timeout                 15  (default)\n"), std::string::npos);

    auto shown = parse_json(iscsictl({"show", "target", std::string(vol1), "--json"}).out);
    EXPECT_EQ(shown["target"], vol1);
    EXPECT_EQ(shown["portal"], json::array({"192.168.1.10:3260"}));
    EXPECT_EQ(shown["chap-secret"], "********");
    EXPECT_EQ(shown["mutual-chap-secret"], nullptr);
    EXPECT_EQ(shown["replacement-timeout"], 30);
    EXPECT_EQ(shown["immediate-data"], true);
    EXPECT_EQ(shown["header-digest"], json::array({"crc32c", "none"}));
    EXPECT_TRUE(is_default(shown, "startup"));
    EXPECT_TRUE(is_default(shown, "chap-name"));
    EXPECT_FALSE(is_default(shown, "auth"));
    EXPECT_FALSE(is_default(shown, "mutual-chap-name"));
    // One field per key of a target, plus its name and the defaults list.
    std::size_t target_keys = 0;
    for (const key_def& key : key_table())
        target_keys += key.section == section_kind::target;
    EXPECT_EQ(shown.size(), target_keys + 2);
}

TEST_F(Cli, ShowInitiatorSaysWhichNameTargetsWillSee) {
    auto missing = iscsictl({"show", "initiator", "--json"});
    ASSERT_EQ(missing.code, 0) << missing.err;
    EXPECT_EQ(parse_json(missing.out), json::parse(R"({"name": null, "alias": null, "chap-name": null,
                                                        "chap-secret": null, "defaults": []})"));
    EXPECT_FALSE(fs::exists(initiatorname));

    std::ofstream(initiatorname) << "InitiatorName=iqn.1993-08.org.debian:01:abc\n";
    EXPECT_EQ(iscsictl({"show", "initiator"}).out,
              "name         iqn.1993-08.org.debian:01:abc  (from " + initiatorname.string() +
                  ")\n"
                  "alias        -\n"
                  "chap-name    iqn.1993-08.org.debian:01:abc  (the initiator name)\n"
                  "chap-secret  -\n");
    ASSERT_EQ(iscsictl({"modify", "initiator", "name=iqn.2026-11.org.example:host1", "chap-secret=-"},
                       std::string(secret) + "\n")
                  .code,
              0);
    auto shown = parse_json(iscsictl({"show", "initiator", "--json"}).out);
    EXPECT_EQ(shown["name"], "iqn.2026-11.org.example:host1");
    EXPECT_EQ(shown["chap-secret"], "********");
    EXPECT_EQ(shown["defaults"], json::array({"chap-name"}));

    std::ofstream(initiatorname) << "InitiatorName=bogus\n";
    ASSERT_EQ(iscsictl({"modify", "initiator", "name="}).code, 0);
    auto invalid = iscsictl({"show", "initiator"});
    EXPECT_EQ(invalid.code, code_of(exit_code::store_error));
    EXPECT_TRUE(invalid.err.starts_with("iscsictl: " + initiatorname.string() + ":1: InitiatorName: "))
        << invalid.err;
}

TEST_F(Cli, GlobalOptionsGoBeforeOrAfterTheVerb) {
    seed();
    auto other = dir / "other.ini";
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--store", other.string(), "add", "target", std::string(vol1), "10.0.0.1"},
             {"add", "--store", other.string(), "target", "iqn.2026-11.org.example:b", "10.0.0.1"},
             {"add", "target", "iqn.2026-11.org.example:c", "10.0.0.1", "--store", other.string(), "-q"},
         }) {
        auto r = iscsictl(args);
        EXPECT_EQ(r.code, 0) << r.err;
    }
    auto listed = parse_json(iscsictl({"list", "targets", "--json", "--store", other.string()}).out);
    EXPECT_EQ(listed.size(), 3u);
    EXPECT_EQ(parse_json(iscsictl({"--json", "list", "targets"}).out).size(), 1u);
    EXPECT_EQ(parse_json(iscsictl({"list", "--json", "targets", "--socket", "/run/x.sock", "-v"}).out).size(),
              1u);
}

TEST_F(Cli, QuietVerboseAndJsonChangeOnlyTheChatter) {
    auto quiet = iscsictl({"-q", "add", "target", std::string(vol1), "10.0.0.1"});
    EXPECT_EQ(quiet.code, 0);
    EXPECT_EQ(quiet.out, "");
    auto json_mode = iscsictl({"add", "discovery", "10.0.0.1", "--json"});
    EXPECT_EQ(json_mode.code, 0);
    EXPECT_EQ(json_mode.out, "");
    auto verbose = iscsictl({"list", "targets", "-v"});
    EXPECT_EQ(verbose.err, "iscsictl: store " + store_path.string() + ", initiator name file " +
                               initiatorname.string() + "\n");
}

TEST_F(Cli, EveryVerbHasTruthfulHelp) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--help"}, "Usage: iscsictl [OPTIONS] VERB OBJECT [ARGS...]\n"},
        {{"add", "--help"}, "Usage: iscsictl [OPTIONS] add target|discovery ...\n"},
        {{"add", "target", "--help"},
         "Usage: iscsictl [OPTIONS] add target IQN PORTAL [PORTAL...] [KEY=VALUE...]\n"},
        {{"add", "discovery", "-h"}, "Usage: iscsictl [OPTIONS] add discovery PORTAL [KEY=VALUE...]\n"},
        {{"remove", "target", "--help"}, "Usage: iscsictl [OPTIONS] remove target IQN [PORTAL] [--logout]\n"},
        {{"remove", "discovery", "--help"}, "Usage: iscsictl [OPTIONS] remove discovery PORTAL\n"},
        {{"modify", "target", "--help"}, "Usage: iscsictl [OPTIONS] modify target IQN KEY=VALUE...\n"},
        {{"modify", "initiator", "--help"}, "Usage: iscsictl [OPTIONS] modify initiator KEY=VALUE...\n"},
        {{"modify", "discovery", "--help"},
         "Usage: iscsictl [OPTIONS] modify discovery PORTAL KEY=VALUE...\n"},
        {{"list", "targets", "--help"}, "Usage: iscsictl [OPTIONS] list targets [--json]\n"},
        {{"list", "discovery", "--help"}, "Usage: iscsictl [OPTIONS] list discovery [--json]\n"},
        {{"show", "target", "--help"}, "Usage: iscsictl [OPTIONS] show target IQN [--json]\n"},
        {{"show", "initiator", "--help"}, "Usage: iscsictl [OPTIONS] show initiator [--json]\n"},
        {{"show", "session", "--help"}, "Usage: iscsictl [OPTIONS] show session IQN|ID [--json]\n"},
        {{"discover", "--help"}, "Usage: iscsictl [OPTIONS] discover [PORTAL...] [--add]\n"},
        {{"login", "--help"},
         "Usage: iscsictl [OPTIONS] login IQN [PORTAL] | --all | --automatic [--retry-for SECONDS]\n"},
        {{"logout", "--help"}, "Usage: iscsictl [OPTIONS] logout IQN | --all\n"},
        {{"rescan", "--help"}, "Usage: iscsictl [OPTIONS] rescan [IQN]\n"},
        {{"list", "sessions", "--help"}, "Usage: iscsictl [OPTIONS] list sessions [--json]\n"},
        {{"list", "luns", "--help"}, "Usage: iscsictl [OPTIONS] list luns [--json]\n"},
        {{"import", "open-iscsi", "--help"},
         "Usage: iscsictl [OPTIONS] import open-iscsi [DIR] [--dry-run] [--skip-existing]\n"},
    };
    for (const auto& [args, usage] : cases) {
        auto r = iscsictl(args);
        EXPECT_EQ(r.code, 0) << args[0];
        EXPECT_NE(r.out.find(usage), std::string::npos) << r.out;
    }
    // Keys listed in --help are the table's, with their defaults.
    auto help = iscsictl({"modify", "target", "--help"}).out;
    for (const key_def& key : key_table())
        if (key.section == section_kind::target && !key.repeatable) {
            EXPECT_NE(help.find("  " + std::string(key.name) + " "), std::string::npos) << key.name;
        }
    EXPECT_NE(help.find("replacement-timeout           integer 0..86400 (seconds); default: 120; live\n"),
              std::string::npos);
    EXPECT_NE(help.find("KEY=- reads the value from standard input"), std::string::npos);
    // What the daemon verbs' help promises is what they do (tested in iscsictl_daemon_test).
    EXPECT_NE(iscsictl({"login", "--help"}).out.find("A target already logged in counts as success"),
              std::string::npos);
    EXPECT_NE(iscsictl({"discover", "--help"}).out.find("stays in the store"), std::string::npos);
    EXPECT_NE(iscsictl({"--help"}).out.find("10 target logged in"), std::string::npos);
    EXPECT_EQ(iscsictl({"--help"}).out.find("__complete"), std::string::npos);
    // --logout says what it does: asks iscsid, refuses with its own exit status.
    EXPECT_NE(
        iscsictl({"remove", "target", "--help"}).out.find("refuses with exit status 10 unless --logout"),
        std::string::npos);
}

TEST_F(Cli, BrokenStoresFailWithFileAndLine) {
    write_store("[initiator]\nalias = ok\nbogus = 1\n");
    auto r = iscsictl({"list", "targets"});
    EXPECT_EQ(r.code, code_of(exit_code::store_error));
    EXPECT_EQ(r.err, "iscsictl: " + store_path.string() + ":3: unknown key 'bogus' in [initiator]\n");

    write_store("[initiator]\nchap-secret = " + std::string(secret) + "\n", 0644);
    r = iscsictl({"modify", "initiator", "alias=x"});
    EXPECT_EQ(r.code, code_of(exit_code::store_error));
    EXPECT_NE(r.err.find("mode 0644"), std::string::npos);
    EXPECT_EQ(store_text(), "[initiator]\nchap-secret = " + std::string(secret) + "\n");

    r = iscsictl({"--store", dir.string(), "list", "targets"});
    EXPECT_EQ(r.code, code_of(exit_code::store_error));
}

TEST(Output, HumanSizesUseBinaryUnitsWithOneDecimal) {
    EXPECT_EQ(human_size(0), "0 B");
    EXPECT_EQ(human_size(1023), "1023 B");
    EXPECT_EQ(human_size(1024), "1 KiB");
    EXPECT_EQ(human_size(1536), "1.5 KiB");
    EXPECT_EQ(human_size(1048575), "1 MiB"); // 1023.999 KiB
    EXPECT_EQ(human_size(100ull << 20), "100 MiB");
    EXPECT_EQ(human_size(10737418240ull), "10 GiB");
    EXPECT_EQ(human_size(1099511627776ull * 3 / 2), "1.5 TiB");
    EXPECT_EQ(human_size(UINT64_MAX), "16 EiB");
}

TEST(Output, TextAndJsonShowTheSameRecords) {
    const std::vector<record> records = {
        {{"lun", std::int64_t{0}},
         {"size", byte_count{1073741824}},
         {"ready", true},
         {"secret", masked_secret{}},
         {"device", std::monostate{}},
         {"paths", std::vector<std::string>{"a", "b"}}},
        {{"lun", std::int64_t{12}},
         {"size", byte_count{512}},
         {"ready", false},
         {"secret", std::monostate{}},
         {"device", std::string("/dev/sdb")},
         {"paths", std::vector<std::string>{}}},
    };
    static constexpr std::array<std::string_view, 6> columns{"lun",    "size",   "ready",
                                                             "secret", "device", "paths"};
    std::ostringstream text, json_text;
    make_printer(output_format::text, text)->list(columns, records);
    make_printer(output_format::json, json_text)->list(columns, records);
    EXPECT_EQ(text.str(), "LUN  SIZE   READY  SECRET    DEVICE    PATHS\n"
                          "0    1 GiB  yes    ********  -         a, b\n"
                          "12   512 B  no     -         /dev/sdb  -\n");
    EXPECT_EQ(json::parse(json_text.str()), json::parse(R"([
        {"lun": 0, "size": 1073741824, "ready": true, "secret": "********", "device": null, "paths": ["a", "b"]},
        {"lun": 12, "size": 512, "ready": false, "secret": null, "device": "/dev/sdb", "paths": []}])"));

    std::ostringstream empty_text, empty_json;
    make_printer(output_format::text, empty_text)->list(columns, {});
    make_printer(output_format::json, empty_json)->list(columns, {});
    EXPECT_EQ(empty_text.str(), "");
    EXPECT_EQ(empty_json.str(), "[]\n");
}

struct bad_command {
    std::vector<std::string> args;
    exit_code code;
    std::string input = "";
};

// Malformed commands: each fails with its exit code and one line of error, and leaves the store
// byte for byte as it was.
TEST_F(Cli, MalformedCommandsChangeNothing) {
    const std::string t(vol1), none = "iqn.2026-11.org.example:none", fresh = "iqn.2026-11.org.example:new";
    const std::vector<bad_command> cases = {
        {{}, exit_code::usage},
        {{"frobnicate"}, exit_code::usage},
        {{"add"}, exit_code::usage},
        {{"add", "bogus", "x"}, exit_code::usage},
        {{"add", "target"}, exit_code::usage},
        {{"add", "target", t}, exit_code::usage},
        {{"add", "target", "iqn.bad", "1.2.3.4"}, exit_code::usage},
        {{"add", "target", fresh, "300.1.1.1"}, exit_code::usage},
        {{"add", "target", fresh, "1.2.3.4:65536"}, exit_code::usage},
        {{"add", "target", fresh, "startup=automatic"}, exit_code::usage},
        {{"add", "target", fresh, "1.2.3.4", "startup=sometimes"}, exit_code::usage},
        {{"add", "target", fresh, "1.2.3.4", "bogus=1"}, exit_code::usage},
        {{"add", "target", fresh, "1.2.3.4", "1.2.3.4:3260,2"}, exit_code::usage},
        {{"add", "target", fresh, "1.2.3.4", "portal=1.2.3.5"}, exit_code::usage},
        {{"add", "target", fresh, "1.2.3.4", "auth=chap", "auth=none"}, exit_code::usage},
        {{"add", "target", fresh, "1.2.3.4", "method=sendtargets"}, exit_code::usage},
        {{"add", "target", fresh, "1.2.3.4", "chap-secret=-"}, exit_code::usage, ""},
        {{"add", "target", t, "192.168.1.10"}, exit_code::already_exists},
        {{"add", "target", t, "10.0.0.9", "auth=chap"}, exit_code::already_exists},
        {{"add", "discovery", "192.168.1.10"}, exit_code::already_exists},
        {{"add", "discovery", "[fe80::1"}, exit_code::usage},
        {{"add", "discovery", "1.2.3.4", "startup=manual"}, exit_code::usage},
        {{"remove"}, exit_code::usage},
        {{"remove", "target"}, exit_code::usage},
        {{"remove", "target", none}, exit_code::not_found},
        {{"remove", "target", t, "10.9.9.9"}, exit_code::not_found},
        {{"remove", "target", t, "[fe80::1"}, exit_code::usage},
        {{"remove", "target", t, "192.168.1.10"}, exit_code::usage},
        {{"remove", "discovery", "10.9.9.9"}, exit_code::not_found},
        {{"remove", "discovery", "not a portal"}, exit_code::usage},
        {{"modify", "target", t}, exit_code::usage},
        {{"modify", "target", t, "auth"}, exit_code::usage},
        {{"modify", "target", t, "=chap"}, exit_code::usage},
        {{"modify", "target", t, "auth=kerberos"}, exit_code::usage},
        {{"modify", "target", t, "replacement-timeout=-5"}, exit_code::usage},
        {{"modify", "target", t, "queue-depth=100000"}, exit_code::usage},
        {{"modify", "target", t, "chap-secret=short"}, exit_code::usage},
        {{"modify", "target", t, "header-digest=md5"}, exit_code::usage},
        {{"modify", "target", t, "portal="}, exit_code::usage},
        {{"modify", "target", t, "auth=chap", "login-timeout=0"}, exit_code::usage},
        {{"modify", "target", none, "auth=chap"}, exit_code::not_found},
        {{"modify", "initiator", "name=iqn.bad"}, exit_code::usage},
        {{"modify", "initiator", "portal=1.2.3.4"}, exit_code::usage},
        {{"modify", "initiator", "startup=manual"}, exit_code::usage},
        {{"modify", "discovery", "10.9.9.9", "auth=chap"}, exit_code::not_found},
        {{"modify", "discovery", "192.168.1.10", "auth=maybe"}, exit_code::usage},
        {{"list"}, exit_code::usage},
        {{"list", "sessionz"}, exit_code::usage},
        {{"list", "targets", "--bogus"}, exit_code::usage},
        {{"show", "target"}, exit_code::usage},
        {{"show", "target", none}, exit_code::not_found},
        {{"show", "target", "not-a-name"}, exit_code::usage},
        {{"show", "initiator", "extra"}, exit_code::usage},
        {{"--store"}, exit_code::usage},
    };
    seed();
    const std::string before = store_text();
    for (const auto& c : cases) {
        auto r = iscsictl(c.args, c.input);
        std::string shown;
        for (const auto& arg : c.args)
            shown += arg + " ";
        EXPECT_EQ(r.code, code_of(c.code)) << shown << "-> " << r.err;
        EXPECT_TRUE(r.err.starts_with("iscsictl: ")) << shown << "-> " << r.err;
        EXPECT_EQ(std::ranges::count(r.err, '\n'), 1) << shown << "-> " << r.err;
        EXPECT_EQ(r.out, "") << shown;
        EXPECT_EQ(store_text(), before) << shown;
    }
    EXPECT_GE(cases.size(), 40u);
    EXPECT_FALSE(fs::exists(initiatorname)) << "a failed command created the initiator name file";
}

struct bad_input {
    std::vector<std::string> args;
    std::string store; // empty: the seeded store
    exit_code code;
    std::string message; // a substring of the one error line
};

// Malformed commands (old and new verbs) and malformed stores, each with its exit code and the
// words that name the problem; the store stays byte for byte as it was, and nothing is created.
TEST_F(Cli, MalformedCommandsAndStoresSayWhatIsWrong) {
    const std::string t(vol1), none = "iqn.2026-11.org.example:none";
    const std::string tgt = "[target \"" + t + "\"]\nportal = 192.168.1.10:3260\n";
    const std::vector<bad_input> cases = {
        {{"login"}, "", exit_code::usage, "login needs an IQN, or --all, or --automatic"},
        {{"login", t, "--all"}, "", exit_code::usage, "login needs an IQN, or --all, or --automatic"},
        {{"login", "--all", "--automatic"}, "", exit_code::usage, "excludes"},
        {{"login", "--all", "--retry-for", "-1"}, "", exit_code::usage, "retry-for"},
        {{"login", "--all", "--retry-for", "3601"}, "", exit_code::usage, "retry-for"},
        {{"login", "--automatic", "--retry-for", "soon"}, "", exit_code::usage, "retry-for"},
        {{"login", "iqn.bad"}, "", exit_code::usage, "iqn.bad"},
        {{"login", none}, "", exit_code::not_found, "no target " + none},
        {{"login", t, "300.1.1.1"}, "", exit_code::usage, "portal = '300.1.1.1'"},
        {{"logout"}, "", exit_code::usage, "logout needs an IQN or --all"},
        {{"logout", t, "--all"}, "", exit_code::usage, "logout needs an IQN or --all"},
        {{"logout", "not-a-name"}, "", exit_code::usage, "not an iSCSI name"},
        {{"rescan", "not-a-name"}, "", exit_code::usage, "not an iSCSI name"},
        {{"rescan", t, "extra"}, "", exit_code::usage, "extra"},
        {{"show", "session"}, "", exit_code::usage, "IQN|ID is required"},
        {{"show", "session", "-1"}, "", exit_code::usage, ""},
        {{"show", "session", "iqn.bad"}, "", exit_code::usage, "neither a session number nor an iSCSI name"},
        {{"discover", "1.2.3.4:99999"}, "", exit_code::usage, "1.2.3.4:99999"},
        {{"discover", "[::1"}, "", exit_code::usage, "[::1"},
        {{"discover", "--bogus"}, "", exit_code::usage, "--bogus"},
        {{"import"}, "", exit_code::usage, "subcommand"},
        {{"import", "nfs"}, "", exit_code::usage, "A subcommand is required"},
        {{"import", "open-iscsi", "/nonexistent/iscsi"},
         "",
         exit_code::not_found,
         "no open-iscsi node database"},
        {{"remove", "target", t, "--logout", "extra", "more"}, "", exit_code::usage, "not expected: more"},
        {{"remove", "target", "iqn.bad"}, "", exit_code::usage, "iqn.bad"},
        {{"modify", "discovery", "192.168.1.10", "interval=30"},
         "",
         exit_code::usage,
         "interval = '30': out of range 0 or 60..86400"},
        {{"modify", "discovery", "192.168.1.10", "interval=86401"}, "", exit_code::usage, "0 or 60..86400"},
        {{"modify", "discovery", "192.168.1.10", "rediscover-interval=60"},
         "",
         exit_code::usage,
         "unknown key 'rediscover-interval'"},
        {{"modify", "target", t, "max-outstanding-r2t=17"}, "", exit_code::usage, "out of range 1..16"},
        {{"modify", "target", t, "discovered-from=1.2.3.4:0"}, "", exit_code::usage, "discovered-from"},
        {{"modify", "target", t, "noop-timeout=0"}, "", exit_code::usage, "noop-timeout = '0'"},
        {{"modify", "target", t, "queue-depth=0"}, "", exit_code::usage, "queue-depth = '0'"},
        {{"modify", "target", t, "mutual-chap-secret=tiny"}, "", exit_code::usage, "mutual-chap-secret:"},
        {{"add", "discovery", "1.2.3.4", "interval=59"}, "", exit_code::usage, "interval = '59'"},
        {{"list", "targets"},
         tgt + "bogus = 1\n",
         exit_code::store_error,
         "targets.ini:3: unknown key 'bogus'"},
        {{"list", "discovery"},
         "[discovery \"1.2.3.4\"]\ninterval = 5\n",
         exit_code::store_error,
         "targets.ini:2: interval = '5': out of range 0 or 60..86400"},
        {{"show", "target", t},
         tgt + "max-outstanding-r2t = 64\n",
         exit_code::store_error,
         "targets.ini:3: max-outstanding-r2t = '64'"},
        {{"login", "--all"},
         tgt + "startup = boot\n",
         exit_code::store_error,
         "targets.ini:3: startup = 'boot'"},
        {{"discover"},
         "[discovery \"1.2.3\"]\n",
         exit_code::store_error,
         "targets.ini:1: discovery portal '1.2.3'"},
        {{"modify", "target", t, "auth=chap"},
         tgt + "portal = 192.168.1.10\n",
         exit_code::store_error,
         "duplicate portal"},
        {{"remove", "target", t}, "[target \"" + t + "\"]\n", exit_code::store_error, "has no portal"},
        {{"import", "open-iscsi", "/nonexistent"}, "[initiator\n", exit_code::not_found, "no open-iscsi"},
        {{"add", "target", t, "10.0.0.9"},
         "[initiator]\nalias = \"open\n",
         exit_code::store_error,
         "has no closing"},
        {{"show", "initiator"}, "name = x\n", exit_code::store_error, "comes before any [section]"},
        {{"list", "targets"},
         "[target \"iqn.2026-11.org.example:a\"]\nportal = 1.2.3.4\n[target "
         "\"IQN.2026-11.org.example:A\"]\nportal = 1.2.3.4\n",
         exit_code::store_error,
         "duplicate section"},
    };
    for (const auto& c : cases) {
        if (c.store.empty())
            seed();
        else
            write_store(c.store);
        const std::string before = store_text();
        auto r = iscsictl(c.args);
        std::string shown;
        for (const auto& arg : c.args)
            shown += arg + " ";
        EXPECT_EQ(r.code, code_of(c.code)) << shown << "-> " << r.err;
        EXPECT_TRUE(r.err.starts_with("iscsictl: ")) << shown << "-> " << r.err;
        EXPECT_NE(r.err.find(c.message), std::string::npos) << shown << "-> " << r.err;
        EXPECT_EQ(std::ranges::count(r.err, '\n'), 1) << shown << "-> " << r.err;
        EXPECT_EQ(store_text(), before) << shown;
    }
    EXPECT_GE(cases.size(), 40u);
    EXPECT_FALSE(fs::exists(initiatorname)) << "a failed command created the initiator name file";
}

} // namespace
} // namespace iscsictl
