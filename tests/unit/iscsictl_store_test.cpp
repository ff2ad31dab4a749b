// SPDX-License-Identifier: GPL-2.0-or-later
// targets.ini: parsing and validation with file:line errors, rewrites that keep what they did not
// change, atomic and locked writes, permissions, the initiator name file.
#include "store.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iscsi/names.hpp>
#include <iscsi/negotiation.hpp>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace iscsictl {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view vol1 = "iqn.2003-01.org.linux-iscsi.san:vol1";

// The example of the architecture page, comments and all.
constexpr std::string_view documented_store = R"([initiator]
name = iqn.2026-11.org.example:host1      ; default from /etc/iscsi/initiatorname.iscsi, shared with open-iscsi
alias = host1

[target "iqn.2003-01.org.linux-iscsi.san:vol1"]
portal = 192.168.1.10:3260
portal = [fe80::1%eth0]:3260
startup = automatic                       ; or manual
auth = chap                               ; none | chap | mutual-chap
chap-name = host1
chap-secret = 0123456789abcdef            ; file must be 0600; never printed, never logged
header-digest = crc32c,none
data-digest = none
replacement-timeout = 120

[discovery "192.168.1.10:3260"]
method = sendtargets
)";

store parse_ok(std::string_view text) {
    auto parsed = store::parse(text, "t.ini");
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error_value().message);
    return parsed ? std::move(*parsed) : store{};
}

std::string read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_all(const fs::path& path, std::string_view text, mode_t mode = 0600) {
    std::ofstream(path, std::ios::binary) << text;
    fs::permissions(path, static_cast<fs::perms>(mode));
}

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
}

class temp_dir : public ::testing::Test {
protected:
    void SetUp() override { path = dir / "targets.ini"; }
    [[nodiscard]] std::vector<std::string> files() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(dir))
            names.push_back(entry.path().filename().string());
        std::ranges::sort(names);
        return names;
    }
    test::temp_dir tmp{"iscsictl-store"};
    fs::path dir = tmp.path();
    fs::path path;
};

TEST(StoreKeys, EveryDefaultIsAValidValueInNormalForm) {
    for (const key_def& key : key_table()) {
        if (key.default_value.empty()) {
            EXPECT_FALSE(key.default_text.empty()) << key.name << " documents no default";
            continue;
        }
        auto normal = normalise_value(key, key.default_value);
        ASSERT_TRUE(normal) << key.name << ": " << normal.error_value().message;
        EXPECT_EQ(*normal, key.default_value) << key.name;
    }
}

TEST(StoreKeys, NamesAreUniquePerSectionAndSecretsAreText) {
    for (const key_def& key : key_table()) {
        EXPECT_EQ(find_key(key.section, key.name), &key) << key.name;
        EXPECT_FALSE(key.description.empty()) << key.name;
        if (key.secret) {
            EXPECT_EQ(key.type, value_type::text) << key.name;
        }
    }
}

// What a target section does not set is what the login offers: the library's preferences.
TEST(StoreKeys, OperationalDefaultsAreTheInitiatorsPreferences) {
    const iscsi::initiator_preferences offered;
    auto default_of = [](std::string_view name) {
        return std::string(find_key(section_kind::target, name)->default_value);
    };
    auto digests = [](const std::vector<iscsi::digest_type>& list) {
        std::string text;
        for (auto digest : list)
            text += std::string(text.empty() ? "" : ",") +
                    (digest == iscsi::digest_type::crc32c ? "crc32c" : "none");
        return text;
    };
    auto yes_no = [](bool b) {
        return std::string(b ? "yes" : "no");
    };
    EXPECT_EQ(default_of("header-digest"), digests(offered.header_digest));
    EXPECT_EQ(default_of("data-digest"), digests(offered.data_digest));
    EXPECT_EQ(default_of("max-recv-data-segment-length"),
              std::to_string(offered.max_recv_data_segment_length));
    EXPECT_EQ(default_of("max-burst-length"), std::to_string(offered.max_burst_length));
    EXPECT_EQ(default_of("first-burst-length"), std::to_string(offered.first_burst_length));
    EXPECT_EQ(default_of("initial-r2t"), yes_no(offered.initial_r2t));
    EXPECT_EQ(default_of("immediate-data"), yes_no(offered.immediate_data));
    EXPECT_EQ(default_of("max-outstanding-r2t"), std::to_string(offered.max_outstanding_r2t));
    EXPECT_EQ(default_of("default-time2wait"), std::to_string(offered.default_time2wait));
    EXPECT_EQ(default_of("default-time2retain"), std::to_string(offered.default_time2retain));
}

TEST(StoreKeys, ValuesAreNormalised) {
    auto target = [](std::string_view name) {
        return *find_key(section_kind::target, name);
    };
    EXPECT_EQ(*normalise_value(target("portal"), "192.168.1.10"), "192.168.1.10:3260");
    EXPECT_EQ(*normalise_value(target("portal"), "FE80::1%eth0"), "[fe80::1%eth0]:3260");
    EXPECT_EQ(*normalise_value(target("portal"), "san.example.com:3261,2"), "san.example.com:3261,2");
    EXPECT_EQ(*normalise_value(target("header-digest"), "CRC32C, None"), "crc32c,none");
    EXPECT_EQ(*normalise_value(target("initial-r2t"), "true"), "yes");
    EXPECT_EQ(*normalise_value(target("immediate-data"), "0"), "no");
    EXPECT_EQ(*normalise_value(target("replacement-timeout"), "0"), "0");
    EXPECT_EQ(*normalise_value(*find_key(section_kind::initiator, "name"), "IQN.2026-11.Org.Example:Host1"),
              "iqn.2026-11.org.example:host1");
}

