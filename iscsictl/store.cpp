// SPDX-License-Identifier: GPL-2.0-or-later
#include "store.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <iscsi/names.hpp>
#include <iscsi/portal.hpp>
#include <map>
#include <memory>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace iscsictl {
namespace {

constexpr std::size_t max_store_size = 16 << 20; // far beyond any real store; refuses to read a disk image
constexpr mode_t group_other_bits = S_IRWXG | S_IRWXO;

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t';
}
bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
char to_lower(char c) noexcept {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool is_blank_or_comment(std::string_view text) {
    auto first = text.find_first_not_of(" \t\r");
    return first == std::string_view::npos || text[first] == ';' || text[first] == '#';
}

// The syntax of one line, before any validation of what it says.
struct header_syntax {
    std::string word;
    std::optional<std::string> subsection;
};
struct entry_syntax {
    std::string key;
    std::string value;
    std::string comment; // inline comment with the white space before it; empty when none
};

std::optional<std::string> rest_is_comment(std::string_view rest) {
    auto first = rest.find_first_not_of(" \t");
    if (first == std::string_view::npos || rest[first] == ';' || rest[first] == '#')
        return std::nullopt;
    return std::string("unexpected text after ']'");
}

// [word] or [word "subsection"]; `s` starts at '['. Subsections escape '"' and '\' with '\'.
outcome<header_syntax> parse_header(std::string_view s) {
    auto fail = [](std::string message) {
        return error{exit_code::store_error, std::move(message)};
    };
    header_syntax h;
    std::size_t i = 1;
    while (i < s.size() && is_space(s[i]))
        ++i;
    while (i < s.size() && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-' || s[i] == '.'))
        h.word += to_lower(s[i++]);
    if (h.word.empty())
        return fail("section header needs a name: [name] or [name \"subsection\"]");
    while (i < s.size() && is_space(s[i]))
        ++i;
    if (i < s.size() && s[i] == '"') {
        std::string sub;
        for (++i;; ++i) {
            if (i >= s.size())
                return fail("section name has no closing '\"'");
            if (s[i] == '"')
                break;
            if (s[i] == '\\') {
                if (i + 1 >= s.size() || (s[i + 1] != '"' && s[i + 1] != '\\'))
                    return fail("section name: only \\\" and \\\\ may follow a backslash");
                ++i;
            }
            sub += s[i];
        }
        h.subsection = std::move(sub);
        ++i;
        while (i < s.size() && is_space(s[i]))
            ++i;
    }
    if (i >= s.size() || s[i] != ']')
        return fail("section header must end with ']'");
    if (auto junk = rest_is_comment(s.substr(i + 1)))
        return fail(*junk);
    return h;
}

// key = value [; comment]. Values may be quoted in part or whole: inside quotes, ';' and '#' are
// plain characters and '\' escapes '"' and '\'. Unquoted white space at either end is dropped.
outcome<entry_syntax> parse_entry(std::string_view s) {
    auto fail = [](std::string message) {
        return error{exit_code::store_error, std::move(message)};
    };
    entry_syntax e;
    std::size_t i = 0;
    if (s.empty() || !is_alpha(s[0]))
        return fail("expected 'key = value', a [section] header or a comment");
    // git allows only letters, digits and '-'; '_' and '.' are read too, so that a misspelt key is
    // reported as unknown rather than as a syntax error.
    while (i < s.size() && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.'))
        e.key += to_lower(s[i++]);
    while (i < s.size() && is_space(s[i]))
        ++i;
    if (i >= s.size() || s[i] != '=')
        return fail("expected '=' after key '" + e.key + "'");
    ++i;
    while (i < s.size() && is_space(s[i]))
        ++i;
    std::size_t kept = 0;      // value length without trailing unquoted white space
    std::size_t value_end = i; // offset just past the last character that belongs to the value
    bool quoted = false;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (quoted) {
            if (c == '"') {
                quoted = false;
                kept = e.value.size();
                value_end = i + 1;
                continue;
            }
            if (c == '\\') {
                if (i + 1 >= s.size() || (s[i + 1] != '"' && s[i + 1] != '\\'))
                    return fail("value of '" + e.key +
                                "': only \\\" and \\\\ may follow a backslash in quotes");
                c = s[++i];
            }
            e.value += c;
            continue;
        }
        if (c == ';' || c == '#') {
            e.comment = std::string(s.substr(value_end));
            break;
        }
        if (c == '"') {
            quoted = true;
            continue;
        }
        e.value += c;
        if (!is_space(c)) {
            kept = e.value.size();
            value_end = i + 1;
        }
    }
    if (quoted)
        return fail("value of '" + e.key + "' has no closing '\"'");
    e.value.resize(kept);
    return e;
}

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + '"';
}

std::string render_value(std::string_view value) {
    bool needs_quotes = value.empty() || is_space(value.front()) || is_space(value.back()) ||
                        value.find_first_of(";#\"\\") != std::string_view::npos;
    return needs_quotes ? quote(value) : std::string(value);
}

std::string render_header(section_kind kind, std::string_view subsection) {
    std::string text = "[" + std::string(section_name(kind));
    if (!subsection.empty())
        text += " " + quote(subsection);
    return text + "]";
}

std::string describe_section(section_kind kind, std::string_view subsection) {
    if (subsection.empty())
        return "[" + std::string(section_name(kind)) + "]";
    return std::string(section_name(kind)) + " '" + std::string(subsection) + "'";
}

// Portals are the same address when they differ at most in their portal group tag.
std::string_view portal_address(std::string_view normal_portal) {
    return normal_portal.substr(0, normal_portal.find(','));
}

bool same_value(const key_def& key, std::string_view a, std::string_view b) {
    return key.type == value_type::portal ? portal_address(a) == portal_address(b) : a == b;
}

class unique_fd {
public:
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    [[nodiscard]] int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    // Closes now, reporting the error that a deferred close would swallow.
    int close() noexcept {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

private:
    int fd_;
};

error os_error(std::string_view what, const std::filesystem::path& path, int err) {
    auto code = (err == EACCES || err == EPERM) ? exit_code::permission_denied : exit_code::store_error;
    return {code, std::string(what) + " " + path.string() + ": " + std::strerror(err)};
}

struct file_contents {
    std::string text{};
    mode_t mode = 0;
};

// The file's text and mode, or nothing when it does not exist.
outcome<std::optional<file_contents>> read_file(const std::filesystem::path& path) {
    unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::optional<file_contents>{};
        return os_error("cannot open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return os_error("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode))
        return error{exit_code::store_error, path.string() + ": not a regular file"};
    if (static_cast<std::size_t>(st.st_size) > max_store_size)
        return error{exit_code::store_error, path.string() + ": larger than 16 MiB, not a store"};
    file_contents contents{.mode = st.st_mode & 07777};
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return os_error("cannot read", path, errno);
        if (n == 0)
            break;
        contents.text.append(buffer, static_cast<std::size_t>(n));
        if (contents.text.size() > max_store_size)
            return error{exit_code::store_error, path.string() + ": larger than 16 MiB, not a store"};
    }
    return std::optional<file_contents>{std::move(contents)};
}

