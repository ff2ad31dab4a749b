// SPDX-License-Identifier: GPL-2.0-or-later
// import open-iscsi from node databases written in a temporary directory in iscsiadm's formats:
// the directory layout and the older flat files, send_targets records, every mapped key, conflicts,
// --dry-run and --skip-existing, and that secrets land only in a 0600 store.
#include "cli.hpp"
#include "exit_codes.hpp"
#include "import.hpp"
#include "iscsictl_fixture.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>

namespace iscsictl {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::string_view vol1 = "iqn.2003-01.org.example:vol1";

// A node record as iscsiadm 2.1 writes it (abridged: the keys import reads, and some it ignores).
std::string node_record(std::string_view name, std::string_view address, int port, int tpgt,
                        std::string_view extra = "") {
    std::ostringstream r;
    r << "# BEGIN RECORD 2.1.8\nnode.name = " << name << "\nnode.tpgt = " << tpgt
      << "\nnode.startup = manual\niface.iscsi_ifacename = default\niface.transport_name = tcp\n"
         "node.session.queue_depth = 128\nnode.session.auth.authmethod = None\n"
         "node.session.auth.chap_algs = MD5\nnode.session.timeo.replacement_timeout = 120\n"
         "node.session.iscsi.InitialR2T = No\nnode.session.iscsi.ImmediateData = Yes\n"
         "node.session.iscsi.FirstBurstLength = 262144\nnode.session.iscsi.MaxBurstLength = 16776192\n"
         "node.session.iscsi.ERL = 0\nnode.session.scan = auto\nnode.conn[0].address = "
      << address << "\nnode.conn[0].port = " << port
      << "\nnode.conn[0].timeo.login_timeout = 15\nnode.conn[0].timeo.noop_out_interval = 5\n"
         "node.conn[0].timeo.noop_out_timeout = 5\nnode.conn[0].iscsi.MaxRecvDataSegmentLength = 262144\n"
         "node.conn[0].iscsi.HeaderDigest = CRC32C,None\nnode.conn[0].iscsi.DataDigest = None\n"
      << extra << "# END RECORD\n";
    return r.str();
}

class Import : public iscsictl_test {
protected:
    Import() : iscsictl_test("iscsictl-import") {}
    void write(const fs::path& relative, std::string_view text) const {
        fs::create_directories((db / relative).parent_path());
        std::ofstream(db / relative) << text;
    }