struct bad_value_case {
    std::string_view key;
    std::string_view value;
    std::string_view message;
};

TEST(StoreKeys, BadValuesAreRefusedWithTheReason) {
    const bad_value_case cases[] = {
        {"replacement-timeout", "-1", "replacement-timeout = '-1': out of range 0..86400"},
        {"replacement-timeout", "86401", "out of range 0..86400"},
        {"replacement-timeout", "99999999999999999999", "out of range 0..86400"},
        {"replacement-timeout", "12s", "not a decimal number"},
        {"replacement-timeout", "", "not a decimal number"},
        {"first-burst-length", "511", "out of range 512..16777215"},
        {"max-recv-data-segment-length", "16777216", "out of range 512..16777215"},
        {"startup", "sometimes", "must be manual | automatic"},
        {"startup", "manual,automatic", "must be manual | automatic"},
        {"auth", "", "must be none | chap | mutual-chap"},
        {"header-digest", "crc32c,crc32c", "'crc32c' is listed twice"},
        {"header-digest", "crc32", "must be comma-separated list of crc32c | none"},
        {"data-digest", "none,", "must be comma-separated list of crc32c | none"},
        {"initial-r2t", "maybe", "must be yes or no"},
        {"chap-name", "", "must be 1 to 255 bytes long"},
        {"chap-name", "tab\there", "must be UTF-8 text without control characters"},
        {"chap-name", "\xc3\x28", "must be UTF-8 text without control characters"},
        {"portal", "192.168.1.300", "portal = '192.168.1.300'"},
        {"portal", "[fe80::1", "portal = '[fe80::1'"},
        {"discovered-from", "1.2.3.4:99999", "discovered-from = '1.2.3.4:99999'"},
    };
    for (const auto& c : cases) {
        auto normal = normalise_value(*find_key(section_kind::target, c.key), c.value);
        ASSERT_FALSE(normal) << c.key << " = " << c.value;
        EXPECT_EQ(normal.error_value().code, exit_code::usage);
        EXPECT_NE(normal.error_value().message.find(c.message), std::string::npos)
            << c.key << " = " << c.value << " gave: " << normal.error_value().message;
    }
    EXPECT_EQ(normalise_value(*find_key(section_kind::initiator, "name"), "iqn.bad").error_value().message,
              "name = 'iqn.bad': iqn: missing date (iqn.yyyy-mm.reversed.domain)");
}

// Every key of the table, generically: its bounds are accepted, one past them refused with a
// usage error that names the key (and never shows a secret's value).
TEST(StoreKeys, EveryKeyIsValidatedAtItsBounds) {
    for (const key_def& key : key_table()) {
        std::vector<std::string> good, bad;
        switch (key.type) {
        case value_type::integer:
            good = {std::to_string(key.max)};
            bad = {std::to_string(key.max + 1), "x", "", "1.5", " 1"};
            if (key.min_nonzero > 0) {
                good.push_back("0");
                good.push_back(std::to_string(key.min_nonzero));
                bad.push_back(std::to_string(key.min_nonzero - 1));
            } else {
                good.push_back(std::to_string(key.min));
                bad.push_back(std::to_string(key.min - 1));
            }
            break;
        case value_type::boolean:
            good = {"yes", "no", "TRUE", "off", "1", "0"};
            bad = {"maybe", "", "2"};
            break;
        case value_type::choice:
        case value_type::choice_list:
            for (std::size_t start = 0;;) {
                auto comma = key.choices.find(',', start);
                good.emplace_back(key.choices.substr(start, comma - start));
                if (comma == std::string_view::npos)
                    break;
                start = comma + 1;
            }
            bad = {"bogus", "", good.front() + "," + good.front()};
            if (key.type == value_type::choice_list)
                good.emplace_back(key.choices);
            break;
        case value_type::text:
            good = {std::string(static_cast<std::size_t>(key.min), 'a'),
                    std::string(static_cast<std::size_t>(key.max), 'b')};
            bad = {std::string(static_cast<std::size_t>(key.max) + 1, 'c'), "ctl\x01char"};
            if (key.min > 0)
                bad.push_back(std::string(static_cast<std::size_t>(key.min) - 1, 'd'));
            break;
        case value_type::iscsi_name:
            good = {"iqn.2026-11.org.example:x", "eui.0123456789ABCDEF", "naa.52004567BA64678D"};
            bad = {"iqn.bad", "", "eui.123", "x"};
            break;
        case value_type::portal:
            good = {"192.0.2.1", "192.0.2.1:3261,1", "[2001:db8::1]:3260", "san.example.com"};
            bad = {"", "192.0.2.300", "1.2.3.4:65536", "[fe80::1", "1.2.3.4,x"};
            break;
        }
        for (const auto& v : good)
            EXPECT_TRUE(normalise_value(key, v)) << key.name << " = '" << v << "' should be accepted";
        for (const auto& v : bad) {
            auto r = normalise_value(key, v);
            ASSERT_FALSE(r) << key.name << " = '" << v << "' should be refused";
            EXPECT_EQ(r.error_value().code, exit_code::usage);
            EXPECT_TRUE(r.error_value().message.starts_with(std::string(key.name)))
                << r.error_value().message;
            if (key.secret && v.size() > 2) {
                EXPECT_EQ(r.error_value().message.find(v), std::string::npos) << "secret shown";
            }
        }
    }
}