std::filesystem::path directory_of(const std::filesystem::path& path) {
    auto dir = path.parent_path();
    return dir.empty() ? std::filesystem::path(".") : dir;
}

// The store's directory (/etc/iscsi) may not exist on a host that never had open-iscsi; create
// that one level, nothing above it.
status ensure_directory(const std::filesystem::path& path) {
    auto dir = directory_of(path);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return os_error("cannot create directory", dir, errno);
    return done{};
}

status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return os_error("cannot write", path, errno);
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return done{};
}

// A synced temporary file next to `path`, removed again unless kept.
class temp_file {
public:
    static outcome<std::unique_ptr<temp_file>> create(const std::filesystem::path& path,
                                                      std::string_view content, mode_t mode) {
        std::string name = path.string() + ".XXXXXX";
        unique_fd fd(::mkostemp(name.data(), O_CLOEXEC));
        if (!fd)
            return os_error("cannot create a temporary file beside", path, errno);
        auto file = std::unique_ptr<temp_file>(new temp_file(name));
        if (::fchmod(fd.get(), mode) != 0)
            return os_error("cannot set the mode of", name, errno);
        if (auto written = write_all(fd.get(), content, name); !written)
            return written.error_value();
        if (::fsync(fd.get()) != 0)
            return os_error("cannot sync", name, errno);
        if (fd.close() != 0)
            return os_error("cannot write", name, errno);
        return file;
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() {
        if (!kept_)
            ::unlink(name_.c_str());
    }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    void keep() noexcept { kept_ = true; }

private:
    explicit temp_file(std::string name) : name_(std::move(name)) {}
    std::string name_;
    bool kept_ = false;
};

status sync_directory(const std::filesystem::path& path) {
    auto dir = directory_of(path);
    unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0)
        return os_error("cannot sync directory", dir, errno);
    return done{};
}

