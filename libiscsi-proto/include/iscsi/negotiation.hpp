// SPDX-License-Identifier: GPL-2.0-or-later
// Login key negotiation, initiator side (RFC 7143 sections 6.2, 6.3 and 13).
//
// - key_definitions(): one table of every key the RFC defines: kind, range, default, scope, stage.
// - initiator_preferences: every value this initiator offers, with documented defaults
//   (docs/negotiation.md explains each one and compares it with open-iscsi).
// - negotiator: produces the pairs to offer in a login stage, checks the target's answers, answers
//   the target's own proposals and yields the negotiated session and connection parameters.
//
// Nothing here does I/O: the login state machine carries the text in Login PDUs, joins continued
// (C bit) text with parse_text() before handing it over, and runs the CHAP exchange on the
// CHAP_* pairs the negotiator passes through.
#pragma once

#include "iscsi/result.hpp"
#include "iscsi/text.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace iscsi {

// ---------------------------------------------------------------------------------------------
// The key table

// How the outcome of a key is computed (RFC 7143 section 6.2).
enum class key_kind : std::uint8_t {
    list,          // the acceptor picks the first value of the proposer's list it supports
    numerical_min, // the outcome is the smaller of both values
    numerical_max, // the outcome is the larger of both values
    boolean_and,   // Yes only when both say Yes
    boolean_or,    // Yes when either says Yes
    declarative,   // each side states its own value; there is no answer
};

// What the value looks like.
enum class value_syntax : std::uint8_t {
    boolean,       // Yes | No
    number,        // numerical-value: decimal-constant or hex-constant, within [min, max]
    values,        // list-of-values; `values` in the table lists the ones the RFC defines
    text,          // text-value (names, aliases, addresses, CHAP payloads)
    numeric_range, // low~high (only the obsolete marker intervals)
};

enum class key_scope : std::uint8_t { session, connection };

// The stages in which a key may appear. `any_login` is the RFC's "Any-Stage": security or
// operational stage of the login.
enum class key_stage : std::uint8_t { security, operational, any_login, full_feature };

enum class key_sender : std::uint8_t { initiator, target, both };

inline constexpr std::size_t max_iscsi_name_length = 223;  // RFC 7143 section 4.2.7.1
inline constexpr std::size_t max_plain_value_length = 255; // RFC 7143 section 6.1, unless a key says more

struct key_definition {
    std::string_view name{};
    key_kind kind = key_kind::declarative;
    value_syntax syntax = value_syntax::text;
    std::uint64_t min = 0; // number range (value_syntax::number)
    std::uint64_t max = 0;
    std::span<const std::string_view> values{}; // the values the RFC defines (value_syntax::values)
    std::string_view rfc_default{};             // empty when the key has none
    key_scope scope = key_scope::session;
    bool leading_only = false; // "LO": only on the leading connection of a session
    key_stage stage = key_stage::operational;
    key_sender sender = key_sender::both;
    bool valid_in_discovery = true;     // false: "Irrelevant when SessionType=Discovery"
    bool may_be_irrelevant = false;     // the acceptor may answer Irrelevant
    bool may_be_not_understood = false; // younger than RFC 3720: older peers answer NotUnderstood
    bool obsolete = false;              // RFC 7143 section 13.25: always answered with Reject
    std::size_t max_value_length = max_plain_value_length; // per element for value_syntax::values
    std::string_view rfc_section{};
};

// Every key of RFC 7143 section 13 (and TaskReporting of RFC 7144), plus AuthMethod and the CHAP
// keys of section 12. X- and X# extension keys other than X#NodeArchitecture are not listed:
// the negotiator answers them NotUnderstood.
std::span<const key_definition> key_definitions() noexcept;

// The definition of `name`, or nullptr when the key is not in the table.
const key_definition* find_key_definition(std::string_view name) noexcept;

