// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel.hpp"

#include <array>
#include <cstring>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <uapi/iscsi_ini.h>
#include <utility>

namespace asio = boost::asio;

namespace iscsid {
namespace {

using attrs = std::array<nlattr*, ISCSI_INI_A_MAX + 1>;

// One policy for every message of the family: libnl checks each attribute's type and size.
const nla_policy* family_policy() {
    static const auto policy = [] {
        std::array<nla_policy, ISCSI_INI_A_MAX + 1> p{};
        for (int a :
             {ISCSI_INI_A_VERSION, ISCSI_INI_A_SESSION_ID, ISCSI_INI_A_HOST_NO, ISCSI_INI_A_STATE,
              ISCSI_INI_A_MAX_RECV_DLENGTH, ISCSI_INI_A_MAX_XMIT_DLENGTH, ISCSI_INI_A_FIRST_BURST_LENGTH,
              ISCSI_INI_A_MAX_BURST_LENGTH, ISCSI_INI_A_REPLACEMENT_TIMEOUT, ISCSI_INI_A_NOOP_INTERVAL,
              ISCSI_INI_A_NOOP_TIMEOUT, ISCSI_INI_A_EXP_STAT_SN, ISCSI_INI_A_CMD_SN, ISCSI_INI_A_EXP_CMD_SN,
              ISCSI_INI_A_MAX_CMD_SN, ISCSI_INI_A_REASON, ISCSI_INI_A_SCAN_GEN})
            p[a].type = NLA_U32;
        for (int a : {ISCSI_INI_A_TSIH, ISCSI_INI_A_TPGT, ISCSI_INI_A_MAX_OUTSTANDING_R2T,
                      ISCSI_INI_A_CMDS_MAX, ISCSI_INI_A_CID, ISCSI_INI_A_MAX_CONNECTIONS})
            p[a].type = NLA_U16;
        for (int a :
             {ISCSI_INI_A_INITIAL_R2T, ISCSI_INI_A_IMMEDIATE_DATA, ISCSI_INI_A_HEADER_DIGEST,
              ISCSI_INI_A_DATA_DIGEST, ISCSI_INI_A_DATA_PDU_IN_ORDER, ISCSI_INI_A_DATA_SEQUENCE_IN_ORDER,
              ISCSI_INI_A_ERL, ISCSI_INI_A_ASYNC_EVENT, ISCSI_INI_A_ASYNC_VCODE})
            p[a].type = NLA_U8;
        for (int a : {ISCSI_INI_A_MODULE_VERSION, ISCSI_INI_A_TARGET_NAME, ISCSI_INI_A_INITIATOR_NAME,
                      ISCSI_INI_A_PORTAL})
            p[a].type = NLA_STRING;
        p[ISCSI_INI_A_LUN].type = NLA_U64;
        p[ISCSI_INI_A_STATS].type = NLA_NESTED;
        p[ISCSI_INI_A_CONN].type = NLA_NESTED;
        return p;
    }();
    return policy.data();
}

bool parse(const netlink_message& m, attrs& tb) {
    tb.fill(nullptr);
    const auto* h = header_of(m);
    if (m.size() < NLMSG_HDRLEN + GENL_HDRLEN || h->nlmsg_len != m.size())
        return false;
    return genlmsg_parse(const_cast<nlmsghdr*>(h), 0, tb.data(),
                         ISCSI_INI_A_MAX,                                // NOLINT: libnl is not const
                         const_cast<nla_policy*>(family_policy())) == 0; // NOLINT
}

std::uint8_t genl_cmd(const netlink_message& m) {
    return m.size() >= NLMSG_HDRLEN + GENL_HDRLEN ? std::to_integer<std::uint8_t>(m[NLMSG_HDRLEN]) : 0;
}

std::string get_string(const nlattr* a) {
    // NLA_STRING only checks for a terminating NUL when one is there: bound by the payload length.
    const char* s = static_cast<const char*>(nla_data(a));
    return std::string(s, strnlen(s, static_cast<std::size_t>(nla_len(a))));
}

template <class Table, class T>
void take(const Table& tb, int type, T& out) {
    if (!tb[type])
        return;
    if constexpr (std::is_same_v<T, bool>)
        out = nla_get_u8(tb[type]) != 0;
    else if constexpr (sizeof(T) == 1)
        out = nla_get_u8(tb[type]);
    else if constexpr (sizeof(T) == 2)
        out = nla_get_u16(tb[type]);
    else if constexpr (sizeof(T) == 4)
        out = nla_get_u32(tb[type]);
    else
        out = nla_get_u64(tb[type]);
}

constexpr std::array<std::pair<int, const char*>, 9> stat_names{{
    {ISCSI_INI_A_STATS_CMDS, "cmds"},
    {ISCSI_INI_A_STATS_READ_BYTES, "read_bytes"},
    {ISCSI_INI_A_STATS_WRITE_BYTES, "write_bytes"},
    {ISCSI_INI_A_STATS_CONN_ERRORS, "conn_errors"},
    {ISCSI_INI_A_STATS_DIGEST_ERRORS, "digest_errors"},
    {ISCSI_INI_A_STATS_NOP_TIMEOUTS, "nop_timeouts"},
    {ISCSI_INI_A_STATS_ABORTS, "aborts"},
    {ISCSI_INI_A_STATS_RESETS, "resets"},
    {ISCSI_INI_A_STATS_BINDS, "binds"},
}};

bool put_params(nl_msg* msg, const kernel_session_params& p) {
    int err = 0;
    err |= nla_put_string(msg, ISCSI_INI_A_TARGET_NAME, p.target_name.c_str());
    err |= nla_put_string(msg, ISCSI_INI_A_INITIATOR_NAME, p.initiator_name.c_str());
    err |= nla_put_string(msg, ISCSI_INI_A_PORTAL, p.portal.c_str());
    err |= nla_put(msg, ISCSI_INI_A_ISID, static_cast<int>(p.isid.size()), p.isid.data());
    if (p.tsih)
        err |= nla_put_u16(msg, ISCSI_INI_A_TSIH, p.tsih);
    err |= nla_put_u16(msg, ISCSI_INI_A_TPGT, p.tpgt);
    err |= nla_put_u32(msg, ISCSI_INI_A_MAX_RECV_DLENGTH, p.max_recv_dlength);
    err |= nla_put_u32(msg, ISCSI_INI_A_MAX_XMIT_DLENGTH, p.max_xmit_dlength);
    err |= nla_put_u32(msg, ISCSI_INI_A_FIRST_BURST_LENGTH, p.first_burst_length);
    err |= nla_put_u32(msg, ISCSI_INI_A_MAX_BURST_LENGTH, p.max_burst_length);
    err |= nla_put_u8(msg, ISCSI_INI_A_INITIAL_R2T, p.initial_r2t);
    err |= nla_put_u8(msg, ISCSI_INI_A_IMMEDIATE_DATA, p.immediate_data);
    err |= nla_put_u16(msg, ISCSI_INI_A_MAX_OUTSTANDING_R2T, p.max_outstanding_r2t);
    err |= nla_put_u8(msg, ISCSI_INI_A_HEADER_DIGEST,
                      p.header_digest ? ISCSI_INI_DIGEST_CRC32C : ISCSI_INI_DIGEST_NONE);
    err |= nla_put_u8(msg, ISCSI_INI_A_DATA_DIGEST,
                      p.data_digest ? ISCSI_INI_DIGEST_CRC32C : ISCSI_INI_DIGEST_NONE);
    err |= nla_put_u8(msg, ISCSI_INI_A_DATA_PDU_IN_ORDER, p.data_pdu_in_order);
    err |= nla_put_u8(msg, ISCSI_INI_A_DATA_SEQUENCE_IN_ORDER, p.data_sequence_in_order);
    err |= nla_put_u8(msg, ISCSI_INI_A_ERL, p.erl);
    err |= nla_put_u16(msg, ISCSI_INI_A_CMDS_MAX, p.cmds_max);
    err |= nla_put_u32(msg, ISCSI_INI_A_REPLACEMENT_TIMEOUT, p.replacement_timeout);
    err |= nla_put_u32(msg, ISCSI_INI_A_NOOP_INTERVAL, p.noop_interval);
    err |= nla_put_u32(msg, ISCSI_INI_A_NOOP_TIMEOUT, p.noop_timeout);
    // Left out for one connection, so a module without MC/S still takes the session.
    if (p.max_connections > 1)
        err |= nla_put_u16(msg, ISCSI_INI_A_MAX_CONNECTIONS, p.max_connections);
    return err == 0;
}

netlink_error no_memory() {
    return {std::make_error_code(std::errc::not_enough_memory), {}};
}

netlink_error malformed_reply() {
    return {std::make_error_code(std::errc::protocol_error), "malformed reply from the kernel"};
}

// Sends a request that the kernel answers with one message, and parses that answer into tb.
asio::awaitable<netlink_error> request_reply(genl_socket& nl, nl_msg* msg, attrs& tb) {
    std::vector<netlink_message> replies;
    auto err = co_await nl.request(msg, false, kernel::request_limit, replies);
    if (!err && (replies.empty() || !parse(replies.front(), tb)))
        err = malformed_reply();
    co_return err;
}

} // namespace

const char* to_string(session_state s) noexcept {
    switch (s) {
    case session_state::fresh:
        return "new";
    case session_state::logged_in:
        return "logged-in";
    case session_state::recovering:
        return "recovering";
    case session_state::failed:
        return "failed";
    case session_state::logging_out:
        return "logging-out";
    case session_state::removed:
        return "removed";
    }
    return "unknown";
}

std::optional<kernel_version> decode_version(const netlink_message& m) {
    attrs tb;
    if (!parse(m, tb) || !tb[ISCSI_INI_A_VERSION])
        return std::nullopt;
    kernel_version v;
    v.interface = nla_get_u32(tb[ISCSI_INI_A_VERSION]);
    if (tb[ISCSI_INI_A_MODULE_VERSION])
        v.module = get_string(tb[ISCSI_INI_A_MODULE_VERSION]);
    return v;
}

std::optional<kernel_session_info> decode_session_info(const netlink_message& m) {
    attrs tb;
    if (!parse(m, tb) || !tb[ISCSI_INI_A_SESSION_ID] || !tb[ISCSI_INI_A_STATE])
        return std::nullopt;
    kernel_session_info s;
    s.session_id = nla_get_u32(tb[ISCSI_INI_A_SESSION_ID]);
    take(tb, ISCSI_INI_A_HOST_NO, s.host_no);
    s.state = static_cast<session_state>(nla_get_u32(tb[ISCSI_INI_A_STATE]));
    auto& p = s.params;
    if (tb[ISCSI_INI_A_TARGET_NAME])
        p.target_name = get_string(tb[ISCSI_INI_A_TARGET_NAME]);
    if (tb[ISCSI_INI_A_INITIATOR_NAME])
        p.initiator_name = get_string(tb[ISCSI_INI_A_INITIATOR_NAME]);
    if (tb[ISCSI_INI_A_PORTAL])
        p.portal = get_string(tb[ISCSI_INI_A_PORTAL]);
    if (tb[ISCSI_INI_A_ISID]) {
        if (nla_len(tb[ISCSI_INI_A_ISID]) != static_cast<int>(p.isid.size()))
            return std::nullopt;
        std::memcpy(p.isid.data(), nla_data(tb[ISCSI_INI_A_ISID]), p.isid.size());
    }
    take(tb, ISCSI_INI_A_TSIH, p.tsih);
    take(tb, ISCSI_INI_A_TPGT, p.tpgt);
    take(tb, ISCSI_INI_A_MAX_RECV_DLENGTH, p.max_recv_dlength);
    take(tb, ISCSI_INI_A_MAX_XMIT_DLENGTH, p.max_xmit_dlength);
    take(tb, ISCSI_INI_A_FIRST_BURST_LENGTH, p.first_burst_length);
    take(tb, ISCSI_INI_A_MAX_BURST_LENGTH, p.max_burst_length);
    take(tb, ISCSI_INI_A_INITIAL_R2T, p.initial_r2t);
    take(tb, ISCSI_INI_A_IMMEDIATE_DATA, p.immediate_data);
    take(tb, ISCSI_INI_A_MAX_OUTSTANDING_R2T, p.max_outstanding_r2t);
    take(tb, ISCSI_INI_A_HEADER_DIGEST, p.header_digest);
    take(tb, ISCSI_INI_A_DATA_DIGEST, p.data_digest);
    take(tb, ISCSI_INI_A_DATA_PDU_IN_ORDER, p.data_pdu_in_order);
    take(tb, ISCSI_INI_A_DATA_SEQUENCE_IN_ORDER, p.data_sequence_in_order);
    take(tb, ISCSI_INI_A_ERL, p.erl);
    take(tb, ISCSI_INI_A_CMDS_MAX, p.cmds_max);
    take(tb, ISCSI_INI_A_REPLACEMENT_TIMEOUT, p.replacement_timeout);
    take(tb, ISCSI_INI_A_NOOP_INTERVAL, p.noop_interval);
    take(tb, ISCSI_INI_A_NOOP_TIMEOUT, p.noop_timeout);
    take(tb, ISCSI_INI_A_MAX_CONNECTIONS, p.max_connections);
    take(tb, ISCSI_INI_A_CID, s.cid);
    take(tb, ISCSI_INI_A_EXP_STAT_SN, s.exp_stat_sn);
    take(tb, ISCSI_INI_A_CMD_SN, s.cmd_sn);
    take(tb, ISCSI_INI_A_EXP_CMD_SN, s.exp_cmd_sn);
    take(tb, ISCSI_INI_A_MAX_CMD_SN, s.max_cmd_sn);
    if (tb[ISCSI_INI_A_STATS]) {
        std::array<nlattr*, ISCSI_INI_A_STATS_MAX + 1> st{};
        std::array<nla_policy, ISCSI_INI_A_STATS_MAX + 1> policy{};
        for (auto [type, name] : stat_names)
            policy[type].type = NLA_U64;
        if (nla_parse_nested(st.data(), ISCSI_INI_A_STATS_MAX, tb[ISCSI_INI_A_STATS], policy.data()) != 0)
            return std::nullopt;
        for (auto [type, name] : stat_names)
            if (st[type])
                s.stats[name] = nla_get_u64(st[type]);
    }
    // One nest per bound connection: the attribute repeats, so walk them all.
    const auto* h = header_of(m);
    auto* gh = static_cast<genlmsghdr*>(nlmsg_data(const_cast<nlmsghdr*>(h))); // NOLINT: libnl is not const
    nlattr* a = nullptr;
    int rem = 0;
    nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
        if (nla_type(a) != ISCSI_INI_A_CONN)
            continue;
        std::array<nlattr*, ISCSI_INI_A_CONN_MAX + 1> ct{};
        std::array<nla_policy, ISCSI_INI_A_CONN_MAX + 1> policy{};
        policy[ISCSI_INI_A_CONN_CID].type = NLA_U16;
        policy[ISCSI_INI_A_CONN_EXP_STAT_SN].type = NLA_U32;
        for (int t : {ISCSI_INI_A_CONN_CMDS, ISCSI_INI_A_CONN_READ_BYTES, ISCSI_INI_A_CONN_WRITE_BYTES})
            policy[t].type = NLA_U64;
        if (nla_parse_nested(ct.data(), ISCSI_INI_A_CONN_MAX, a, policy.data()) != 0 ||
            !ct[ISCSI_INI_A_CONN_CID])
            return std::nullopt;
        kernel_conn_info c;
        c.cid = nla_get_u16(ct[ISCSI_INI_A_CONN_CID]);
        take(ct, ISCSI_INI_A_CONN_EXP_STAT_SN, c.exp_stat_sn);
        take(ct, ISCSI_INI_A_CONN_CMDS, c.cmds);
        take(ct, ISCSI_INI_A_CONN_READ_BYTES, c.read_bytes);
        take(ct, ISCSI_INI_A_CONN_WRITE_BYTES, c.write_bytes);
        s.connections.push_back(c);
    }
    return s;
}