TEST(StoreKeys, SecretsNeverAppearInErrors) {
    const key_def& secret = *find_key(section_kind::target, "chap-secret");
    for (std::string_view value : {std::string_view("short"), std::string_view("ctl\x01secret-is-long")}) {
        auto normal = normalise_value(secret, value);
        ASSERT_FALSE(normal);
        EXPECT_EQ(normal.error_value().message.find(value), std::string::npos)
            << normal.error_value().message;
    }
    EXPECT_EQ(normalise_value(secret, "short").error_value().message,
              "chap-secret: must be 12 to 255 bytes long");
}

TEST(StoreParse, ReadsTheDocumentedExample) {
    store s = parse_ok(documented_store);
    EXPECT_EQ(s.value(section_kind::initiator, "", "name"), "iqn.2026-11.org.example:host1");
    EXPECT_EQ(s.value(section_kind::initiator, "", "alias"), "host1");
    EXPECT_EQ(s.subsections(section_kind::target), std::vector<std::string>{std::string(vol1)});
    EXPECT_EQ(s.values(section_kind::target, vol1, "portal"),
              (std::vector<std::string>{"192.168.1.10:3260", "[fe80::1%eth0]:3260"}));
    EXPECT_EQ(s.value(section_kind::target, vol1, "startup"), "automatic");
    EXPECT_EQ(s.value(section_kind::target, vol1, "auth"), "chap");
    EXPECT_EQ(s.value(section_kind::target, vol1, "chap-secret"), "0123456789abcdef");
    EXPECT_EQ(s.value(section_kind::target, vol1, "header-digest"), "crc32c,none");
    EXPECT_EQ(s.subsections(section_kind::discovery), std::vector<std::string>{"192.168.1.10:3260"});
    EXPECT_EQ(s.value(section_kind::discovery, "192.168.1.10:3260", "method"), "sendtargets");
    EXPECT_TRUE(s.has_secrets());
    EXPECT_EQ(s.text(), documented_store);
}

TEST(StoreParse, QuotingCommentsAndCaseAreUnderstood) {
    store s = parse_ok("# comment\n"
                       "  ; indented comment\n"
                       "[Target \"IQN.2003-01.org.linux-iscsi.san:VOL1\"]\r\n"
                       "\tPortal=192.168.1.10 # inline comment\n"
                       "  chap-name = \"a name; with # signs\" ; comment\n"
                       "  chap-secret = \"quote \\\" and backslash \\\\ \"\n"
                       "[unknown \"sub \\\"quoted\\\"\"]\n"
                       "anything = goes here\n"
                       "Other-Key = \n"
                       "[initiator]\n"
                       "alias = two  words   \n");
    EXPECT_EQ(s.values(section_kind::target, vol1, "portal"), std::vector<std::string>{"192.168.1.10:3260"});
    EXPECT_EQ(s.value(section_kind::target, vol1, "chap-name"), "a name; with # signs");
    EXPECT_EQ(s.value(section_kind::target, vol1, "chap-secret"), "quote \" and backslash \\ ");
    EXPECT_EQ(s.value(section_kind::initiator, "", "alias"), "two  words");
    auto sections = s.sections();
    ASSERT_EQ(sections.size(), 3u);
    EXPECT_EQ(sections[1].kind, "unknown");
    EXPECT_EQ(sections[1].subsection, "sub \"quoted\"");
    EXPECT_EQ(sections[1].entries, (std::vector<store_entry>{{"anything", "goes here"}, {"other-key", ""}}));
}

struct parse_error_case {
    std::string_view text;
    std::string_view error; // the whole message
};

