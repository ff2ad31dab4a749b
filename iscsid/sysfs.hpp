// SPDX-License-Identifier: GPL-2.0-or-later
// What the SCSI midlayer shows of a session's SCSI host in sysfs: its LUNs and their disks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace iscsid {

struct lun_info {
    std::uint64_t lun = 0;
    std::string device;     // "/dev/sdb", empty while the disk has no block device (or is not a disk)
    std::uint64_t size = 0; // bytes
    std::string vendor;
    std::string model;
};

// The LUNs of SCSI host `host_no`, ordered by LUN. `sysfs` is the sysfs mount, for tests.
std::vector<lun_info> host_luns(std::uint32_t host_no, const std::filesystem::path& sysfs = "/sys");

} // namespace iscsid