std::optional<kernel_event> decode_event(const netlink_message& m) {
    attrs tb;
    if (!parse(m, tb) || !tb[ISCSI_INI_A_SESSION_ID])
        return std::nullopt;
    kernel_event e;
    e.session_id = nla_get_u32(tb[ISCSI_INI_A_SESSION_ID]);
    switch (genl_cmd(m)) {
    case ISCSI_INI_CMD_CONN_ERROR:
        e.type = kernel_event::kind::conn_error;
        take(tb, ISCSI_INI_A_CID, e.cid);
        take(tb, ISCSI_INI_A_REASON, e.reason);
        return e;
    case ISCSI_INI_CMD_SESSION_STATE:
        if (!tb[ISCSI_INI_A_STATE])
            return std::nullopt;
        e.type = kernel_event::kind::session_state;
        take(tb, ISCSI_INI_A_HOST_NO, e.host_no);
        e.state = static_cast<session_state>(nla_get_u32(tb[ISCSI_INI_A_STATE]));
        return e;
    case ISCSI_INI_CMD_ASYNC_EVENT:
        e.type = kernel_event::kind::async_event;
        take(tb, ISCSI_INI_A_ASYNC_EVENT, e.async_event);
        take(tb, ISCSI_INI_A_ASYNC_VCODE, e.async_vcode);
        if (tb[ISCSI_INI_A_LUN])
            e.lun = nla_get_u64(tb[ISCSI_INI_A_LUN]);
        if (tb[ISCSI_INI_A_SENSE]) {
            const auto* d = static_cast<const std::uint8_t*>(nla_data(tb[ISCSI_INI_A_SENSE]));
            e.sense.assign(d, d + nla_len(tb[ISCSI_INI_A_SENSE]));
        }
        return e;
    case ISCSI_INI_CMD_SCAN_DONE:
        e.type = kernel_event::kind::scan_done;
        take(tb, ISCSI_INI_A_HOST_NO, e.host_no);
        take(tb, ISCSI_INI_A_SCAN_GEN, e.scan_gen);
        return e;
    default:
        return std::nullopt;
    }
}