TEST(StoreParse, ErrorsNameFileAndLine) {
    const std::string target = "[target \"" + std::string(vol1) + "\"]\nportal = 192.168.1.10\n";
    const parse_error_case cases[] = {
        {"[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 192.168.1.10\nfoo = 1\n",
         "t.ini:3: unknown key 'foo' in [target]"},
        {"[initiator]\nportal = 192.168.1.10\n", "t.ini:2: unknown key 'portal' in [initiator]"},
        {"[initiator]\nchap_secret = x\n", "t.ini:2: unknown key 'chap_secret' in [initiator]"},
        {"[discovery \"192.168.1.10\"]\nstartup = manual\n", "t.ini:2: unknown key 'startup' in [discovery]"},
        {"\n[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 192.168.1.10\nreplacement-timeout = "
         "abc\n",
         "t.ini:4: replacement-timeout = 'abc': not a decimal number"},
        {"[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 192.168.1.10\nqueue-depth = 0\n",
         "t.ini:3: queue-depth = '0': out of range 1..1024"},
        {"[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 192.168.1.10\nstartup = boot\n",
         "t.ini:3: startup = 'boot': must be manual | automatic"},
        {"[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 1.2.3.4\n"
         "[target \"IQN.2003-01.org.linux-iscsi.san:VOL1\"]\nportal = 1.2.3.4\n",
         "t.ini:3: duplicate section: target 'iqn.2003-01.org.linux-iscsi.san:vol1' (first at line 1)"},
        {"[discovery \"10.0.0.1\"]\n[discovery \"10.0.0.1:3260\"]\n",
         "t.ini:2: duplicate section: discovery '10.0.0.1:3260' (first at line 1)"},
        {"[initiator]\n[initiator]\n", "t.ini:2: duplicate section: [initiator] (first at line 1)"},
        {"[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 1.2.3.4\nstartup = manual\nstartup = "
         "manual\n",
         "t.ini:4: duplicate key 'startup' (first at line 3)"},
        {"[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 1.2.3.4,1\nportal = 1.2.3.4:3260\n",
         "t.ini:3: duplicate portal 1.2.3.4:3260 (first at line 2)"},
        {"[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nstartup = manual\n\n[initiator]\n",
         "t.ini:1: target 'iqn.2003-01.org.linux-iscsi.san:vol1' has no portal"},
        {"[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\n",
         "t.ini:1: target 'iqn.2003-01.org.linux-iscsi.san:vol1' has no portal"},
        {"[target]\nportal = 1.2.3.4\n", "t.ini:1: [target] needs a name: [target \"IQN\"]"},
        {"[discovery]\n", "t.ini:1: [discovery] needs a name: [discovery \"PORTAL\"]"},
        {"[initiator \"x\"]\n", "t.ini:1: [initiator] takes no name"},
        {"[target \"iqn.bad\"]\n",
         "t.ini:1: target name 'iqn.bad': iqn: missing date (iqn.yyyy-mm.reversed.domain)"},
        {"[discovery \"1.2.3\"]\n", "t.ini:1: discovery portal '1.2.3': "},
        {"# comment\nname = x\n", "t.ini:2: key 'name' comes before any [section]"},
        {"[initiator]\nalias host1\n", "t.ini:2: expected '=' after key 'alias'"},
        {"[initiator]\n= host1\n", "t.ini:2: expected 'key = value', a [section] header or a comment"},
        {"[initiator]\n-alias = host1\n", "t.ini:2: expected 'key = value', a [section] header or a comment"},
        {"[initiator]\nalias = \"host1\n", "t.ini:2: value of 'alias' has no closing '\"'"},
        {"[initiator]\nalias = \"a\\nb\"\n",
         "t.ini:2: value of 'alias': only \\\" and \\\\ may follow a backslash in quotes"},
        {"[initiator\n", "t.ini:1: section header must end with ']'"},
        {"[]\n", "t.ini:1: section header needs a name: [name] or [name \"subsection\"]"},
        {"[initiator] alias = x\n", "t.ini:1: unexpected text after ']'"},
        {"[target \"iqn.2003-01.org.linux-iscsi.san:vol1\n", "t.ini:1: section name has no closing '\"'"},
        {"[initiator]\nalias = a\x01z\n",
         "t.ini:2: alias = 'a\\x01z': must be UTF-8 text without control characters"},
        {"[initiator]\nalias = a\rz\n",
         "t.ini:2: alias = 'a\\x0dz': must be UTF-8 text without control characters"},
        {"[target \"iqn.2026-11.org.example:\x1b[2J\"]\n",
         "t.ini:1: target name 'iqn.2026-11.org.example:\\x1b[2J': "},
        {"[initiator]\nchap-secret = tooshort\n", "t.ini:2: chap-secret: must be 12 to 255 bytes long"},
        {"[initiator]\nname = iqn.2026-13.org.example:x\n",
         "t.ini:2: name = 'iqn.2026-13.org.example:x': iqn: date must be yyyy-mm with a month from 01 to 12"},
    };
    for (const auto& c : cases) {
        auto parsed = store::parse(c.text, "t.ini");
        ASSERT_FALSE(parsed) << c.text;
        EXPECT_EQ(parsed.error_value().code, exit_code::store_error);
        EXPECT_TRUE(parsed.error_value().message.starts_with(c.error))
            << "input:\n"
            << c.text << "gave: " << parsed.error_value().message;
        EXPECT_EQ(parsed.error_value().message.find('\n'), std::string::npos);
    }
}

TEST(StoreParse, TextIsKeptByteForByte) {
    const std::string text = "; top comment\n\n[unknown]\n  weird-key = \"kept\"   ; as is\n"
                             "[target \"IQN.2003-01.org.linux-iscsi.san:vol1\"]   # upper case kept\r\n"
                             "\tportal=192.168.1.10\n\n\n# trailing\n";
    EXPECT_EQ(parse_ok(text).text(), text);
    // A last line without its newline gains one; nothing else changes.
    EXPECT_EQ(parse_ok("[initiator]\nalias = x").text(), "[initiator]\nalias = x\n");
    EXPECT_EQ(parse_ok("").text(), "");
}

TEST(StoreEdit, SetReplacesOnlyTheValueKeepingIndentAndComment) {
    store s = parse_ok(documented_store);
    ASSERT_TRUE(s.set(section_kind::target, vol1, "startup", "manual"));
    ASSERT_TRUE(s.set(section_kind::target, vol1, "replacement-timeout", "30"));
    std::string expected(documented_store);
    expected.replace(expected.find("startup = automatic "), 20, "startup = manual ");
    expected.replace(expected.find("replacement-timeout = 120"), 25, "replacement-timeout = 30");
    EXPECT_EQ(s.text(), expected);

    store indented = parse_ok("[initiator]\n    alias = old   ; keep me\n");
    ASSERT_TRUE(indented.set(section_kind::initiator, "", "alias", "new"));
    EXPECT_EQ(indented.text(), "[initiator]\n    alias = new   ; keep me\n");
}