// Replaces `path` with `content`: the old file stays intact until the rename.
status replace_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
    auto temp = temp_file::create(path, content, mode);
    if (!temp)
        return temp.error_value();
    if (::rename((*temp)->name().c_str(), path.c_str()) != 0)
        return os_error("cannot replace", path, errno);
    (*temp)->keep();
    return sync_directory(path);
}

// Creates `path` with `content` unless it exists; false when someone else created it first.
outcome<bool> create_file_exclusively(const std::filesystem::path& path, std::string_view content,
                                      mode_t mode) {
    auto temp = temp_file::create(path, content, mode);
    if (!temp)
        return temp.error_value();
    if (::link((*temp)->name().c_str(), path.c_str()) != 0) {
        if (errno == EEXIST)
            return false;
        return os_error("cannot create", path, errno);
    }
    if (auto synced = sync_directory(path); !synced)
        return synced.error_value();
    return true;
}

// The file a store path names: a symbolic link is followed, so the rename replaces the file it
// points to rather than the link.
std::filesystem::path final_target(std::filesystem::path path) {
    constexpr int max_links = 40; // as the kernel's path walk
    for (int i = 0; i < max_links; ++i) {
        std::error_code ec;
        auto target = std::filesystem::read_symlink(path, ec);
        if (ec)
            return path;
        path = target.is_absolute() ? target : path.parent_path() / target;
    }
    return path;
}

class file_lock {
public:
    static outcome<std::unique_ptr<file_lock>> exclusive(const std::filesystem::path& path) {
        auto lock_path = std::filesystem::path(path.string() + ".lock");
        auto lock = std::unique_ptr<file_lock>(
            new file_lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)));
        if (!lock->fd_)
            return os_error("cannot open lock file", lock_path, errno);
        while (::flock(lock->fd_.get(), LOCK_EX) != 0)
            if (errno != EINTR)
                return os_error("cannot lock", lock_path, errno);
        return lock;
    }

private:
    explicit file_lock(int fd) : fd_(fd) {}
    unique_fd fd_; // closing it releases the lock
};

// A store and what was on disk when it was read.
struct loaded_store {
    store contents;
    std::optional<file_contents> file;
};

outcome<loaded_store> load(const std::filesystem::path& path) {
    auto file = read_file(path);
    if (!file)
        return file.error_value();
    if (!*file)
        return loaded_store{store{}, std::nullopt};
    auto parsed = store::parse((*file)->text, path.string());
    if (!parsed)
        return parsed.error_value();
    if (parsed->has_secrets() && ((*file)->mode & group_other_bits) != 0) {
        char mode[16];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>((*file)->mode & 07777));
        return error{exit_code::store_error, path.string() + " holds CHAP secrets but has mode " + mode +
                                                 ": run 'chmod 600 " + path.string() + "'"};
    }
    return loaded_store{std::move(*parsed), std::move(*file)};
}