std::error_code kernel::open() {
    return nl_.open(ISCSI_INI_FAMILY_NAME);
}

std::error_code kernel::subscribe(std::function<void(const kernel_event&)> on_event,
                                  std::function<void()> on_overrun) {
    return nl_.subscribe(
        ISCSI_INI_MCGRP_EVENTS,
        [on_event = std::move(on_event)](const netlink_message& m) {
            if (auto e = decode_event(m))
                on_event(*e);
        },
        std::move(on_overrun));
}

asio::awaitable<netlink_error> kernel::version(kernel_version& out) {
    auto msg = nl_.new_request(ISCSI_INI_CMD_VERSION_GET);
    std::vector<netlink_message> replies;
    auto err = co_await nl_.request(msg.get(), false, request_limit, replies);
    if (err)
        co_return err;
    auto v = replies.empty() ? std::nullopt : decode_version(replies.front());
    if (!v)
        co_return malformed_reply();
    out = *v;
    co_return err;
}

asio::awaitable<netlink_error> kernel::session_new(const kernel_session_params& p, std::uint32_t& session_id,
                                                   std::uint32_t& host_no) {
    auto msg = nl_.new_request(ISCSI_INI_CMD_SESSION_NEW);
    if (!msg || !put_params(msg.get(), p))
        co_return no_memory();
    attrs tb;
    if (auto err = co_await request_reply(nl_, msg.get(), tb))
        co_return err;
    if (!tb[ISCSI_INI_A_SESSION_ID] || !tb[ISCSI_INI_A_HOST_NO])
        co_return malformed_reply();
    session_id = nla_get_u32(tb[ISCSI_INI_A_SESSION_ID]);
    host_no = nla_get_u32(tb[ISCSI_INI_A_HOST_NO]);
    co_return netlink_error{};
}