TEST(StoreEdit, SettingTheSameValueChangesNothing) {
    store s = parse_ok(documented_store);
    ASSERT_TRUE(s.set(section_kind::target, vol1, "startup", "AUTOMATIC"));
    EXPECT_EQ(s.text(), documented_store);
}

TEST(StoreEdit, NewKeysGoAfterTheSectionsLastKeyWithItsIndent) {
    store s = parse_ok("[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\n"
                       "  portal = 10.0.0.1:3260\n"
                       "  ; a comment inside\n"
                       "  startup = manual\n"
                       "\n"
                       "# about the next section\n"
                       "[unknown]\n"
                       "x = y\n");
    ASSERT_TRUE(s.set(section_kind::target, vol1, "data-digest", "crc32c"));
    ASSERT_TRUE(s.add_value(section_kind::target, vol1, "portal", "10.0.0.2"));
    EXPECT_EQ(s.text(), "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\n"
                        "  portal = 10.0.0.1:3260\n"
                        "  portal = 10.0.0.2:3260\n"
                        "  ; a comment inside\n"
                        "  startup = manual\n"
                        "  data-digest = crc32c\n"
                        "\n"
                        "# about the next section\n"
                        "[unknown]\n"
                        "x = y\n");
}

TEST(StoreEdit, ValuesThatNeedQuotesAreQuotedAndReadBack) {
    store s = parse_ok("");
    const std::string secret = " ;#\"\\ secret with everything ";
    ASSERT_TRUE(s.set(section_kind::initiator, "", "chap-secret", secret));
    EXPECT_EQ(s.text(), "[initiator]\nchap-secret = \" ;#\\\"\\\\ secret with everything \"\n");
    EXPECT_EQ(parse_ok(s.text()).value(section_kind::initiator, "", "chap-secret"), secret);
}

TEST(StoreEdit, SectionsAreAddedAndRemovedCleanly) {
    store s = parse_ok("# my SAN\n\n[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 10.0.0.1\n");
    ASSERT_TRUE(s.add_section(section_kind::discovery, "10.0.0.1:3260"));
    ASSERT_TRUE(s.set(section_kind::initiator, "", "alias", "host1"));
    EXPECT_EQ(s.text(), "# my SAN\n\n"
                        "[initiator]\nalias = host1\n\n"
                        "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 10.0.0.1\n\n"
                        "[discovery \"10.0.0.1:3260\"]\n");
    ASSERT_TRUE(s.remove_section(section_kind::target, vol1));
    EXPECT_EQ(s.text(), "# my SAN\n\n[initiator]\nalias = host1\n\n[discovery \"10.0.0.1:3260\"]\n");
    ASSERT_TRUE(s.remove_section(section_kind::discovery, "10.0.0.1:3260"));
    EXPECT_EQ(s.text(), "# my SAN\n\n[initiator]\nalias = host1\n");
    EXPECT_EQ(s.remove_section(section_kind::discovery, "10.0.0.1:3260").error_value().code,
              exit_code::not_found);
}

TEST(StoreEdit, CommentsBeforeTheNextSectionSurviveRemoval) {
    store s = parse_ok(
        "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 10.0.0.1\n\n"
        "; the backup array\n[target \"iqn.2003-01.org.linux-iscsi.san:vol2\"]\nportal = 10.0.0.2\n");
    ASSERT_TRUE(s.remove_section(section_kind::target, vol1));
    EXPECT_EQ(s.text(),
              "; the backup array\n[target \"iqn.2003-01.org.linux-iscsi.san:vol2\"]\nportal = 10.0.0.2\n");
}

TEST(StoreEdit, UnknownSectionsAndKeysSurviveEdits) {
    const std::string text =
        "[future-section \"x\"]\nnew-key = 1\n\n[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\n"
        "portal = 10.0.0.1\n";
    store s = parse_ok(text);
    ASSERT_TRUE(s.set(section_kind::target, vol1, "auth", "chap"));
    EXPECT_EQ(s.text(), text + "auth = chap\n");
    EXPECT_EQ(s.sections().front(), (store_section{"future-section", "x", {{"new-key", "1"}}}));
}

TEST(StoreEdit, RepeatableValuesAreAddedAndRemovedOneByOne) {
    store s = parse_ok("[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 10.0.0.1,1\n");
    EXPECT_EQ(s.add_value(section_kind::target, vol1, "portal", "10.0.0.1:3260").error_value().code,
              exit_code::already_exists);
    ASSERT_TRUE(s.add_value(section_kind::target, vol1, "portal", "[2001:db8::1]"));
    EXPECT_EQ(s.values(section_kind::target, vol1, "portal"),
              (std::vector<std::string>{"10.0.0.1:3260,1", "[2001:db8::1]:3260"}));
    // Without a group tag, a portal matches whatever tag is stored.
    ASSERT_TRUE(s.remove_value(section_kind::target, vol1, "portal", "10.0.0.1"));
    EXPECT_EQ(s.values(section_kind::target, vol1, "portal"), std::vector<std::string>{"[2001:db8::1]:3260"});
    auto last = s.remove_value(section_kind::target, vol1, "portal", "2001:db8::1");
    ASSERT_FALSE(last);
    EXPECT_EQ(last.error_value().code, exit_code::usage);
    EXPECT_EQ(s.remove_value(section_kind::target, vol1, "portal", "10.9.9.9").error_value().code,
              exit_code::not_found);
    EXPECT_EQ(s.unset(section_kind::target, vol1, "portal").error_value().code, exit_code::usage);
    EXPECT_EQ(s.set(section_kind::target, vol1, "portal", "10.0.0.3").error_value().code, exit_code::usage);
}

