// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's decoding of what the kernel module sends: replies, dumps, events and errors, built
// the way the kernel builds them (libnl on this side), and netlink framing that must not be trusted.
#include "kernel.hpp"
#include "netlink.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <memory>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <uapi/iscsi_ini.h>

namespace {

struct msg_free {
    void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using msg_ptr = std::unique_ptr<nl_msg, msg_free>;

msg_ptr message(std::uint8_t cmd) {
    msg_ptr m(nlmsg_alloc());
    genlmsg_put(m.get(), 0, 1, 0x20, 0, 0, cmd, ISCSI_INI_FAMILY_VERSION);
    return m;
}

iscsid::netlink_message bytes(nl_msg* m) {
    const auto* h = nlmsg_hdr(m);
    const auto* p = reinterpret_cast<const std::byte*>(h);
    return {p, p + h->nlmsg_len};
}

TEST(KernelDecode, Version) {
    auto m = message(ISCSI_INI_CMD_VERSION_GET);
    nla_put_u32(m.get(), ISCSI_INI_A_VERSION, 7);
    nla_put_string(m.get(), ISCSI_INI_A_MODULE_VERSION, "0.1.0");
    auto v = iscsid::decode_version(bytes(m.get()));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->interface, 7u);
    EXPECT_EQ(v->module, "0.1.0");
}

TEST(KernelDecode, VersionWithoutItsAttributeOrWithTheWrongSizeIsRefused) {
    auto missing = message(ISCSI_INI_CMD_VERSION_GET);
    nla_put_string(missing.get(), ISCSI_INI_A_MODULE_VERSION, "0.1.0");
    EXPECT_FALSE(iscsid::decode_version(bytes(missing.get())));
    auto short_attr = message(ISCSI_INI_CMD_VERSION_GET);
    nla_put_u8(short_attr.get(), ISCSI_INI_A_VERSION, 1);
    EXPECT_FALSE(iscsid::decode_version(bytes(short_attr.get())));
}

TEST(KernelDecode, SessionInfoWithStatistics) {
    auto m = message(ISCSI_INI_CMD_SESSION_GET);
    nla_put_u32(m.get(), ISCSI_INI_A_SESSION_ID, 3);
    nla_put_u32(m.get(), ISCSI_INI_A_HOST_NO, 9);
    nla_put_u32(m.get(), ISCSI_INI_A_STATE, 2);
    nla_put_string(m.get(), ISCSI_INI_A_TARGET_NAME, "iqn.2003-01.org.linux-iscsi.vm:t1");
    nla_put_string(m.get(), ISCSI_INI_A_PORTAL, "127.0.0.1:3260");
    const std::uint8_t isid[6] = {0x80, 1, 2, 3, 4, 5};
    nla_put(m.get(), ISCSI_INI_A_ISID, 6, isid);
    nla_put_u16(m.get(), ISCSI_INI_A_TSIH, 0x1234);
    nla_put_u8(m.get(), ISCSI_INI_A_HEADER_DIGEST, ISCSI_INI_DIGEST_CRC32C);
    nla_put_u8(m.get(), ISCSI_INI_A_IMMEDIATE_DATA, 0);
    nla_put_u32(m.get(), ISCSI_INI_A_MAX_XMIT_DLENGTH, 262144);
    nla_put_u32(m.get(), ISCSI_INI_A_EXP_STAT_SN, 77);
    nlattr* stats = nla_nest_start(m.get(), ISCSI_INI_A_STATS);
    nla_put_u64(m.get(), ISCSI_INI_A_STATS_READ_BYTES, 1ULL << 40);
    nla_put_u64(m.get(), ISCSI_INI_A_STATS_CONN_ERRORS, 2);
    nla_nest_end(m.get(), stats);

    auto s = iscsid::decode_session_info(bytes(m.get()));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->session_id, 3u);
    EXPECT_EQ(s->host_no, 9u);
    EXPECT_EQ(s->state, iscsid::session_state::recovering);
    EXPECT_STREQ(iscsid::to_string(s->state), "recovering");
    EXPECT_EQ(s->params.target_name, "iqn.2003-01.org.linux-iscsi.vm:t1");
    EXPECT_EQ(s->params.portal, "127.0.0.1:3260");
    EXPECT_EQ(s->params.isid[0], 0x80);
    EXPECT_EQ(s->params.isid[5], 5);
    EXPECT_EQ(s->params.tsih, 0x1234);
    EXPECT_TRUE(s->params.header_digest);
    EXPECT_FALSE(s->params.data_digest);
    EXPECT_FALSE(s->params.immediate_data);
    EXPECT_EQ(s->params.max_xmit_dlength, 262144u);
    EXPECT_EQ(s->exp_stat_sn, 77u);
    EXPECT_EQ(s->stats.at("read_bytes"), 1ULL << 40);
    EXPECT_EQ(s->stats.at("conn_errors"), 2u);
    EXPECT_FALSE(s->stats.contains("aborts"));
}

