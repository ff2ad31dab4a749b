// SPDX-License-Identifier: GPL-2.0-or-later
// Decoding of the kernel's VERSION_GET reply, with messages built the way the kernel builds them.
#include "kernel_link.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <uapi/iscsi_ini.h>

namespace {

struct msg_free {
    void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using msg_ptr = std::unique_ptr<nl_msg, msg_free>;

msg_ptr reply() {
    msg_ptr m(nlmsg_alloc());
    genlmsg_put(m.get(), 0, 1, 0x20, 0, 0, ISCSI_INI_CMD_VERSION_GET, ISCSI_INI_FAMILY_VERSION);
    return m;
}

TEST(KernelLink, ParsesVersionAndRelease) {
    auto m = reply();
    nla_put_u32(m.get(), ISCSI_INI_A_VERSION, 7);
    nla_put_string(m.get(), ISCSI_INI_A_MODULE_VERSION, "0.1.0");
    iscsid::kernel_version v;
    ASSERT_FALSE(iscsid::parse_version_reply(m.get(), v));
    EXPECT_EQ(v.interface, 7u);
    EXPECT_EQ(v.module, "0.1.0");
}

TEST(KernelLink, MissingVersionIsProtocolError) {
    auto m = reply();
    nla_put_string(m.get(), ISCSI_INI_A_MODULE_VERSION, "0.1.0");
    iscsid::kernel_version v;
    EXPECT_EQ(iscsid::parse_version_reply(m.get(), v), std::errc::protocol_error);
}

TEST(KernelLink, WrongAttributeSizeIsProtocolError) {
    auto m = reply();
    nla_put_u8(m.get(), ISCSI_INI_A_VERSION, 1);
    iscsid::kernel_version v;
    EXPECT_EQ(iscsid::parse_version_reply(m.get(), v), std::errc::protocol_error);
}

} // namespace
