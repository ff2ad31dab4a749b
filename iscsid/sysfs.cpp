// SPDX-License-Identifier: GPL-2.0-or-later
#include "sysfs.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <system_error>

namespace iscsid {
namespace {

namespace fs = std::filesystem;

std::string read_line(const fs::path& p) {
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n'))
        s.pop_back();
    return s;
}

// "H:C:T:L" -> L, or false when the name is not a SCSI device address of host `host`.
bool parse_address(const std::string& name, std::uint32_t host, std::uint64_t& lun) {
    unsigned long long parts[4] = {};
    const char* p = name.data();
    const char* end = name.data() + name.size();
    for (int i = 0; i < 4; ++i) {
        auto [next, ec] = std::from_chars(p, end, parts[i]);
        if (ec != std::errc{} || (i < 3 && (next == end || *next != ':')) || (i == 3 && next != end))
            return false;
        p = next + 1;
    }
    lun = parts[3];
    return parts[0] == host;
}

} // namespace

std::vector<lun_info> host_luns(std::uint32_t host_no, const fs::path& sysfs) {
    std::vector<lun_info> luns;
    std::error_code ec;
    const fs::path devices = sysfs / "bus/scsi/devices";
    for (const auto& entry : fs::directory_iterator(devices, ec)) {
        lun_info info;
        if (!parse_address(entry.path().filename().string(), host_no, info.lun))
            continue;
        info.vendor = read_line(entry.path() / "vendor");
        info.model = read_line(entry.path() / "model");
        for (const auto& block : fs::directory_iterator(entry.path() / "block", ec)) {
            const std::string name = block.path().filename().string();
            info.device = "/dev/" + name;
            // The block layer counts 512-byte sectors whatever the disk's own block size.
            std::uint64_t sectors = 0;
            std::string s = read_line(sysfs / "block" / name / "size");
            std::from_chars(s.data(), s.data() + s.size(), sectors);
            info.size = sectors * 512;
        }
        luns.push_back(std::move(info));
    }
    std::sort(luns.begin(), luns.end(), [](const lun_info& a, const lun_info& b) { return a.lun < b.lun; });
    return luns;
}

} // namespace iscsid