// numerical-value of RFC 7143 section 6.1: a decimal-constant (no leading zeros) or a hex-constant
// (0x or 0X, then hex digits), less than 2**64. Fails with errc::bad_format.
result<std::uint64_t> parse_numerical_value(std::string_view text);

// ---------------------------------------------------------------------------------------------
// What the initiator offers

enum class negotiation_stage : std::uint8_t { security = 0, operational = 1 }; // = CSG/NSG values
enum class session_type : std::uint8_t { normal, discovery };
enum class digest_type : std::uint8_t { none, crc32c };
enum class auth_method : std::uint8_t { none, chap };

// Every value offered in the operational stage, with this initiator's defaults. Lists are in
// order of preference. Numbers are checked against the RFC ranges by check_preferences().
struct initiator_preferences {
    std::vector<auth_method> auth_methods{auth_method::none};
    std::vector<digest_type> header_digest{digest_type::crc32c, digest_type::none};
    std::vector<digest_type> data_digest{digest_type::none};
    std::uint32_t max_recv_data_segment_length = 262144;
    std::uint32_t max_burst_length = 16776192;
    std::uint32_t first_burst_length = 262144;
    bool initial_r2t = false;
    bool immediate_data = true;
    std::uint32_t max_connections = 1;
    std::uint32_t max_outstanding_r2t = 8;
    bool data_pdu_in_order = true;
    bool data_sequence_in_order = true;
    std::uint32_t default_time2wait = 2;
    std::uint32_t default_time2retain = 0;
    std::uint32_t error_recovery_level = 0;
    bool offer_protocol_level = false; // offer iSCSIProtocolLevel=1 (RFC 7143)
    std::string node_architecture;     // X#NodeArchitecture, not sent when empty
};

// Who logs in where. Names are checked for length only; names.hpp validates their format.
struct session_identity {
    std::string initiator_name;
    std::string initiator_alias; // not sent when empty
    std::string target_name;     // required for normal sessions, not sent in discovery sessions
    session_type type = session_type::normal;
};

// Why a negotiation stopped, for a human: which key, which value, what is wrong with it.
struct negotiation_failure {
    std::error_code code; // errc::protocol_violation: the target broke a rule;
                          // errc::negotiation_failed: a legal outcome we cannot accept;
                          // errc::bad_format: our own preferences or identity are invalid
    std::string key;
    std::string value;
    std::string reason;

    // "HeaderDigest=CRC32C: not one of the offered values (None)"
    [[nodiscard]] std::string message() const;
};

// The first problem in `prefs`, if any (errc::bad_format). The negotiator runs the same check
// before its first offer; a configuration front end can call it early.
std::optional<negotiation_failure> check_preferences(const initiator_preferences& prefs);

// ---------------------------------------------------------------------------------------------
// The outcome, ready for the kernel (RFC defaults for every key never negotiated)

struct session_params {
    session_type type = session_type::normal;
    std::uint32_t max_connections = 1;
    bool initial_r2t = true;
    bool immediate_data = true;
    std::uint32_t max_burst_length = 262144;
    std::uint32_t first_burst_length = 65536; // <= max_burst_length, checked by finish()
    std::uint32_t default_time2wait = 2;
    std::uint32_t default_time2retain = 20;
    std::uint32_t max_outstanding_r2t = 1;
    bool data_pdu_in_order = true;
    bool data_sequence_in_order = true;
    std::uint32_t error_recovery_level = 0;
    std::uint32_t iscsi_protocol_level = 0;
    std::string target_alias;
    std::optional<std::uint16_t> target_portal_group_tag; // the target declares it in its first response
    std::vector<std::string> target_addresses;            // as sent, e.g. with a redirect
    std::string target_node_architecture;
};

struct connection_params {
    auth_method auth = auth_method::none;
    digest_type header_digest = digest_type::none;
    digest_type data_digest = digest_type::none;
    // MaxRecvDataSegmentLength is declared by each side for the PDUs it RECEIVES:
    // - ours: the longest data segment the target may send us (what we declared);
    // - the target's: the longest data segment we may send (Data-Out, immediate data, text...).
    // Each stays at 8192 when its side never declared it.
    std::uint32_t max_recv_data_segment_length = 8192;
    std::uint32_t max_send_data_segment_length = 8192;
};

