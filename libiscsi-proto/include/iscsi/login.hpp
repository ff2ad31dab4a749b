// SPDX-License-Identifier: GPL-2.0-or-later
// The login phase of one connection, initiator side (RFC 7143 sections 6.3, 11.12, 11.13), as a
// state machine without I/O: start() gives the first Login Request, receive() takes each Login
// Response and gives the next request to send, or the outcome of the login.
//
//   auto login = login_machine::create(config);          // fails on a bad configuration
//   auto step = login->start();                          // send step->request
//   while (...) {                                        // read one PDU from the target
//       step = login->receive(response_pdu);
//       if (!step) report(login->failure());             // typed error and a human message
//       else if (step->done) use(*login->outcome());     // full feature phase
//       else send(*step->request);
//   }
//
// What it does: the security stage (AuthMethod, the CHAP exchange of chap.hpp, one-way or mutual),
// the operational stage (negotiation.hpp), continued text in both directions (C bit), the stage
// transitions the target chooses, and checks of every field of every response (opcode, ITT, ISID,
// versions, StatSN, CmdSN window, TSIH, TargetPortalGroupTag). A non-zero status is turned into a
// login_failure: redirects carry the parsed TargetAddress.
#pragma once

#include "iscsi/chap.hpp"
#include "iscsi/negotiation.hpp"
#include "iscsi/pdu.hpp"
#include "iscsi/portal.hpp"
#include "iscsi/result.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace iscsi {

// ---------------------------------------------------------------------------------------------
// ISID (RFC 7143 section 11.12.5): T (2 bits), A (6 bits), B (16 bits), C (8 bits), D (16 bits)

enum class isid_format : std::uint8_t { oui = 0, enterprise_number = 1, random = 2, reserved = 3 };

isid_format format_of(const isid_bytes& isid) noexcept;

// OUI format: A and B hold the 22-bit OUI (its I/G and U/L bits omitted), C and D a 24-bit
// qualifier. Bits above those widths are ignored.
isid_bytes make_oui_isid(std::uint32_t oui22, std::uint32_t qualifier24) noexcept;
// Enterprise number format: B and C hold the 24-bit IANA enterprise number, D the qualifier.
isid_bytes make_enterprise_isid(std::uint32_t enterprise_number, std::uint16_t qualifier) noexcept;
// Random format: B and C are 24 random bits (RAND_bytes), D the qualifier. One initiator keeps its
// ISID for a session's lifetime (reinstatement uses the same ISID), so draw it once per session.
result<isid_bytes> make_random_isid(std::uint16_t qualifier);
// OUI format with a random 24-bit qualifier, e.g. for several sessions to one target.
result<isid_bytes> make_random_qualifier_isid(std::uint32_t oui22);

// "isid 80:12:34:56:00:01"-style text for logs: six lower-case hex bytes separated by ':'.
std::string to_string(const isid_bytes& isid);

// ---------------------------------------------------------------------------------------------
// Configuration

enum class auth_policy : std::uint8_t {
    none,        // AuthMethod=None: a target that requires CHAP refuses the login
    chap,        // AuthMethod=CHAP: the target authenticates us
    mutual_chap, // AuthMethod=CHAP, and we authenticate the target
};

// Status-Class and Status-Detail of the Login Response (RFC 7143 section 11.13.5), e.g. 0x0201.
using login_status = std::uint16_t;

struct login_config {
    session_identity identity; // names, alias, session type
    isid_bytes isid{};         // see make_random_isid()
    std::uint16_t tsih = 0;    // 0: a new session (or reinstatement of one with this ISID)
    std::uint16_t cid = 0;     // connection ID
    // With tsih != 0 (a connection added to a session): the session's negotiated parameters,
    // which the outcome carries as its session part (only connection keys are negotiated again).
    std::optional<session_params> session;
    std::uint32_t cmd_sn = 0;          // CmdSN of the Login Requests: the session's initial CmdSN
    std::uint32_t exp_stat_sn = 0;     // ExpStatSN of the first Login Request
    std::uint32_t itt = 0;             // Initiator Task Tag of every Login Request of this login
    initiator_preferences preferences; // its auth_methods are replaced by what `auth` implies
    auth_policy auth = auth_policy::none;
    // For chap and mutual_chap (target_name/target_secret for mutual_chap only). The views must
    // stay valid until create() returns: the secrets are copied there.
    chap_config chap;
    // The longest data segment we put in a Login Request: longer text is continued (C bit) over
    // several requests. 8192 is what every target accepts during login (RFC 7143 section 13.12).
    std::uint32_t max_send_data_segment_length = default_max_data_segment_length;
    // The longest text the target may send in one (possibly continued) response.
    std::size_t max_response_text = 65536;
    // Login Requests after which a login that has not reached full feature phase is abandoned.
    unsigned max_exchanges = 64;
};

// ---------------------------------------------------------------------------------------------
// Outcome