TEST(StoreEdit, InvalidEditsChangeNothing) {
    store s = parse_ok(documented_store);
    EXPECT_EQ(s.set(section_kind::target, vol1, "no-such-key", "1").error_value().code, exit_code::usage);
    EXPECT_EQ(s.set(section_kind::target, vol1, "queue-depth", "0").error_value().code, exit_code::usage);
    EXPECT_EQ(s.set(section_kind::target, "iqn.2003-01.org.linux-iscsi.san:vol9", "auth", "chap")
                  .error_value()
                  .code,
              exit_code::not_found);
    EXPECT_EQ(s.add_section(section_kind::target, vol1).error_value().code, exit_code::already_exists);
    EXPECT_EQ(s.text(), documented_store);
}

TEST(StoreEdit, UnsetFallsBackToTheDefault) {
    store s = parse_ok(documented_store);
    ASSERT_TRUE(s.unset(section_kind::target, vol1, "replacement-timeout"));
    EXPECT_EQ(s.value(section_kind::target, vol1, "replacement-timeout"), std::nullopt);
    for (const auto& r : resolve(s, section_kind::target, vol1, "iqn.2026-11.org.example:host1"))
        if (r.key->name == "replacement-timeout") {
            EXPECT_EQ(r.values, std::vector<std::string>{"120"});
            EXPECT_EQ(r.origin, value_origin::default_value);
        }
}

TEST(StoreResolve, CredentialsComeFromTheTargetThenTheInitiatorThenTheName) {
    store s = parse_ok("[initiator]\nchap-secret = initiator-wide-secret\n"
                       "[target \"iqn.2003-01.org.linux-iscsi.san:vol1\"]\nportal = 10.0.0.1\n");
    auto find = [](const std::vector<resolved_key>& all, std::string_view name) {
        return *std::ranges::find_if(all, [&](const resolved_key& r) { return r.key->name == name; });
    };
    auto resolved = resolve(s, section_kind::target, vol1, "iqn.2026-11.org.example:host1");
    EXPECT_EQ(find(resolved, "chap-name").values, std::vector<std::string>{"iqn.2026-11.org.example:host1"});
    EXPECT_EQ(find(resolved, "chap-name").origin, value_origin::computed);
    EXPECT_EQ(find(resolved, "chap-secret").values, std::vector<std::string>{"initiator-wide-secret"});
    EXPECT_EQ(find(resolved, "chap-secret").origin, value_origin::inherited);
    EXPECT_EQ(find(resolved, "mutual-chap-secret").origin, value_origin::unset);
    EXPECT_TRUE(find(resolved, "mutual-chap-secret").values.empty());
    EXPECT_EQ(find(resolved, "portal").values, std::vector<std::string>{"10.0.0.1:3260"});
    EXPECT_EQ(find(resolved, "portal").origin, value_origin::set);

    ASSERT_TRUE(s.set(section_kind::initiator, "", "chap-name", "shared-user"));
    ASSERT_TRUE(s.set(section_kind::target, vol1, "chap-secret", "target-own-secret"));
    resolved = resolve(s, section_kind::target, vol1, "iqn.2026-11.org.example:host1");
    EXPECT_EQ(find(resolved, "chap-name").values, std::vector<std::string>{"shared-user"});
    EXPECT_EQ(find(resolved, "chap-name").origin, value_origin::inherited);
    EXPECT_EQ(find(resolved, "chap-secret").values, std::vector<std::string>{"target-own-secret"});
    EXPECT_EQ(find(resolved, "chap-secret").origin, value_origin::set);
}

using StoreFile = temp_dir;

TEST_F(StoreFile, MissingStoreIsEmptyAndIsCreatedMode0600) {
    auto empty = load_store(path);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->sections().empty());
    ASSERT_TRUE(
        update_store(path, [](store& s) { return s.set(section_kind::initiator, "", "alias", "host1"); }));
    EXPECT_EQ(read_all(path), "[initiator]\nalias = host1\n");
    EXPECT_EQ(mode_of(path), 0600u);
}

TEST_F(StoreFile, StoreDirectoryIsCreatedOneLevelDeep) {
    auto nested = dir / "iscsi" / "targets.ini";
    ASSERT_TRUE(update_store(
        nested, [](store& s) { return s.add_section(section_kind::discovery, "10.0.0.1:3260"); }));
    EXPECT_EQ(read_all(nested), "[discovery \"10.0.0.1:3260\"]\n");
    auto too_deep = update_store(dir / "a" / "b" / "targets.ini", [](store&) -> status { return done{}; });
    ASSERT_FALSE(too_deep);
    EXPECT_EQ(too_deep.error_value().code, exit_code::store_error);
}

TEST_F(StoreFile, RewriteKeepsEverythingElseAndTheMode) {
    const std::string text = "; hand written\n[unknown]\nkeep = me\n\n[initiator]\nalias = a   # old alias\n";
    write_all(path, text, 0640);
    ASSERT_TRUE(
        update_store(path, [](store& s) { return s.set(section_kind::initiator, "", "alias", "b"); }));
    EXPECT_EQ(read_all(path),
              "; hand written\n[unknown]\nkeep = me\n\n[initiator]\nalias = b   # old alias\n");
    EXPECT_EQ(mode_of(path), 0640u);
    // A secret takes every permission of group and others away.
    ASSERT_TRUE(update_store(path, [](store& s) {
        return s.set(section_kind::initiator, "", "chap-secret", "a-long-enough-secret");
    }));
    EXPECT_EQ(mode_of(path), 0600u);
}