struct negotiated_parameters {
    session_params session;
    connection_params connection;
};

// What receive() makes of one target response.
struct received_keys {
    std::vector<text_pair> reply;          // our answers to the target's proposals: send them next
    std::vector<text_pair> authentication; // CHAP_* pairs, in order, for the CHAP exchange
};

// ---------------------------------------------------------------------------------------------
// The negotiator: one per connection login.
//
//   negotiator n(prefs, identity);
//   auto pairs = n.offer(negotiation_stage::security);    // first Login Request (+ CHAP keys)
//   auto got = n.receive(negotiation_stage::security, response_pairs);
//   ...                                                    // got->reply goes into the next request
//   auto more = n.offer(negotiation_stage::operational);  // when entering the operational stage
//   ...
//   auto params = n.finish();                              // when the target enters full feature
//
// Every failure is sticky: the call returns the error code, failure() holds the key, value and
// reason, and every later call returns the same error.
class negotiator {
public:
    // The leading connection of a new session (or of a session reinstatement).
    negotiator(initiator_preferences prefs, session_identity identity);
    // A connection added to an existing session: only connection keys are negotiated, and
    // finish() returns `existing` as the session part.
    negotiator(initiator_preferences prefs, session_identity identity, session_params existing);

    // The pairs to send when entering `stage`: the names and SessionType with the first offer,
    // AuthMethod in the security stage, the operational keys valid for this session type and
    // connection in the operational stage. Keys already sent are never sent again.
    result<std::vector<text_pair>> offer(negotiation_stage stage);

    // Processes the target's pairs of one complete response in `stage`.
    result<received_keys> receive(negotiation_stage stage, std::span<const text_pair> target_pairs);

    // True while an offer that requires an answer has none yet.
    [[nodiscard]] bool answers_pending() const;

    // The AuthMethod the target chose; nullopt until it answered.
    [[nodiscard]] std::optional<auth_method> negotiated_auth_method() const;

    // Call once the login reaches full feature phase: every required answer must have arrived
    // and FirstBurstLength <= MaxBurstLength must hold.
    result<negotiated_parameters> finish();

    // The reason of the last error; empty (no code) while nothing failed.
    [[nodiscard]] const negotiation_failure& failure() const noexcept { return failure_; }

private:
    struct sent_key {
        std::string value{};
        std::string answer{}; // what the target answered, once it did
        bool answered = false;
        bool answer_required = false;
    };

    std::error_code fail(errc code, std::string_view key, std::string_view value, std::string reason);
    [[nodiscard]] bool offered(std::string_view key) const;
    void add_offer(std::vector<text_pair>& out, std::string_view key, std::string value,
                   bool answer_required);
    std::error_code check_received(negotiation_stage stage, const key_definition& def, const text_pair& pair);
    std::error_code take_answer(const key_definition& def, const text_pair& pair, sent_key& sent);
    std::error_code take_declaration(const key_definition& def, const text_pair& pair);
    std::error_code answer_proposal(const key_definition& def, const text_pair& pair,
                                    std::vector<text_pair>& reply);
    void apply(const key_definition& def, std::string_view value);
    [[nodiscard]] std::vector<std::string_view> acceptable_choices(std::string_view key) const;
    [[nodiscard]] std::uint64_t preferred_number(std::string_view key) const;
    [[nodiscard]] bool preferred_boolean(std::string_view key) const;

    initiator_preferences prefs_;
    session_identity identity_;
    bool leading_;
    bool checked_ = false;
    negotiated_parameters params_;
    std::map<std::string, sent_key, std::less<>> sent_;
    std::set<std::string, std::less<>> received_; // keys the target sent, over the whole login
    std::optional<auth_method> auth_;
    negotiation_failure failure_;
};

} // namespace iscsi