outcome<std::optional<std::string>> read_initiatorname_file(const std::filesystem::path& path) {
    auto file = read_file(path);
    if (!file)
        return file.error_value();
    if (!*file)
        return std::optional<std::string>{};
    std::string_view text = (*file)->text;
    for (std::size_t number = 1; !text.empty(); ++number) {
        auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        auto first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#')
            continue;
        line.remove_prefix(first);
        constexpr std::string_view prefix = "InitiatorName=";
        if (!line.starts_with(prefix))
            continue;
        line.remove_prefix(prefix.size());
        line = line.substr(0, line.find_last_not_of(" \t\r") + 1);
        auto name = iscsi::parse_name(line);
        if (!name)
            return error{exit_code::store_error, path.string() + ":" + std::to_string(number) +
                                                     ": InitiatorName: " + name.error().message()};
        return std::optional<std::string>{name->str()};
    }
    return error{exit_code::store_error, path.string() + ": no InitiatorName= line"};
}

} // namespace

outcome<std::string> normalise_subsection(section_kind kind, std::string_view subsection) {
    switch (kind) {
    case section_kind::initiator:
        if (!subsection.empty())
            return error{exit_code::usage, "[initiator] takes no name"};
        return std::string();
    case section_kind::target: {
        auto name = iscsi::parse_name(subsection);
        if (!name)
            return error{exit_code::usage,
                         "target name '" + printable(subsection) + "': " + name.error().message()};
        return name->str();
    }
    case section_kind::discovery: {
        auto portal = iscsi::parse_portal(subsection);
        if (!portal)
            return error{exit_code::usage,
                         "discovery portal '" + printable(subsection) + "': " + portal.error().message()};
        return portal->to_string();
    }
    }
    return error{exit_code::usage, "unknown section"};
}

