// SPDX-License-Identifier: GPL-2.0-or-later
// Arbitrary Login Responses fed to the login state machine after a valid start.
//
// Input: one control byte, then target PDUs back to back as they would arrive on the socket.
//   bits 0-1  authentication: none, CHAP, mutual CHAP (3 = CHAP with base64 values)
//   bit 2     stamp our ITT and ISID into every response, so the fuzzer gets past those checks
//   bit 3     send our text in 512-byte pieces (C bit on our side)
//   bit 4     discovery session
// Each PDU is parsed as the engine would (parse_next_pdu, target side, 8192-byte limit) and given to
// receive(); the machine must never crash, and its requests must always serialise.
#include "iscsi/login.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

namespace {

void require(bool ok) {
    if (!ok)
        std::abort();
}

const iscsi::isid_bytes fuzz_isid{0x80, 0x01, 0x02, 0x03, 0x00, 0x00};
constexpr std::uint32_t fuzz_itt = 0x11223344;

iscsi::login_config make_config(std::uint8_t control) {
    iscsi::login_config c;
    c.identity.initiator_name = "iqn.2026-11.org.example:fuzz";
    c.identity.target_name = "iqn.2026-11.org.example:target";
    if ((control & 0x10) != 0) {
        c.identity.type = iscsi::session_type::discovery;
        c.identity.target_name.clear();
    }
    c.isid = fuzz_isid;
    c.itt = fuzz_itt;
    c.cmd_sn = 1;
    if ((control & 0x08) != 0) {
        c.max_send_data_segment_length = 512;
        c.identity.initiator_alias = std::string(255, 'a');
        c.preferences.node_architecture = std::string(255, 'n');
    }
    switch (control & 0x03) {
    case 0:
        break;
    case 2:
        c.auth = iscsi::auth_policy::mutual_chap;
        c.chap.target_name = "target-user";
        c.chap.target_secret = "target-secret-22";
        [[fallthrough]];
    case 1:
    case 3:
        if (c.auth == iscsi::auth_policy::none)
            c.auth = iscsi::auth_policy::chap;
        c.chap.name = "host-user";
        c.chap.secret = "initiator-secret-1";
        if ((control & 0x03) == 3)
            c.chap.encoding = iscsi::binary_encoding::base64;
        break;
    }
    return c;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::uint8_t control = data[0];
    auto machine = iscsi::login_machine::create(make_config(control));
    require(machine.has_value()); // the configuration above is valid
    auto step = machine->start();
    require(step && step->request && iscsi::serialize(*step->request, {}));

    std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data + 1), size - 1);
    const iscsi::receive_limits limits{.sender = iscsi::role::target,
                                       .max_data_segment_length = iscsi::default_max_data_segment_length,
                                       .digests = {}};
    while (!input.empty()) {
        auto parsed = iscsi::parse_next_pdu(input, limits);
        if (!parsed)
            break;
        input = input.subspan(parsed->size);
        auto p = std::move(parsed->value);
        if ((control & 0x04) != 0 && p.opcode() == ISCSI_OP_LOGIN_RSP) {
            iscsi::store_be32(p.bhs, offsetof(iscsi_login_rsp_bhs, itt), fuzz_itt);
            for (std::size_t i = 0; i < fuzz_isid.size(); ++i)
                p.bhs[offsetof(iscsi_login_rsp_bhs, isid) + i] = static_cast<std::byte>(fuzz_isid[i]);
        }
        step = machine->receive(p);
        if (!step) {
            // A failure is final and always explained.
            require(!machine->failure().message.empty() && machine->receive(p).error() == step.error());
            break;
        }
        if (step->done) {
            const auto& r = machine->outcome();
            require(r && r->tsih != 0 && r->isid == fuzz_isid && r->exp_cmd_sn == 1);
            break;
        }
        require(step->request && iscsi::serialize(*step->request, {}));
    }
    return 0;
}
