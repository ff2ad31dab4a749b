// SPDX-License-Identifier: GPL-2.0-or-later
#include "iscsi/portal.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>

namespace iscsi {
namespace {

class portal_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "iscsi-portal"; }
    std::string message(int ev) const override {
        switch (static_cast<portal_errc>(ev)) {
        case portal_errc::empty:
            return "portal is empty";
        case portal_errc::empty_host:
            return "portal has no host";
        case portal_errc::unbalanced_brackets:
            return "portal has unbalanced '[' ']'";
        case portal_errc::junk_after_bracket:
            return "portal: only ':port' may follow ']'";
        case portal_errc::bad_port:
            return "portal: port must be a decimal number";
        case portal_errc::port_out_of_range:
            return "portal: port must be from 1 to 65535";
        case portal_errc::bad_tpgt:
            return "portal: portal group tag must be a number from 0 to 65535";
        case portal_errc::bad_ipv4:
            return "portal: invalid IPv4 address";
        case portal_errc::bad_ipv6:
            return "portal: invalid IPv6 address";
        case portal_errc::bad_host_name:
            return "portal: invalid host name";
        case portal_errc::bad_zone:
            return "portal: invalid IPv6 zone (interface name or number)";
        case portal_errc::zone_not_link_local:
            return "portal: a %zone is only valid on a link-local (fe80::/10) IPv6 address";
        }
        return "invalid portal";
    }
};

constexpr std::size_t max_host_name_length = 253; // RFC 1035 section 2.3.4, without the final dot
constexpr std::size_t max_label_length = 63;
constexpr std::size_t max_zone_length = 15; // IFNAMSIZ - 1

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// Decimal 0..65535 with at least one digit; leading zeros accepted.
std::optional<std::uint16_t> parse_u16(std::string_view s) noexcept {
    if (s.empty() || !std::all_of(s.begin(), s.end(), is_digit))
        return std::nullopt;
    unsigned value = 0;
    for (char c : s) {
        value = value * 10 + static_cast<unsigned>(c - '0');
        if (value > 0xffff)
            return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

std::error_code parse_port(std::string_view s, std::uint16_t& port) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), is_digit))
        return portal_errc::bad_port;
    auto value = parse_u16(s);
    if (!value || *value == 0)
        return portal_errc::port_out_of_range;
    port = *value;
    return {};
}

bool valid_zone(std::string_view zone) noexcept {
    return !zone.empty() && zone.size() <= max_zone_length &&
           std::all_of(zone.begin(), zone.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
                      c == '_' || c == '.';
           });
}

bool link_local(const std::array<unsigned char, 16>& addr) noexcept {
    return addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
}

result<std::string> normalise_ipv6(std::string_view text) {
    auto percent = text.find('%');
    std::string address(text.substr(0, percent));
    std::array<unsigned char, 16> bytes{};
    if (inet_pton(AF_INET6, address.c_str(), bytes.data()) != 1)
        return make_error_code(portal_errc::bad_ipv6);
    std::array<char, INET6_ADDRSTRLEN> out{};
    inet_ntop(AF_INET6, bytes.data(), out.data(), out.size());
    std::string normal(out.data());
    if (percent != std::string_view::npos) {
        std::string_view zone = text.substr(percent + 1);
        if (!valid_zone(zone))
            return make_error_code(portal_errc::bad_zone);
        if (!link_local(bytes))
            return make_error_code(portal_errc::zone_not_link_local);
        normal += '%';
        normal += zone;
    }
    return normal;
}

result<std::string> normalise_ipv4(std::string_view text) {
    std::string address(text);
    std::array<unsigned char, 4> bytes{};
    if (inet_pton(AF_INET, address.c_str(), bytes.data()) != 1)
        return make_error_code(portal_errc::bad_ipv4);
    return address; // inet_pton accepts only the canonical dotted quad, without leading zeros
}