outcome<store> store::parse(std::string_view text, std::string_view file) {
    store s;
    std::size_t number = 0;
    auto fail = [&](std::size_t at, std::string_view message) {
        return error{exit_code::store_error,
                     std::string(file) + ":" + std::to_string(at) + ": " + std::string(message)};
    };

    // The section being read, for the checks that need all of it.
    struct current_section {
        std::optional<section_kind> kind{}; // empty for sections this version does not know
        std::string subsection{};
        std::size_t line = 0;
        std::map<std::string, std::size_t> first_line_of_key{};
        std::vector<std::pair<std::string, std::size_t>> repeated_values{};
    };
    std::optional<current_section> section;
    std::map<std::pair<section_kind, std::string>, std::size_t> first_line_of_section;

    auto finish_section = [&]() -> std::optional<error> {
        if (!section || !section->kind)
            return std::nullopt;
        for (const key_def& key : key_table())
            if (key.section == *section->kind && key.required &&
                !section->first_line_of_key.contains(std::string(key.name)))
                return fail(section->line, describe_section(*section->kind, section->subsection) +
                                               " has no " + std::string(key.name));
        return std::nullopt;
    };

    while (!text.empty()) {
        ++number;
        auto newline = text.find('\n');
        line l;
        l.text = std::string(text.substr(0, newline));
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);

        std::string_view body = l.text;
        if (body.ends_with('\r'))
            body.remove_suffix(1);
        auto first = body.find_first_not_of(" \t");
        std::string_view rest = first == std::string_view::npos ? std::string_view{} : body.substr(first);
        if (rest.empty() || rest[0] == ';' || rest[0] == '#') {
            s.lines_.push_back(std::move(l));
            continue;
        }

        if (rest[0] == '[') {
            auto header = parse_header(rest);
            if (!header)
                return fail(number, header.error_value().message);
            if (auto missing = finish_section())
                return *missing;
            section = current_section{.kind = parse_section_name(header->word), .line = number};
            if (section->kind) {
                section_kind kind = *section->kind;
                if (kind != section_kind::initiator && !header->subsection)
                    return fail(number, "[" + header->word + "] needs a name: [" + header->word + " \"" +
                                            (kind == section_kind::target ? "IQN" : "PORTAL") + "\"]");
                auto sub = normalise_subsection(kind, header->subsection.value_or(""));
                if (!sub)
                    return fail(number, sub.error_value().message);
                section->subsection = *sub;
                auto [it, inserted] = first_line_of_section.try_emplace({kind, *sub}, number);
                if (!inserted)
                    return fail(number, "duplicate section: " + describe_section(kind, *sub) +
                                            " (first at line " + std::to_string(it->second) + ")");
                if (kind != section_kind::initiator)
                    header->subsection = *sub;
            }
            l.kind = line_kind::header;
            l.word = std::move(header->word);
            l.subsection = std::move(header->subsection);
            s.lines_.push_back(std::move(l));
            continue;
        }

        auto entry = parse_entry(rest);
        if (!entry)
            return fail(number, entry.error_value().message);
        if (!section)
            return fail(number, "key '" + entry->key + "' comes before any [section]");
        if (section->kind) {
            const key_def* key = find_key(*section->kind, entry->key);
            if (!key)
                return fail(number, "unknown key '" + entry->key + "' in [" +
                                        std::string(section_name(*section->kind)) + "]");
            auto value = normalise_value(*key, entry->value);
            if (!value)
                return fail(number, value.error_value().message);
            auto [it, inserted] = section->first_line_of_key.try_emplace(entry->key, number);
            if (!inserted && !key->repeatable)
                return fail(number, "duplicate key '" + entry->key + "' (first at line " +
                                        std::to_string(it->second) + ")");
            if (key->repeatable) {
                for (const auto& [seen, at] : section->repeated_values)
                    if (same_value(*key, seen, *value))
                        return fail(number, "duplicate " + entry->key + " " + *value + " (first at line " +
                                                std::to_string(at) + ")");
                section->repeated_values.emplace_back(*value, number);
            }
            entry->value = std::move(*value);
        }
        l.kind = line_kind::entry;
        l.key = std::move(entry->key);
        l.value = std::move(entry->value);
        l.indent = std::string(body.substr(0, first));
        l.comment = std::move(entry->comment);
        s.lines_.push_back(std::move(l));
    }
    if (auto missing = finish_section())
        return *missing;
    return s;
}

std::string store::text() const {
    std::string out;
    for (const line& l : lines_)
        out += l.text + '\n';
    return out;
}

std::vector<store_section> store::sections() const {
    std::vector<store_section> out;
    for (const line& l : lines_) {
        if (l.kind == line_kind::header)
            out.push_back({l.word, l.subsection, {}});
        else if (l.kind == line_kind::entry)
            out.back().entries.push_back({l.key, l.value});
    }
    return out;
}

bool store::has_secrets() const {
    std::optional<section_kind> kind;
    for (const line& l : lines_) {
        if (l.kind == line_kind::header)
            kind = parse_section_name(l.word);
        else if (l.kind == line_kind::entry && kind)
            if (const key_def* key = find_key(*kind, l.key); key && key->secret)
                return true;
    }
    return false;
}

std::optional<store::span> store::find(section_kind kind, std::string_view subsection) const {
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        const line& l = lines_[i];
        if (l.kind != line_kind::header || l.word != section_name(kind) ||
            l.subsection.value_or("") != subsection)
            continue;
        std::size_t end = i + 1;
        while (end < lines_.size() && lines_[end].kind != line_kind::header)
            ++end;
        return span{i, end};
    }
    return std::nullopt;
}

bool store::has_section(section_kind kind, std::string_view subsection) const {
    return find(kind, subsection).has_value();
}

