// SPDX-License-Identifier: GPL-2.0-or-later
// Micro-benchmarks of the user-space codec (libiscsi-proto): building and parsing PDUs, a whole
// login negotiation of the operational key set, and CRC32C (ISA-L) at the sizes the datapath sees
// (a 48-byte header digest, an 8 KiB and a 256 KiB data digest). Run by `tools/bench --micro`; never
// by tools/check, and nothing here asserts a time: the figures are for docs/performance.md.
#include "iscsi/crc32c.hpp"
#include "iscsi/negotiation.hpp"
#include "iscsi/pdu.hpp"
#include "iscsi/text.hpp"

#include <benchmark/benchmark.h>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using iscsi::text_pair;

// A 4 KiB READ(10) command, as the daemon's discovery and the tests build them.
iscsi::scsi_command_pdu read_command() {
    iscsi::scsi_command_pdu cmd;
    cmd.read = true;
    cmd.lun = 0;
    cmd.itt = 0x1234;
    cmd.expected_data_length = 4096;
    cmd.cmd_sn = 77;
    cmd.exp_stat_sn = 66;
    cmd.cdb = std::vector<std::byte>(16);
    cmd.cdb[0] = std::byte{0x28};
    return cmd;
}

void BM_BuildScsiCommand(benchmark::State& state) {
    const iscsi::digest_settings digests{.header = state.range(0) != 0, .data = false};
    const auto cmd = read_command();
    for (auto _ : state) {
        auto wire = iscsi::serialize(cmd.to_pdu(), digests);
        benchmark::DoNotOptimize(wire);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildScsiCommand)->ArgName("hdigest")->Arg(0)->Arg(1);

// A Data-In PDU with status and `range(0)` bytes of data, header and data digests on.
std::vector<std::byte> data_in_wire(std::size_t size) {
    iscsi::data_in_pdu in;
    in.final = true;
    in.has_status = true;
    in.itt = 0x1234;
    in.stat_sn = 66;
    in.exp_cmd_sn = 78;
    in.max_cmd_sn = 141;
    in.data = std::vector<std::byte>(size, std::byte{0x5a});
    return *iscsi::serialize(in.to_pdu(), {.header = true, .data = true});
}

void BM_ParseDataIn(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const auto wire = data_in_wire(size);
    const iscsi::receive_limits limits{.sender = iscsi::role::target,
                                       .max_data_segment_length = 262144,
                                       .digests = {.header = true, .data = true}};
    for (auto _ : state) {
        auto parsed = iscsi::parse_next_pdu(wire, limits);
        if (!parsed) {
            state.SkipWithError("parse failed");
            break;
        }
        auto msg = iscsi::decode(parsed->value);
        benchmark::DoNotOptimize(msg);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_ParseDataIn)->ArgName("bytes")->Arg(0)->Arg(8192);

// LIO's answers to the default operational offer (targetcli defaults).
std::vector<text_pair> lio_answers() {
    return {{"HeaderDigest", "None"},      {"DataDigest", "None"},
            {"MaxConnections", "1"},       {"InitialR2T", "Yes"},
            {"ImmediateData", "Yes"},      {"MaxBurstLength", "262144"},
            {"FirstBurstLength", "65536"}, {"DefaultTime2Wait", "2"},
            {"DefaultTime2Retain", "0"},   {"MaxOutstandingR2T", "1"},
            {"DataPDUInOrder", "Yes"},     {"DataSequenceInOrder", "Yes"},
            {"ErrorRecoveryLevel", "0"},   {"MaxRecvDataSegmentLength", "262144"}};
}

// One whole negotiation of a normal session: the security offer and answer, the operational offer
// encoded as text, the target's answers parsed from text, and the final parameters.
void BM_NegotiateLogin(benchmark::State& state) {
    const auto answers = iscsi::encode_text(lio_answers());
    const std::vector<text_pair> security_answer{{"AuthMethod", "None"}, {"TargetPortalGroupTag", "1"}};
    for (auto _ : state) {
        iscsi::negotiator n({}, {.initiator_name = "iqn.2026-11.org.example:host1",
                                 .initiator_alias = "",
                                 .target_name = "iqn.2003-01.org.linux-iscsi.san:vol1",
                                 .type = iscsi::session_type::normal});
        auto sec = n.offer(iscsi::negotiation_stage::security);
        auto sec_text = iscsi::encode_text(*sec);
        auto got = n.receive(iscsi::negotiation_stage::security, security_answer);
        auto op = n.offer(iscsi::negotiation_stage::operational);
        if (!sec || !got || !op) {
            state.SkipWithError("offer failed");
            break;
        }
        auto op_text = iscsi::encode_text(*op);
        auto parsed = iscsi::parse_text(answers);
        auto reply = n.receive(iscsi::negotiation_stage::operational, *parsed);
        auto params = n.finish();
        if (!reply || !params) {
            state.SkipWithError("negotiation failed");
            break;
        }
        benchmark::DoNotOptimize(sec_text);
        benchmark::DoNotOptimize(op_text);
        benchmark::DoNotOptimize(params);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NegotiateLogin);

void BM_Crc32c(benchmark::State& state) {
    const std::vector<std::byte> data(static_cast<std::size_t>(state.range(0)), std::byte{0xa5});
    for (auto _ : state) {
        auto crc = iscsi::crc32c(data);
        benchmark::DoNotOptimize(crc);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Crc32c)->ArgName("bytes")->Arg(48)->Arg(8192)->Arg(262144);

} // namespace

BENCHMARK_MAIN();
