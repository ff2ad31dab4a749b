// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's control socket: one message of arbitrary bytes, decoded as a request and as a response
// (decoding never throws, whatever it accepts survives encode -> decode unchanged), and a request's
// params checked as the daemon checks them: a login's "target", a discovery, a modify's "settings".
// Whatever those accept survives to_json -> parse unchanged; what they refuse comes with a one-line
// reason that never quotes a CHAP secret.
#include "control_protocol.hpp"
#include "target_config.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using json = nlohmann::json;
namespace control = iscsid::control;

constexpr std::string_view marker = "zqSECRETqz";

void check(bool ok) {
    if (!ok)
        std::abort();
}

// A reason for the user and the log: one line (no byte below 0x20: values are quoted JSON-style), not
// empty.
void check_reason(const std::string& why) {
    check(!why.empty());
    check(std::ranges::none_of(why, [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
}

// The same object with every secret marked, so a reason that quotes one is caught.
json mark_secrets(json j) {
    if (!j.is_object())
        return j;
    for (const char* key : {"chap-secret", "mutual-chap-secret"})
        if (auto it = j.find(key); it != j.end() && it->is_string())
            *it = std::string(marker) + it->get<std::string>();
    return j;
}

void check_no_secret(const std::string& why, std::string_view input) {
    if (input.find(marker) == std::string_view::npos)
        check(why.find(marker) == std::string::npos);
}

void target(const json& j, std::string_view input) {
    std::string why;
    auto t = iscsid::parse_target_config(j, why);
    if (!t) {
        check_reason(why);
    } else {
        json again = iscsid::to_json(*t);
        std::string why2;
        auto t2 = iscsid::parse_target_config(again, why2);
        check(t2.has_value());
        check(iscsid::to_json(*t2) == again);
        check(t->portals.size() == t2->portals.size());
        check(t->credentials.chap_secret == t2->credentials.chap_secret &&
              t->credentials.mutual_chap_secret == t2->credentials.mutual_chap_secret);
        // The settings `modify` can change read back as settings.
        std::string why3;
        auto s = iscsid::parse_session_settings(iscsid::settings_json(*t), why3);
        check(s.has_value());
        check(s->replacement_timeout == t->replacement_timeout && s->queue_depth == t->queue_depth);
    }
    std::string why_marked;
    if (!iscsid::parse_target_config(mark_secrets(j), why_marked))
        check_no_secret(why_marked, input);
}

void discovery(const json& j, std::string_view input) {
    std::string why;
    if (!iscsid::parse_discovery_config(j, why))
        check_reason(why);
    std::string why_marked;
    if (!iscsid::parse_discovery_config(mark_secrets(j), why_marked))
        check_no_secret(why_marked, input);
}

void settings(const json& j) {
    std::string why;
    auto s = iscsid::parse_session_settings(j, why);
    if (!s) {
        check_reason(why);
        return;
    }
    check(s->replacement_timeout || s->noop_interval || s->noop_timeout || s->queue_depth);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    std::string why;
    if (auto req = control::decode_request(text, why)) {
        check(!req->method.empty() && req->params.is_object());
        std::string why2;
        auto again = control::decode_request(control::encode(*req), why2);
        check(again.has_value());
        check(again->id == req->id && again->method == req->method && again->params == req->params);

        const json& p = req->params;
        target(p.value("target", json::object()), text);
        target(p, text);
        discovery(p, text);
        settings(p.value("settings", json::object()));
        settings(p);
    } else {
        check_reason(why);
    }

    why.clear();
    if (auto resp = control::decode_response(text, why)) {
        std::string why2;
        auto again = control::decode_response(control::encode(*resp), why2);
        check(again.has_value());
        check(again->id == resp->id && again->ok == resp->ok);
        if (resp->ok)
            check(again->result == resp->result);
        else
            check(again->code == resp->code && again->message == resp->message);
    } else {
        check_reason(why);
    }
    return 0;
}
