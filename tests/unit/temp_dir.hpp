// SPDX-License-Identifier: GPL-2.0-or-later
// A test's private directory: created fresh under the temporary directory (mkdtemp, so parallel test
// binaries never share one) and removed with all it holds when the object goes.
#pragma once

#include <cerrno>
#include <filesystem>
#include <stdlib.h>
#include <string>
#include <string_view>
#include <system_error>

namespace test {

class temp_dir {
public:
    // `prefix` names the directory (PREFIX-XXXXXX) so a leftover one says which test left it.
    explicit temp_dir(std::string_view prefix) {
        std::string name =
            (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
        if (!::mkdtemp(name.data()))
            throw std::system_error(errno, std::generic_category(), "mkdtemp " + name);
        path_ = name;
    }
    ~temp_dir() {
        std::error_code ignored;
        // A test may have taken its own permissions away to provoke an error.
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ignored);
        std::filesystem::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

} // namespace test