asio::awaitable<netlink_error> kernel::conn_bind(const kernel_bind_params& b) {
    auto msg = nl_.new_request(ISCSI_INI_CMD_CONN_BIND);
    if (!msg || nla_put_u32(msg.get(), ISCSI_INI_A_SESSION_ID, b.session_id) ||
        nla_put_u16(msg.get(), ISCSI_INI_A_CID, b.cid) || nla_put_s32(msg.get(), ISCSI_INI_A_SOCK_FD, b.fd) ||
        nla_put_u32(msg.get(), ISCSI_INI_A_EXP_STAT_SN, b.exp_stat_sn) ||
        nla_put_u32(msg.get(), ISCSI_INI_A_CMD_SN, b.cmd_sn) ||
        nla_put_u32(msg.get(), ISCSI_INI_A_EXP_CMD_SN, b.exp_cmd_sn) ||
        nla_put_u32(msg.get(), ISCSI_INI_A_MAX_CMD_SN, b.max_cmd_sn))
        co_return no_memory();
    std::vector<netlink_message> replies;
    co_return co_await nl_.request(msg.get(), false, request_limit, replies);
}

asio::awaitable<netlink_error> kernel::simple(std::uint8_t cmd, std::uint32_t session_id,
                                              std::chrono::steady_clock::duration limit) {
    auto msg = nl_.new_request(cmd);
    if (!msg || nla_put_u32(msg.get(), ISCSI_INI_A_SESSION_ID, session_id))
        co_return no_memory();
    std::vector<netlink_message> replies;
    co_return co_await nl_.request(msg.get(), false, limit, replies);
}