std::vector<std::string> store::subsections(section_kind kind) const {
    std::vector<std::string> out;
    for (const line& l : lines_)
        if (l.kind == line_kind::header && l.word == section_name(kind))
            out.push_back(l.subsection.value_or(""));
    return out;
}

std::vector<std::string> store::values(section_kind kind, std::string_view subsection,
                                       std::string_view key) const {
    std::vector<std::string> out;
    if (auto section = find(kind, subsection))
        for (std::size_t i = section->header + 1; i < section->end; ++i)
            if (lines_[i].kind == line_kind::entry && lines_[i].key == key)
                out.push_back(lines_[i].value);
    return out;
}

std::optional<std::string> store::value(section_kind kind, std::string_view subsection,
                                        std::string_view key) const {
    auto all = values(kind, subsection, key);
    if (all.empty())
        return std::nullopt;
    return all.front();
}

outcome<store::span> store::find_or_create(section_kind kind, std::string_view subsection) {
    if (auto section = find(kind, subsection))
        return *section;
    if (kind != section_kind::initiator)
        return error{exit_code::not_found, "no " + describe_section(kind, subsection) + " in the store"};
    if (auto added = add_section(kind, subsection); !added)
        return added.error_value();
    return *find(kind, subsection);
}

outcome<const key_def*> store::known_key(section_kind kind, std::string_view key) const {
    const key_def* def = find_key(kind, key);
    if (!def)
        return error{exit_code::usage,
                     "unknown key '" + std::string(key) + "' for [" + std::string(section_name(kind)) + "]"};
    return def;
}

status store::add_section(section_kind kind, std::string_view subsection) {
    if (find(kind, subsection))
        return error{exit_code::already_exists, describe_section(kind, subsection) + " already exists"};
    line header;
    header.kind = line_kind::header;
    header.text = render_header(kind, subsection);
    header.word = std::string(section_name(kind));
    if (kind != section_kind::initiator)
        header.subsection = std::string(subsection);
    // [initiator] goes first, as in the documented layout; other sections are appended.
    auto first_header = std::ranges::find(lines_, line_kind::header, &line::kind);
    if (kind == section_kind::initiator && first_header != lines_.end()) {
        auto at = lines_.insert(first_header, std::move(header));
        lines_.insert(at + 1, line{});
        return done{};
    }
    if (!lines_.empty() && !is_blank_or_comment(lines_.back().text))
        lines_.push_back(line{});
    lines_.push_back(std::move(header));
    return done{};
}

status store::remove_section(section_kind kind, std::string_view subsection) {
    auto section = find(kind, subsection);
    if (!section)
        return error{exit_code::not_found, "no " + describe_section(kind, subsection) + " in the store"};
    // The section ends at its last key; comments after it describe whatever follows.
    std::size_t last = section->header;
    for (std::size_t i = section->header + 1; i < section->end; ++i)
        if (lines_[i].kind == line_kind::entry)
            last = i;
    auto begin = lines_.begin() + static_cast<std::ptrdiff_t>(section->header);
    auto next = lines_.erase(begin, lines_.begin() + static_cast<std::ptrdiff_t>(last + 1));
    // Leave one blank line where the section sat between two, none at either end of the file.
    bool at_start = next == lines_.begin();
    bool blank_before = !at_start && (next - 1)->text.empty();
    bool blank_after = next != lines_.end() && next->text.empty();
    if (at_start && blank_after)
        lines_.erase(next);
    else if (blank_before && (blank_after || next == lines_.end()))
        lines_.erase(next - 1);
    return done{};
}