// Everything the daemon hands to the kernel after a successful login.
struct login_result {
    negotiated_parameters parameters; // including target alias and TargetPortalGroupTag
    isid_bytes isid{};
    std::uint16_t tsih = 0; // assigned by the target in the final response
    std::uint16_t cid = 0;
    std::uint32_t cmd_sn = 0;     // CmdSN of the first command in full feature phase
    std::uint32_t exp_cmd_sn = 0; // from the final response
    std::uint32_t max_cmd_sn = 0;
    std::uint32_t exp_stat_sn = 0; // the final response's StatSN + 1
    std::uint8_t version_active = ISCSI_VERSION;
};

// Where a redirected login goes next (status class 1).
struct login_redirect {
    portal address;                 // the first usable TargetAddress
    bool permanent = false;         // 0x0102: update the configuration; 0x0101: this login only
    std::vector<std::string> raw{}; // every TargetAddress value as sent
};

// Why a login ended without full feature phase.
struct login_failure {
    // One of iscsi::errc: target_moved (status class 1), authentication_failed (status 0x0201 or
    // a failed CHAP exchange), login_rejected (status classes 2 and 3 otherwise), protocol_violation,
    // negotiation_failed, bad_format (our configuration), unsupported.
    std::error_code code;
    // The precise cause: a login status (login_status_category()), a chap_errc, a PDU codec error
    // or the negotiator's code; empty when `code` says it all.
    std::error_code cause;
    std::optional<login_status> status;     // when the target ended the login with a status
    std::optional<login_redirect> redirect; // with errc::target_moved
    // The target says retrying later may succeed (status class 3, "target removed" excluded).
    bool transient = false;
    // For a human, e.g. "authentication failed", "target not found",
    // "target moved temporarily to 10.0.0.2:3260", "HeaderDigest=CRC32C: not one of the offered values
    // (None)".
    std::string message;
};

// ---------------------------------------------------------------------------------------------
// Multiple connections per session (MC/S, RFC 7143 sections 5.3.1 and 6.3)

// The login of connection `cid` added to the session that `leading` (the configuration of the
// leading connection's login) established with the outcome `established`: the same names,
// authentication and ISID, the session's TSIH, its own CID, the session's next CmdSN, and the
// session parameters of `established`. The connection keys are pinned to what the leading
// connection negotiated (digests, our MaxRecvDataSegmentLength), because the kernel keeps one set
// for the whole session; connection_mismatch() checks what the target made of them.
// errc::bad_format when cid is 0 (the leading connection's) or `established` is not a normal
// session's.
result<login_config> added_connection_config(const login_config& leading, const login_result& established,
                                             std::uint16_t cid);

// Empty when an added connection negotiated the same connection parameters as the leading one;
// otherwise what differs, for a human ("HeaderDigest: CRC32C on the leading connection, None here").
std::optional<std::string> connection_mismatch(const connection_params& leading,
                                               const connection_params& added);

// How many connections a session opens: what we offered (`wanted`), bounded by the MaxConnections
// the leading login negotiated and by `limit` (what the kernel takes); at least 1.
std::uint32_t connections_to_open(const login_result& established, std::uint32_t wanted, std::uint32_t limit);

// The error category of login statuses: error_code(0x0203, login_status_category()).message() is
// "target not found".
const std::error_category& login_status_category() noexcept;

inline std::error_code make_login_status_error(login_status status) noexcept {
    return {static_cast<int>(status), login_status_category()};
}

// The sentence for a status, e.g. "authentication failed"; for statuses RFC 7143 does not define,
// the class ("initiator error (status 0x02ff)").
std::string describe_login_status(login_status status);

// What login_machine::start() and receive() give: a request to send, or completion.
struct login_step {
    std::optional<pdu> request; // the next Login Request; empty when done
    bool done = false;          // full feature phase reached: see login_machine::outcome()
};

// ---------------------------------------------------------------------------------------------
// The state machine

class login_machine {
public:
    // Checks the configuration (names, preferences, CHAP settings); errors are errc::bad_format
    // or a chap_errc, with the details in the returned code's message.
    static result<login_machine> create(login_config config);

    login_machine(login_machine&&) noexcept;
    login_machine& operator=(login_machine&&) noexcept;
    ~login_machine();

    // The first Login Request. Call once.
    result<login_step> start();

    // Takes the next PDU from the target. Any error is final: failure() describes it, and every
    // later call returns the same code.
    result<login_step> receive(const pdu& response);
    result<login_step> receive(const login_response_pdu& response);

    // After the final response: what the kernel needs.
    [[nodiscard]] const std::optional<login_result>& outcome() const noexcept;
    // The current stage (security until the target agrees to move on).
    [[nodiscard]] login_stage stage() const noexcept;
    // Our mutual CHAP challenge (empty without mutual CHAP). The login refuses a target that sends
    // it back; a caller running several logins can also refuse it from other targets.
    [[nodiscard]] std::span<const std::byte> chap_challenge() const noexcept;
    // The reason of the error; failure().code is empty while nothing failed.
    [[nodiscard]] const login_failure& failure() const noexcept;

private:
    struct state;
    explicit login_machine(std::unique_ptr<state> s);
    std::unique_ptr<state> s_;
};

} // namespace iscsi
