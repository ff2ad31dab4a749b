// SPDX-License-Identifier: GPL-2.0-or-later
// LUN discovery from sysfs, on a fake sysfs tree laid out as the SCSI midlayer lays out the real one.
#include "sysfs.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

class FakeSysfs : public ::testing::Test {
protected:
    void SetUp() override {
        disk("7:0:0:1", "sdc", 2048);
        disk("7:0:0:0", "sdb", 131072);
        disk("8:0:0:0", "sdd", 8);                                      // another host
        write(root_ / "bus/scsi/devices/7:0:0:2/vendor", "LIO-ORG \n"); // no block device (yet)
        write(root_ / "bus/scsi/devices/host7/uevent", "");             // not a device address
    }
    void disk(const std::string& address, const std::string& name, std::uint64_t sectors) {
        write(root_ / "bus/scsi/devices" / address / "vendor", "LIO-ORG \n");
        write(root_ / "bus/scsi/devices" / address / "model", "RAMDISK-MCP     \n");
        fs::create_directories(root_ / "bus/scsi/devices" / address / "block" / name);
        write(root_ / "block" / name / "size", std::to_string(sectors) + "\n");
    }
    test::temp_dir tmp_{"iscsid-sysfs"};
    fs::path root_ = tmp_.path();
};

TEST_F(FakeSysfs, ListsTheHostsLunsInOrderWithDisksAndSizes) {
    auto luns = iscsid::host_luns(7, root_);
    ASSERT_EQ(luns.size(), 3u);
    EXPECT_EQ(luns[0].lun, 0u);
    EXPECT_EQ(luns[0].device, "/dev/sdb");
    EXPECT_EQ(luns[0].size, 131072u * 512);
    EXPECT_EQ(luns[0].vendor, "LIO-ORG");
    EXPECT_EQ(luns[0].model, "RAMDISK-MCP");
    EXPECT_EQ(luns[1].device, "/dev/sdc");
    EXPECT_EQ(luns[2].lun, 2u);
    EXPECT_EQ(luns[2].device, "");
}

TEST_F(FakeSysfs, OtherHostsAndMissingHostsGiveNothingOfOurs) {
    EXPECT_EQ(iscsid::host_luns(8, root_).size(), 1u);
    EXPECT_TRUE(iscsid::host_luns(70, root_).empty());
    EXPECT_TRUE(iscsid::host_luns(7, root_ / "nonexistent").empty());
}

} // namespace