asio::awaitable<netlink_error> kernel::session_logout(std::uint32_t session_id) {
    return simple(ISCSI_INI_CMD_SESSION_LOGOUT, session_id, logout_limit);
}

asio::awaitable<netlink_error> kernel::session_del(std::uint32_t session_id) {
    return simple(ISCSI_INI_CMD_SESSION_DEL, session_id, request_limit);
}

std::error_code kernel::session_del_now(std::uint32_t session_id) {
    auto msg = nl_.new_request(ISCSI_INI_CMD_SESSION_DEL);
    if (!msg || nla_put_u32(msg.get(), ISCSI_INI_A_SESSION_ID, session_id))
        return std::make_error_code(std::errc::not_enough_memory);
    return nl_.send_now(msg.get());
}

asio::awaitable<netlink_error> kernel::session_rescan(std::uint32_t session_id, std::uint32_t& scan_gen) {
    auto msg = nl_.new_request(ISCSI_INI_CMD_SESSION_RESCAN);
    if (!msg || nla_put_u32(msg.get(), ISCSI_INI_A_SESSION_ID, session_id))
        co_return no_memory();
    attrs tb;
    if (auto err = co_await request_reply(nl_, msg.get(), tb))
        co_return err;
    if (!tb[ISCSI_INI_A_SCAN_GEN])
        co_return malformed_reply();
    scan_gen = nla_get_u32(tb[ISCSI_INI_A_SCAN_GEN]);
    co_return netlink_error{};
}