TEST(KernelDecode, SessionInfoWithEveryConnection) {
    auto m = message(ISCSI_INI_CMD_SESSION_GET);
    nla_put_u32(m.get(), ISCSI_INI_A_SESSION_ID, 4);
    nla_put_u32(m.get(), ISCSI_INI_A_STATE, 1);
    nla_put_u16(m.get(), ISCSI_INI_A_MAX_CONNECTIONS, 2);
    for (std::uint16_t cid : {0, 1}) {
        nlattr* c = nla_nest_start(m.get(), ISCSI_INI_A_CONN);
        nla_put_u16(m.get(), ISCSI_INI_A_CONN_CID, cid);
        nla_put_u32(m.get(), ISCSI_INI_A_CONN_EXP_STAT_SN, 100 + cid);
        nla_put_u64(m.get(), ISCSI_INI_A_CONN_CMDS, 10 + cid);
        nla_put_u64(m.get(), ISCSI_INI_A_CONN_READ_BYTES, (1ULL << 33) + cid);
        nla_put_u64(m.get(), ISCSI_INI_A_CONN_WRITE_BYTES, 4096 * cid);
        nla_nest_end(m.get(), c);
    }
    auto s = iscsid::decode_session_info(bytes(m.get()));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->params.max_connections, 2);
    ASSERT_EQ(s->connections.size(), 2u);
    EXPECT_EQ(s->connections[0].cid, 0);
    EXPECT_EQ(s->connections[1].cid, 1);
    EXPECT_EQ(s->connections[1].exp_stat_sn, 101u);
    EXPECT_EQ(s->connections[1].cmds, 11u);
    EXPECT_EQ(s->connections[0].read_bytes, 1ULL << 33);
    EXPECT_EQ(s->connections[1].write_bytes, 4096u);
}

TEST(KernelDecode, SessionInfoWithoutConnectionsHasNoneAndOne) {
    auto m = message(ISCSI_INI_CMD_SESSION_GET);
    nla_put_u32(m.get(), ISCSI_INI_A_SESSION_ID, 4);
    nla_put_u32(m.get(), ISCSI_INI_A_STATE, 2);
    auto s = iscsid::decode_session_info(bytes(m.get()));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->params.max_connections, 1); // a module without MC/S
    EXPECT_TRUE(s->connections.empty());
}