// RFC 1123 host name: dot-separated labels of letters, digits and '-', no label starting or
// ending with '-'.
result<std::string> normalise_host_name(std::string_view text) {
    if (text.size() > max_host_name_length)
        return make_error_code(portal_errc::bad_host_name);
    std::string normal;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto dot = std::min(text.find('.', start), text.size());
        std::string_view label = text.substr(start, dot - start);
        if (label.empty() || label.size() > max_label_length || label.front() == '-' || label.back() == '-')
            return make_error_code(portal_errc::bad_host_name);
        for (char c : label) {
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
            if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-'))
                return make_error_code(portal_errc::bad_host_name);
            normal += c;
        }
        if (dot < text.size())
            normal += '.';
        start = dot + 1;
    }
    return normal;
}

host_kind classify_host(std::string_view text) noexcept {
    if (text.find(':') != std::string_view::npos)
        return host_kind::ipv6;
    // No top-level domain is all-numeric (RFC 3696 section 2), so this was meant as IPv4.
    if (std::all_of(text.begin(), text.end(), [](char c) { return is_digit(c) || c == '.'; }))
        return host_kind::ipv4;
    return host_kind::dns_name;
}

std::error_code parse_host(std::string_view text, portal& p) {
    if (text.empty())
        return portal_errc::empty_host;
    p.kind = classify_host(text);
    if (p.kind != host_kind::ipv6 && text.find('%') != std::string_view::npos)
        return portal_errc::zone_not_link_local;
    auto host = p.kind == host_kind::ipv6   ? normalise_ipv6(text)
                : p.kind == host_kind::ipv4 ? normalise_ipv4(text)
                                            : normalise_host_name(text);
    if (!host)
        return host.error();
    p.host = std::move(*host);
    return {};
}

} // namespace

const std::error_category& portal_category() noexcept {
    static const portal_category_impl cat;
    return cat;
}

std::string portal::to_string() const {
    std::string s = kind == host_kind::ipv6 ? "[" + host + "]" : host;
    s += ':';
    s += std::to_string(port);
    if (tpgt) {
        s += ',';
        s += std::to_string(*tpgt);
    }
    return s;
}

std::string_view portal::zone() const noexcept {
    auto percent = host.find('%');
    return percent == std::string::npos ? std::string_view{} : std::string_view(host).substr(percent + 1);
}

bool portal::is_link_local() const noexcept {
    if (kind != host_kind::ipv6)
        return false;
    std::string address = host.substr(0, host.find('%'));
    std::array<unsigned char, 16> bytes{};
    return inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1 && link_local(bytes);
}

result<portal> parse_portal(std::string_view text) {
    if (text.empty())
        return make_error_code(portal_errc::empty);
    portal p;
    auto comma = text.find(',');
    if (comma != std::string_view::npos) {
        p.tpgt = parse_u16(text.substr(comma + 1));
        if (!p.tpgt)
            return make_error_code(portal_errc::bad_tpgt);
        text = text.substr(0, comma);
    }

    std::string_view host = text;
    std::string_view port;
    bool has_port = false;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos)
            return make_error_code(portal_errc::unbalanced_brackets);
        host = text.substr(1, close - 1);
        std::string_view after = text.substr(close + 1);
        if (host.find_first_of("[]") != std::string_view::npos ||
            after.find_first_of("[]") != std::string_view::npos)
            return make_error_code(portal_errc::unbalanced_brackets);
        if (!after.empty() && after.front() != ':')
            return make_error_code(portal_errc::junk_after_bracket);
        if (host.find(':') == std::string_view::npos && !host.empty())
            return make_error_code(portal_errc::bad_ipv6); // brackets are for IPv6 only
        has_port = !after.empty();
        port = has_port ? after.substr(1) : std::string_view{};
    } else if (text.find_first_of("[]") != std::string_view::npos) {
        return make_error_code(portal_errc::unbalanced_brackets);
    } else if (auto colon = text.find(':'); colon != std::string_view::npos && colon == text.rfind(':')) {
        // Exactly one ':' separates host and port; more than one is a bare IPv6 address.
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        has_port = true;
    }

    if (auto ec = parse_host(host, p))
        return ec;
    if (has_port) {
        if (auto ec = parse_port(port, p.port))
            return ec;
    }
    return p;
}

} // namespace iscsi