asio::awaitable<netlink_error> kernel::session_set(std::uint32_t session_id,
                                                   const kernel_session_settings& s) {
    auto msg = nl_.new_request(ISCSI_INI_CMD_SESSION_SET);
    int err = msg ? nla_put_u32(msg.get(), ISCSI_INI_A_SESSION_ID, session_id) : -1;
    if (msg && s.cmds_max)
        err |= nla_put_u16(msg.get(), ISCSI_INI_A_CMDS_MAX, *s.cmds_max);
    if (msg && s.replacement_timeout)
        err |= nla_put_u32(msg.get(), ISCSI_INI_A_REPLACEMENT_TIMEOUT, *s.replacement_timeout);
    if (msg && s.noop_interval)
        err |= nla_put_u32(msg.get(), ISCSI_INI_A_NOOP_INTERVAL, *s.noop_interval);
    if (msg && s.noop_timeout)
        err |= nla_put_u32(msg.get(), ISCSI_INI_A_NOOP_TIMEOUT, *s.noop_timeout);
    if (err)
        co_return no_memory();
    std::vector<netlink_message> replies;
    co_return co_await nl_.request(msg.get(), false, request_limit, replies);
}

asio::awaitable<netlink_error> kernel::sessions(std::vector<kernel_session_info>& out) {
    auto msg = nl_.new_request(ISCSI_INI_CMD_SESSION_GET);
    std::vector<netlink_message> replies;
    auto err = co_await nl_.request(msg.get(), true, request_limit, replies);
    if (err)
        co_return err;
    out.clear();
    for (const auto& r : replies) {
        auto s = decode_session_info(r);
        if (!s)
            co_return malformed_reply();
        out.push_back(std::move(*s));
    }
    co_return err;
}

} // namespace iscsid