TEST(KernelDecode, SessionInfoWithAConnectionWithoutCidOrWithABadCounterIsRefused) {
    auto m = message(ISCSI_INI_CMD_SESSION_GET);
    nla_put_u32(m.get(), ISCSI_INI_A_SESSION_ID, 4);
    nla_put_u32(m.get(), ISCSI_INI_A_STATE, 1);
    nlattr* c = nla_nest_start(m.get(), ISCSI_INI_A_CONN);
    nla_put_u64(m.get(), ISCSI_INI_A_CONN_CMDS, 1);
    nla_nest_end(m.get(), c);
    EXPECT_FALSE(iscsid::decode_session_info(bytes(m.get())));

    auto bad = message(ISCSI_INI_CMD_SESSION_GET);
    nla_put_u32(bad.get(), ISCSI_INI_A_SESSION_ID, 4);
    nla_put_u32(bad.get(), ISCSI_INI_A_STATE, 1);
    c = nla_nest_start(bad.get(), ISCSI_INI_A_CONN);
    nla_put_u16(bad.get(), ISCSI_INI_A_CONN_CID, 0);
    nla_put_u8(bad.get(), ISCSI_INI_A_CONN_CMDS, 1); // a u64 counter in one byte
    nla_nest_end(bad.get(), c);
    EXPECT_FALSE(iscsid::decode_session_info(bytes(bad.get())));
}

TEST(KernelDecode, SessionInfoWithABadIsidIsRefused) {
    auto m = message(ISCSI_INI_CMD_SESSION_GET);
    nla_put_u32(m.get(), ISCSI_INI_A_SESSION_ID, 3);
    nla_put_u32(m.get(), ISCSI_INI_A_STATE, 1);
    const std::uint8_t isid[5] = {};
    nla_put(m.get(), ISCSI_INI_A_ISID, 5, isid);
    EXPECT_FALSE(iscsid::decode_session_info(bytes(m.get())));
}

TEST(KernelDecode, Events) {
    auto err = message(ISCSI_INI_CMD_CONN_ERROR);
    nla_put_u32(err.get(), ISCSI_INI_A_SESSION_ID, 4);
    nla_put_u16(err.get(), ISCSI_INI_A_CID, 1);
    nla_put_u32(err.get(), ISCSI_INI_A_REASON, ETIMEDOUT);
    auto e = iscsid::decode_event(bytes(err.get()));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, iscsid::kernel_event::kind::conn_error);
    EXPECT_EQ(e->session_id, 4u);
    EXPECT_EQ(e->cid, 1);
    EXPECT_EQ(e->reason, static_cast<std::uint32_t>(ETIMEDOUT));

    auto state = message(ISCSI_INI_CMD_SESSION_STATE);
    nla_put_u32(state.get(), ISCSI_INI_A_SESSION_ID, 4);
    nla_put_u32(state.get(), ISCSI_INI_A_STATE, 5);
    e = iscsid::decode_event(bytes(state.get()));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, iscsid::kernel_event::kind::session_state);
    EXPECT_EQ(e->state, iscsid::session_state::removed);

    auto async = message(ISCSI_INI_CMD_ASYNC_EVENT);
    nla_put_u32(async.get(), ISCSI_INI_A_SESSION_ID, 4);
    nla_put_u8(async.get(), ISCSI_INI_A_ASYNC_EVENT, 0);
    nla_put_u64(async.get(), ISCSI_INI_A_LUN, 2);
    const std::uint8_t sense[3] = {0x70, 0, 6};
    nla_put(async.get(), ISCSI_INI_A_SENSE, 3, sense);
    e = iscsid::decode_event(bytes(async.get()));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, iscsid::kernel_event::kind::async_event);
    EXPECT_EQ(e->lun, 2u);
    EXPECT_EQ(e->sense, (std::vector<std::uint8_t>{0x70, 0, 6}));

    auto scanned = message(ISCSI_INI_CMD_SCAN_DONE);
    nla_put_u32(scanned.get(), ISCSI_INI_A_SESSION_ID, 4);
    nla_put_u32(scanned.get(), ISCSI_INI_A_HOST_NO, 7);
    nla_put_u32(scanned.get(), ISCSI_INI_A_SCAN_GEN, 3);
    e = iscsid::decode_event(bytes(scanned.get()));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, iscsid::kernel_event::kind::scan_done);
    EXPECT_EQ(e->session_id, 4u);
    EXPECT_EQ(e->host_no, 7u);
    EXPECT_EQ(e->scan_gen, 3u);
}