void store::insert_entry(const span& section, std::string_view key, std::string value) {
    std::size_t last_entry = section.header, last_same_key = 0;
    for (std::size_t i = section.header + 1; i < section.end; ++i) {
        if (lines_[i].kind != line_kind::entry)
            continue;
        last_entry = i;
        if (lines_[i].key == key)
            last_same_key = i;
    }
    line entry;
    entry.kind = line_kind::entry;
    entry.key = std::string(key);
    entry.value = std::move(value);
    if (last_entry != section.header)
        entry.indent = lines_[last_entry].indent;
    entry.text = entry.indent + entry.key + " = " + render_value(entry.value);
    std::size_t at = (last_same_key != 0 ? last_same_key : last_entry) + 1;
    lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(at), std::move(entry));
}

status store::set(section_kind kind, std::string_view subsection, std::string_view key,
                  std::string_view value) {
    auto def = known_key(kind, key);
    if (!def)
        return def.error_value();
    if ((*def)->repeatable)
        return error{exit_code::usage,
                     std::string(key) + " takes several values: add or remove them one by one"};
    auto normal = normalise_value(**def, value);
    if (!normal)
        return normal.error_value();
    auto section = find_or_create(kind, subsection);
    if (!section)
        return section.error_value();
    for (std::size_t i = section->header + 1; i < section->end; ++i) {
        line& l = lines_[i];
        if (l.kind == line_kind::entry && l.key == key) {
            if (l.value != *normal) {
                l.value = std::move(*normal);
                l.text = l.indent + l.key + " = " + render_value(l.value) + l.comment;
            }
            return done{};
        }
    }
    insert_entry(*section, key, std::move(*normal));
    return done{};
}

status store::unset(section_kind kind, std::string_view subsection, std::string_view key) {
    auto def = known_key(kind, key);
    if (!def)
        return def.error_value();
    if ((*def)->required)
        return error{exit_code::usage,
                     "every " + std::string(section_name(kind)) + " needs a " + std::string(key)};
    auto section = find(kind, subsection);
    if (!section)
        return kind == section_kind::initiator
                   ? status(done{})
                   : status(error{exit_code::not_found,
                                  "no " + describe_section(kind, subsection) + " in the store"});
    auto begin = lines_.begin() + static_cast<std::ptrdiff_t>(section->header + 1);
    auto end = lines_.begin() + static_cast<std::ptrdiff_t>(section->end);
    lines_.erase(
        std::remove_if(begin, end, [&](const line& l) { return l.kind == line_kind::entry && l.key == key; }),
        end);
    return done{};
}

status store::add_value(section_kind kind, std::string_view subsection, std::string_view key,
                        std::string_view value) {
    auto def = known_key(kind, key);
    if (!def)
        return def.error_value();
    if (!(*def)->repeatable)
        return error{exit_code::usage, std::string(key) + " takes one value"};
    auto normal = normalise_value(**def, value);
    if (!normal)
        return normal.error_value();
    auto section = find_or_create(kind, subsection);
    if (!section)
        return section.error_value();
    for (const auto& existing : values(kind, subsection, key))
        if (same_value(**def, existing, *normal))
            return error{exit_code::already_exists, describe_section(kind, subsection) + " already has " +
                                                        std::string(key) + " " + existing};
    insert_entry(*section, key, std::move(*normal));
    return done{};
}

status store::remove_value(section_kind kind, std::string_view subsection, std::string_view key,
                           std::string_view value) {
    auto def = known_key(kind, key);
    if (!def)
        return def.error_value();
    auto normal = normalise_value(**def, value);
    if (!normal)
        return normal.error_value();
    auto section = find(kind, subsection);
    if (!section)
        return error{exit_code::not_found, "no " + describe_section(kind, subsection) + " in the store"};
    // A portal given without a group tag matches the stored one whatever its tag.
    bool match_address = (*def)->type == value_type::portal && normal->find(',') == std::string::npos;
    std::size_t count = 0, found = 0;
    for (std::size_t i = section->header + 1; i < section->end; ++i) {
        const line& l = lines_[i];
        if (l.kind != line_kind::entry || l.key != key)
            continue;
        ++count;
        if (l.value == *normal || (match_address && same_value(**def, l.value, *normal)))
            found = i;
    }
    if (found == 0)
        return error{exit_code::not_found,
                     describe_section(kind, subsection) + " has no " + std::string(key) + " " + *normal};
    if ((*def)->required && count == 1)
        return error{exit_code::usage, *normal + " is the last " + std::string(key) + " of " +
                                           describe_section(kind, subsection) + ": remove the " +
                                           std::string(section_name(kind)) + " instead"};
    lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(found));
    return done{};
}