    fs::path db = dir / "etc-iscsi"; // the node database, as iscsiadm lays it out under /etc/iscsi
};

TEST_F(Import, DirectoryLayoutMapsEveryKey) {
    write("nodes/iqn.2003-01.org.example:vol1/192.0.2.1,3260,1/default",
          node_record(
              vol1, "192.0.2.1", 3260, 1,
              "node.startup = automatic\nnode.session.auth.authmethod = CHAP\n"
              "node.session.auth.username = host1\nnode.session.auth.password = out-secret-1234\n"
              "node.session.auth.username_in = target1\nnode.session.auth.password_in = in-secret-12345\n"
              "node.session.timeo.replacement_timeout = 15\nnode.conn[0].timeo.noop_out_interval = 10\n"
              "node.conn[0].timeo.noop_out_timeout = 20\nnode.session.queue_depth = 32\n"
              "node.session.iscsi.InitialR2T = Yes\nnode.session.iscsi.ImmediateData = No\n"
              "node.session.iscsi.FirstBurstLength = 65536\nnode.session.iscsi.MaxBurstLength = 1048576\n"
              "node.conn[0].iscsi.MaxRecvDataSegmentLength = 131072\n"
              "node.conn[0].iscsi.HeaderDigest = None\nnode.conn[0].iscsi.DataDigest = CRC32C\n"));
    auto r = iscsictl({"import", "open-iscsi", db.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    // Later keys in a record override earlier ones, as iscsiadm reads them.
    EXPECT_EQ(store_text(), "[target \"iqn.2003-01.org.example:vol1\"]\n"
                            "portal = 192.0.2.1:3260,1\n"
                            "startup = automatic\n"
                            "auth = mutual-chap\n"
                            "chap-name = host1\n"
                            "chap-secret = out-secret-1234\n"
                            "mutual-chap-name = target1\n"
                            "mutual-chap-secret = in-secret-12345\n"
                            "header-digest = none\n"
                            "data-digest = crc32c\n"
                            "replacement-timeout = 15\n"
                            "noop-interval = 10\n"
                            "queue-depth = 32\n"
                            "first-burst-length = 65536\n"
                            "max-burst-length = 1048576\n"
                            "max-recv-data-segment-length = 131072\n"
                            "noop-timeout = 20\n"
                            "initial-r2t = yes\n"
                            "immediate-data = no\n");
    struct stat st {};
    ASSERT_EQ(::stat(store_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << "secrets in a store others can read";
    EXPECT_EQ(r.out.find("secret-"), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find("secret-"), std::string::npos) << r.err;
}

TEST_F(Import, FlatFilesIpv6PortalsOfOneTargetAndDiscovery) {
    write("nodes/iqn.2003-01.org.example:vol1/192.0.2.1,3260", node_record(vol1, "192.0.2.1", 3260, -1));
    write("nodes/iqn.2003-01.org.example:vol1/2001:db8::1,3261,2/default",
          node_record(vol1, "2001:db8::1", 3261, 2));
    write("nodes/iqn.2003-01.org.example:vol1/192.0.2.9,3260,1/iser",
          node_record(vol1, "192.0.2.9", 3260, 1)); // not the default iface: ignored
    write("send_targets/192.0.2.1,3260/st_config",
          "# BEGIN RECORD 2.1.8\ndiscovery.startup = manual\ndiscovery.type = sendtargets\n"
          "discovery.sendtargets.address = 192.0.2.1\ndiscovery.sendtargets.port = 3260\n"
          "discovery.sendtargets.auth.authmethod = CHAP\ndiscovery.sendtargets.auth.username = disc\n"
          "discovery.sendtargets.auth.password = disc-secret-123\n"
          "discovery.sendtargets.timeo.login_timeout = 15\ndiscovery.sendtargets.use_discoveryd = Yes\n"
          "discovery.sendtargets.discoveryd_poll_inval = 30\n# END RECORD\n");
    auto r = iscsictl({"import", "open-iscsi", db.string(), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(store_text(), "[target \"iqn.2003-01.org.example:vol1\"]\n"
                            "portal = 192.0.2.1:3260\n"
                            "portal = [2001:db8::1]:3261,2\n\n"
                            "[discovery \"192.0.2.1:3260\"]\n"
                            "auth = chap\nchap-name = disc\nchap-secret = disc-secret-123\ninterval = 60\n");
    auto shown = json::parse(r.out);
    ASSERT_EQ(shown.size(), 2u);
    EXPECT_EQ(shown[0]["kind"], "target");
    EXPECT_EQ(shown[0]["result"], "imported");
    EXPECT_EQ(shown[1]["settings"], json::array({"auth", "chap-name", "chap-secret", "interval"}));
    EXPECT_NE(r.err.find("below a minute: using 60"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("no default iface record"), std::string::npos) << r.err;
}

TEST_F(Import, ConflictsRefuseUnlessSkipExistingAndDryRunWritesNothing) {
    write("nodes/iqn.2003-01.org.example:vol1/192.0.2.1,3260,1/default",
          node_record(vol1, "192.0.2.1", 3260, 1));
    write("nodes/iqn.2003-01.org.example:vol2/192.0.2.1,3260,1/default",
          node_record("iqn.2003-01.org.example:vol2", "192.0.2.1", 3260, 1));
    const std::string mine = "; mine\n[target \"iqn.2003-01.org.example:vol1\"]\nportal = 10.0.0.1:3260\n";
    std::ofstream(store_path) << mine;
    ::chmod(store_path.c_str(), 0600);
    auto r = iscsictl({"import", "open-iscsi", db.string()});
    EXPECT_EQ(r.code, static_cast<int>(exit_code::already_exists));
    EXPECT_EQ(r.err, "iscsictl: the store already has target iqn.2003-01.org.example:vol1: nothing imported "
                     "(--skip-existing keeps them as they are)\n");
    EXPECT_EQ(store_text(), mine);

    r = iscsictl({"import", "open-iscsi", db.string(), "--skip-existing", "--dry-run"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("target  iqn.2003-01.org.example:vol1  skipped"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("target  iqn.2003-01.org.example:vol2  would-import"), std::string::npos) << r.out;
    EXPECT_EQ(store_text(), mine);

    r = iscsictl({"import", "open-iscsi", db.string(), "--skip-existing"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(store_text(),
              mine + "\n[target \"iqn.2003-01.org.example:vol2\"]\nportal = 192.0.2.1:3260,1\n");
}

TEST_F(Import, BadRecordsFailWithFileAndKeyAndWriteNothing) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"node.session.queue_depth = 5000\n", "node.session.queue_depth: queue-depth = '5000'"},
        {"node.session.auth.authmethod = KRB5\n", "node.session.auth.authmethod: 'krb5' is not supported"},
        {"node.session.auth.authmethod = CHAP\nnode.session.auth.password = short\n",
         "node.session.auth.password: chap-secret: must be 12 to 255 bytes long"},
        {"node.conn[0].iscsi.HeaderDigest = MD5\n", "node.conn[0].iscsi.HeaderDigest: header-digest"},
        {"node.session.iscsi.InitialR2T = Maybe\n", "initial-r2t = 'maybe': must be yes or no"},
        {"node.session.iscsi.MaxOutstandingR2T = 64\n", "max-outstanding-r2t = '64': out of range 1..16"},
    };
    for (const auto& [extra, message] : cases) {
        fs::remove_all(db);
        write("nodes/iqn.2003-01.org.example:vol1/192.0.2.1,3260,1/default",
              node_record(vol1, "192.0.2.1", 3260, 1, extra));
        auto r = iscsictl({"import", "open-iscsi", db.string()});
        EXPECT_EQ(r.code, static_cast<int>(exit_code::usage)) << extra;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("192.0.2.1,3260,1/default: "), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("short"), std::string::npos) << "a secret in a message: " << r.err;
        EXPECT_FALSE(fs::exists(store_path)) << extra;
    }
    auto r = iscsictl({"import", "open-iscsi", (dir / "nothing").string()});
    EXPECT_EQ(r.code, static_cast<int>(exit_code::not_found));
    r = iscsictl({"import", "nfs"});
    EXPECT_EQ(r.code, static_cast<int>(exit_code::usage));
}

TEST_F(Import, OtherTransportsAreLeftOutWithAWarning) {
    write("nodes/iqn.2003-01.org.example:vol1/192.0.2.1,3260,1/default",
          node_record(vol1, "192.0.2.1", 3260, 1, "iface.transport_name = iser\n"));
    auto db_read = read_open_iscsi(db);
    ASSERT_TRUE(db_read) << db_read.error_value().message;
    EXPECT_TRUE(db_read->sections.empty());
    ASSERT_EQ(db_read->warnings.size(), 1u);
    EXPECT_NE(db_read->warnings[0].find("transport iser is not supported"), std::string::npos);
}

} // namespace
} // namespace iscsictl