TEST(KernelDecode, EventsWithoutSessionOrOfAnotherCommandAreIgnored) {
    auto no_session = message(ISCSI_INI_CMD_CONN_ERROR);
    nla_put_u32(no_session.get(), ISCSI_INI_A_REASON, 5);
    EXPECT_FALSE(iscsid::decode_event(bytes(no_session.get())));
    auto other = message(ISCSI_INI_CMD_SESSION_NEW);
    nla_put_u32(other.get(), ISCSI_INI_A_SESSION_ID, 1);
    EXPECT_FALSE(iscsid::decode_event(bytes(other.get())));
    auto state_without_state = message(ISCSI_INI_CMD_SESSION_STATE);
    nla_put_u32(state_without_state.get(), ISCSI_INI_A_SESSION_ID, 1);
    EXPECT_FALSE(iscsid::decode_event(bytes(state_without_state.get())));
}

TEST(KernelDecode, TruncatedMessageIsRefused) {
    auto m = message(ISCSI_INI_CMD_VERSION_GET);
    nla_put_u32(m.get(), ISCSI_INI_A_VERSION, 1);
    auto b = bytes(m.get());
    b.resize(b.size() - 2); // the header still claims the full length
    EXPECT_FALSE(iscsid::decode_version(b));
}

TEST(NetlinkFraming, SplitsADatagramAndStopsAtALyingLength) {
    auto a = message(ISCSI_INI_CMD_VERSION_GET);
    nla_put_u32(a.get(), ISCSI_INI_A_VERSION, 1);
    auto b = message(ISCSI_INI_CMD_VERSION_GET);
    auto first = bytes(a.get());
    auto second = bytes(b.get());
    std::vector<std::byte> datagram(first);
    datagram.insert(datagram.end(), second.begin(), second.end());
    auto parts = iscsid::split_datagram(datagram);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].size(), first.size());
    EXPECT_EQ(parts[1].size(), second.size());

    // The second header claims more bytes than the datagram has: only the first message is taken.
    nlmsghdr h;
    std::memcpy(&h, datagram.data() + first.size(), sizeof(h));
    h.nlmsg_len = 4096;
    std::memcpy(datagram.data() + first.size(), &h, sizeof(h));
    EXPECT_EQ(iscsid::split_datagram(datagram).size(), 1u);
    // A length below the header size would loop forever if trusted.
    h.nlmsg_len = 3;
    std::memcpy(datagram.data(), &h, sizeof(h));
    EXPECT_TRUE(iscsid::split_datagram(datagram).empty());
}

TEST(NetlinkFraming, ErrorMessagesWithExtendedAck) {
    // struct nlmsgerr followed by NLMSGERR_ATTR_MSG, as the kernel sends it with NETLINK_CAP_ACK.
    msg_ptr m(nlmsg_alloc_simple(NLMSG_ERROR, NLM_F_ACK_TLVS | NLM_F_CAPPED));
    nlmsgerr e{};
    e.error = -EINVAL;
    nlmsg_append(m.get(), &e, sizeof(e), NLMSG_ALIGNTO);
    nla_put_string(m.get(), NLMSGERR_ATTR_MSG, "session 9 does not exist");
    auto err = iscsid::decode_error_message(bytes(m.get()));
    EXPECT_EQ(err.code, std::errc::invalid_argument);
    EXPECT_EQ(err.message, "session 9 does not exist");
    EXPECT_EQ(err.describe(), "session 9 does not exist (Invalid argument)");

    msg_ptr ack(nlmsg_alloc_simple(NLMSG_ERROR, 0));
    nlmsgerr zero{};
    nlmsg_append(ack.get(), &zero, sizeof(zero), NLMSG_ALIGNTO);
    EXPECT_FALSE(iscsid::decode_error_message(bytes(ack.get())));
}

} // namespace