TEST_F(StoreFile, ASymbolicLinkStaysALink) {
    auto real = dir / "real.ini";
    write_all(real, "[initiator]\nalias = a\n");
    fs::create_symlink("real.ini", path);
    ASSERT_TRUE(
        update_store(path, [](store& s) { return s.set(section_kind::initiator, "", "alias", "b"); }));
    EXPECT_TRUE(fs::is_symlink(path));
    EXPECT_EQ(read_all(real), "[initiator]\nalias = b\n");
}

TEST_F(StoreFile, AStoreWithSecretsReadableByOthersIsRefused) {
    const std::string text = "[initiator]\nchap-secret = a-long-enough-secret\n";
    for (mode_t mode : {0644, 0640, 0604, 0660}) {
        write_all(path, text, mode);
        auto loaded = load_store(path);
        ASSERT_FALSE(loaded) << std::oct << mode;
        EXPECT_EQ(loaded.error_value().code, exit_code::store_error);
        EXPECT_NE(loaded.error_value().message.find("chmod 600"), std::string::npos);
        EXPECT_EQ(loaded.error_value().message.find("a-long-enough-secret"), std::string::npos);
        auto updated =
            update_store(path, [](store& s) { return s.set(section_kind::initiator, "", "alias", "x"); });
        ASSERT_FALSE(updated);
        EXPECT_EQ(read_all(path), text);
        EXPECT_EQ(mode_of(path), mode);
    }
    // Without secrets any mode is fine; with 0600 or 0400 secrets are fine.
    write_all(path, "[initiator]\nalias = x\n", 0644);
    EXPECT_TRUE(load_store(path));
    write_all(path, text, 0400);
    EXPECT_TRUE(load_store(path));
}

TEST_F(StoreFile, InvalidStoreIsReportedWithItsPathAndLine) {
    write_all(path, "[initiator]\nalias = ok\nbogus = 1\n");
    auto loaded = load_store(path);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error_value().message, path.string() + ":3: unknown key 'bogus' in [initiator]");
    auto updated =
        update_store(path, [](store& s) { return s.set(section_kind::initiator, "", "alias", "x"); });
    ASSERT_FALSE(updated);
    EXPECT_EQ(updated.error_value().code, exit_code::store_error);
    EXPECT_EQ(read_all(path), "[initiator]\nalias = ok\nbogus = 1\n");
}

TEST_F(StoreFile, AFailedEditWritesNothing) {
    write_all(path, documented_store);
    auto updated = update_store(path, [](store& s) -> status {
        if (auto changed = s.set(section_kind::target, vol1, "startup", "manual"); !changed)
            return changed;
        return error{exit_code::not_found, "second step failed"};
    });
    ASSERT_FALSE(updated);
    EXPECT_EQ(updated.error_value().message, "second step failed");
    EXPECT_EQ(read_all(path), documented_store);
    EXPECT_EQ(files(), (std::vector<std::string>{"targets.ini", "targets.ini.lock"}));
}

// A write that fails half way (here: the file size limit, which binds root too) leaves the old
// store in place and no temporary file behind.
TEST_F(StoreFile, AFailedWriteLeavesTheOldFileIntact) {
    write_all(path, documented_store);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit{.rlim_cur = 64, .rlim_max = 64};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        auto updated = update_store(
            path, [](store& s) { return s.set(section_kind::target, vol1, "startup", "manual"); });
        bool reported = !updated && updated.error_value().code == exit_code::store_error &&
                        updated.error_value().message.starts_with("cannot write");
        ::_exit(reported ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the failed write was not reported as one";
    EXPECT_EQ(read_all(path), documented_store);
    EXPECT_EQ(files(), (std::vector<std::string>{"targets.ini", "targets.ini.lock"}));
}

// Root writes into read-only directories, so as root the write runs in a child that has become
// the unprivileged user "nobody" (uid and gid 65534) and owns the directory.
TEST_F(StoreFile, AReadOnlyDirectoryIsPermissionDenied) {
    write_all(path, documented_store);
    ASSERT_TRUE(update_store(path, [](store&) -> status { return done{}; })); // creates the lock file
    constexpr uid_t nobody = 65534;
    bool as_root = ::geteuid() == 0;
    if (as_root) {
        for (const auto& p : {dir, path, fs::path(path.string() + ".lock")})
            ASSERT_EQ(::chown(p.c_str(), nobody, nobody), 0);
    }
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (as_root && (::setgid(nobody) != 0 || ::setuid(nobody) != 0))
            ::_exit(2);
        auto updated = update_store(
            path, [](store& s) { return s.set(section_kind::target, vol1, "startup", "manual"); });
        ::_exit(!updated && updated.error_value().code == exit_code::permission_denied ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the write was not refused as permission denied";
    EXPECT_EQ(read_all(path), documented_store);
    EXPECT_EQ(files(), (std::vector<std::string>{"targets.ini", "targets.ini.lock"}));
}

// Two processes adding different targets at the same time: the lock serialises their
// read-modify-write, so every target of both ends up in the store.
TEST_F(StoreFile, ConcurrentWritersLoseNothing) {
    constexpr int per_writer = 25;
    std::vector<pid_t> children;
    for (int writer = 0; writer < 2; ++writer) {
        pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            for (int i = 0; i < per_writer; ++i) {
                std::string iqn =
                    "iqn.2026-11.org.example:w" + std::to_string(writer) + "-" + std::to_string(i);
                auto updated = update_store(path, [&](store& s) -> status {
                    if (auto added = s.add_section(section_kind::target, iqn); !added)
                        return added;
                    return s.add_value(section_kind::target, iqn, "portal", "10.0.0.1");
                });
                if (!updated)
                    ::_exit(1);
            }
            ::_exit(0);
        }
        children.push_back(child);
    }
    for (pid_t child : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    auto loaded = load_store(path);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->subsections(section_kind::target).size(), 2u * per_writer);
}

TEST_F(StoreFile, InitiatorNameComesFromTheStoreThenTheFile) {
    auto file = dir / "initiatorname.iscsi";
    store empty;
    auto missing = read_initiator_name(empty, file);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error_value().code, exit_code::not_found);
    EXPECT_FALSE(fs::exists(file));

    write_all(file, "## DO NOT EDIT OR REMOVE THIS FILE!\n\nInitiatorName=iqn.1993-08.org.debian:01:ABCDEF\n",
              0644);
    EXPECT_EQ(*read_initiator_name(empty, file), "iqn.1993-08.org.debian:01:abcdef");
    store named = parse_ok("[initiator]\nname = iqn.2026-11.org.example:host1\n");
    EXPECT_EQ(*read_initiator_name(named, file), "iqn.2026-11.org.example:host1");

    write_all(file, "# comment\nInitiatorName=not-a-name\n", 0644);
    auto invalid = read_initiator_name(empty, file);
    ASSERT_FALSE(invalid);
    EXPECT_TRUE(invalid.error_value().message.starts_with(file.string() + ":2: InitiatorName: "));
    write_all(file, "# no name here\n", 0644);
    EXPECT_EQ(read_initiator_name(empty, file).error_value().message,
              file.string() + ": no InitiatorName= line");
}

