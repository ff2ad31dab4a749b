// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel_link.hpp"

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <uapi/iscsi_ini.h>

namespace iscsid {
namespace {

// libnl reports its own error numbers; map the ones that matter to errno values.
std::error_code from_nl(int nlerr) {
    switch (-nlerr) {
    case NLE_OBJ_NOTFOUND:
        return std::make_error_code(std::errc::no_such_file_or_directory);
    case NLE_PERM:
        return std::make_error_code(std::errc::operation_not_permitted);
    case NLE_NOMEM:
        return std::make_error_code(std::errc::not_enough_memory);
    case NLE_INVAL:
        return std::make_error_code(std::errc::invalid_argument);
    case NLE_MSG_TRUNC:
    case NLE_MSGTYPE_NOSUPPORT:
    case NLE_PROTO_MISMATCH:
        return std::make_error_code(std::errc::protocol_error);
    default:
        return std::make_error_code(std::errc::io_error);
    }
}

struct msg_deleter {
    void operator()(nl_msg* m) const noexcept { nlmsg_free(m); }
};
using msg_ptr = std::unique_ptr<nl_msg, msg_deleter>;

} // namespace

void kernel_link::sock_deleter::operator()(nl_sock* s) const noexcept {
    nl_socket_free(s);
}

std::error_code parse_version_reply(nl_msg* msg, kernel_version& out) {
    nlattr* attrs[ISCSI_INI_A_MAX + 1] = {};
    nla_policy policy[ISCSI_INI_A_MAX + 1] = {};
    policy[ISCSI_INI_A_VERSION].type = NLA_U32;
    policy[ISCSI_INI_A_MODULE_VERSION].type = NLA_STRING;
    if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, ISCSI_INI_A_MAX, policy) < 0 || !attrs[ISCSI_INI_A_VERSION])
        return std::make_error_code(std::errc::protocol_error);
    out.interface = nla_get_u32(attrs[ISCSI_INI_A_VERSION]);
    out.module = attrs[ISCSI_INI_A_MODULE_VERSION] ? nla_get_string(attrs[ISCSI_INI_A_MODULE_VERSION]) : "";
    return {};
}

std::error_code kernel_link::open(kernel_link& link) {
    std::unique_ptr<nl_sock, sock_deleter> sock(nl_socket_alloc());
    if (!sock)
        return std::make_error_code(std::errc::not_enough_memory);
    if (int err = genl_connect(sock.get()); err < 0)
        return from_nl(err);
    int family = genl_ctrl_resolve(sock.get(), ISCSI_INI_FAMILY_NAME);
    if (family < 0)
        return from_nl(family);
    link.sock_ = std::move(sock);
    link.family_ = family;
    return {};
}

std::error_code kernel_link::query_version(kernel_version& out) {
    msg_ptr req(nlmsg_alloc());
    if (!req)
        return std::make_error_code(std::errc::not_enough_memory);
    if (!genlmsg_put(req.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ISCSI_INI_CMD_VERSION_GET,
                     ISCSI_INI_FAMILY_VERSION))
        return std::make_error_code(std::errc::not_enough_memory);
    if (int err = nl_send_auto(sock_.get(), req.get()); err < 0)
        return from_nl(err);

    struct reply_state {
        kernel_version* out;
        std::error_code ec = std::make_error_code(std::errc::protocol_error);
    } state{&out};
    auto on_valid = [](nl_msg* msg, void* arg) -> int {
        auto* st = static_cast<reply_state*>(arg);
        st->ec = parse_version_reply(msg, *st->out);
        return NL_OK;
    };
    nl_socket_modify_cb(sock_.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &state);
    if (int err = nl_recvmsgs_default(sock_.get()); err < 0)
        return from_nl(err);
    return state.ec;
}

} // namespace iscsid