std::vector<resolved_key> resolve(const store& s, section_kind kind, std::string_view subsection,
                                  std::string_view initiator_name) {
    std::vector<resolved_key> out;
    for (const key_def& key : key_table()) {
        if (key.section != kind)
            continue;
        resolved_key r{.key = &key, .values = s.values(kind, subsection, key.name)};
        bool credential =
            kind != section_kind::initiator && (key.name == "chap-name" || key.name == "chap-secret");
        if (!r.values.empty()) {
            r.origin = value_origin::set;
        } else if (auto shared = s.value(section_kind::initiator, "", key.name); credential && shared) {
            r.values = {*shared};
            r.origin = value_origin::inherited;
        } else if (key.name == "chap-name" && !initiator_name.empty()) {
            r.values = {std::string(initiator_name)};
            r.origin = value_origin::computed;
        } else if (!key.default_value.empty()) {
            r.values = {std::string(key.default_value)};
            r.origin = value_origin::default_value;
        }
        out.push_back(std::move(r));
    }
    return out;
}

outcome<store> load_store(const std::filesystem::path& path) {
    auto loaded = load(path);
    if (!loaded)
        return loaded.error_value();
    return std::move(loaded->contents);
}

status update_store(const std::filesystem::path& link, const std::function<status(store&)>& edit) {
    auto path = final_target(link);
    if (auto dir = ensure_directory(path); !dir)
        return dir;
    auto lock = file_lock::exclusive(path);
    if (!lock)
        return lock.error_value();
    auto loaded = load(path);
    if (!loaded)
        return loaded.error_value();
    if (auto edited = edit(loaded->contents); !edited)
        return edited;
    std::string text = loaded->contents.text();
    if (loaded->file && loaded->file->text == text)
        return done{};
    mode_t mode = loaded->file ? loaded->file->mode : 0600;
    if (loaded->contents.has_secrets())
        mode &= ~group_other_bits;
    return replace_file(path, text, mode);
}

outcome<std::string> read_initiator_name(const store& s, const std::filesystem::path& initiatorname_file) {
    if (auto name = s.value(section_kind::initiator, "", "name"))
        return *name;
    auto from_file = read_initiatorname_file(initiatorname_file);
    if (!from_file)
        return from_file.error_value();
    if (!*from_file)
        return error{exit_code::not_found, "no initiator name: " + initiatorname_file.string() +
                                               " is missing and [initiator] sets no name"};
    return **from_file;
}

outcome<std::string> ensure_initiator_name(const store& s, const std::filesystem::path& initiatorname_file) {
    auto name = read_initiator_name(s, initiatorname_file);
    if (name || name.error_value().code != exit_code::not_found)
        return name;
    auto generated = iscsi::generate_initiator_name();
    if (!generated)
        return error{exit_code::failure, "cannot generate an initiator name: " + generated.error().message()};
    std::string content = "## The iSCSI name of this host, written by iscsictl and shared with open-iscsi.\n"
                          "## Targets grant access by this name: changing it can lock the host out.\n"
                          "InitiatorName=" +
                          generated->str() + "\n";
    if (auto dir = ensure_directory(initiatorname_file); !dir)
        return dir.error_value();
    auto created = create_file_exclusively(initiatorname_file, content, 0644);
    if (!created)
        return created.error_value();
    if (!*created) // another process created it first: use its name
        return read_initiator_name(s, initiatorname_file);
    return generated->str();
}

} // namespace iscsictl