TEST_F(StoreFile, AMissingInitiatorNameFileIsCreatedWithARandomName) {
    auto file = dir / "initiatorname.iscsi";
    store empty;
    auto created = ensure_initiator_name(empty, file);
    ASSERT_TRUE(created) << created.error_value().message;
    EXPECT_TRUE(created->starts_with("iqn.2016-04.com.open-iscsi:"));
    EXPECT_TRUE(iscsi::parse_name(*created));
    EXPECT_NE(read_all(file).find("\nInitiatorName=" + *created + "\n"), std::string::npos);
    EXPECT_EQ(mode_of(file), 0644u);
    // Once there, the file is read, never rewritten.
    EXPECT_EQ(*ensure_initiator_name(empty, file), *created);
    EXPECT_EQ(*read_initiator_name(empty, file), *created);
    // A name in the store needs no file.
    auto elsewhere = dir / "other.iscsi";
    store named = parse_ok("[initiator]\nname = iqn.2026-11.org.example:host1\n");
    EXPECT_EQ(*ensure_initiator_name(named, elsewhere), "iqn.2026-11.org.example:host1");
    EXPECT_FALSE(fs::exists(elsewhere));
}

} // namespace
} // namespace iscsictl

namespace iscsictl {
namespace {

// targets.ini(5) documents every key of the table; each entry must read exactly as rendered here
// from the table, so the page and the code cannot drift apart.
std::string troff_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    return out;
}

std::string man_entry(const key_def& key) {
    std::string traits = "scope: " + std::string(scope_name(key.scope));
    if (key.secret)
        traits += "; secret";
    if (key.live)
        traits += "; live";
    if (key.repeatable)
        traits += "; repeatable";
    if (key.required)
        traits += "; required";
    std::string description(key.description);
    description[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(description[0])));
    return ".TP\n.B " + troff_escape(key.name) + "\n" + troff_escape(describe_values(key)) +
           ".\nDefault: " + troff_escape(describe_default(key)) + "; " + traits + ".\n" +
           troff_escape(description) + ".\n";
}

TEST(StoreManPage, DocumentsEveryKeyOfTheTableAsItIs) {
    std::ifstream in(std::string(ISCSI_SOURCE_ROOT) + "/docs/man/targets.ini.5");
    ASSERT_TRUE(in) << "docs/man/targets.ini.5 is missing";
    std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto kind : {section_kind::initiator, section_kind::target, section_kind::discovery}) {
        std::string block;
        for (const key_def& key : key_table())
            if (key.section == kind)
                block += man_entry(key);
        EXPECT_NE(page.find(block), std::string::npos)
            << "the keys of [" << section_name(kind) << "] in targets.ini(5) should read:\n"
            << block;
    }
    auto keys_at = page.find(".SH KEYS");
    ASSERT_NE(keys_at, std::string::npos) << "targets.ini(5) has no KEYS section";
    auto keys = page.substr(keys_at);
    keys = keys.substr(0, keys.find("\n.SH ", 1));
    std::size_t entries = 0;
    for (auto at = keys.find("\n.TP\n.B "); at != std::string::npos; at = keys.find("\n.TP\n.B ", at + 1))
        ++entries;
    EXPECT_EQ(entries, key_table().size()) << "targets.ini(5) documents keys the table does not have";
}

} // namespace
} // namespace iscsictl
