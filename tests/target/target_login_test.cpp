// SPDX-License-Identifier: GPL-2.0-or-later
// The login engine against tgtd (Debian package tgt), a target no one here wrote, on 127.0.0.1:
// discovery, login and logout, CHAP and mutual CHAP, bad credentials, unknown targets, digests,
// redirects.
//
// The suite starts its own tgtd on a free loopback port with a private control port, configures it
// with tgtadm, and always shuts it down the way tgtd requires (delete every target with --force,
// then delete the system): tgtd ignores SIGTERM while it has targets. Should this process die
// first, the kernel kills tgtd (PR_SET_PDEATHSIG). A tgtd that does not start fails every test.
#include "iscsi/engine.hpp"

#include <arpa/inet.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using iscsi::errc;
using namespace std::chrono_literals;

const std::string initiator_name = "iqn.2026-11.org.example.test:initiator";
const std::string plain_target = "iqn.2026-11.org.example.test:plain";
const std::string chap_target = "iqn.2026-11.org.example.test:chap";
const std::string mutual_target = "iqn.2026-11.org.example.test:mutual";
const std::string moved_target = "iqn.2026-11.org.example.test:moved";
const std::string initiator_user = "host-user";
const std::string initiator_secret = "initiator-secret-1";
const std::string target_user = "target-user";
const std::string target_secret = "target-secret-22";

// Runs a program to completion with stdout and stderr appended to `log`; its exit status, or -1.
int run(const std::vector<std::string>& argv, const fs::path& log, bool die_with_parent = false,
        pid_t* started = nullptr) {
    const pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (die_with_parent)
            prctl(PR_SET_PDEATHSIG, SIGKILL);
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0)
            dup2(null, STDIN_FILENO);
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    if (started != nullptr) {
        *started = pid;
        return 0;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string tail(const fs::path& log) {
    std::ifstream in(log);
    std::stringstream s;
    s << in.rdbuf();
    auto text = s.str();
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

std::uint16_t free_loopback_port() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    std::uint16_t port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

// One tgtd for the whole suite.
class tgtd {
public:
    tgtd() : dir_(fs::temp_directory_path() / ("iscsi-target-test-" + std::to_string(getpid()))) {
        fs::create_directories(dir_);
        log_ = dir_ / "tgtd.log";
        error_ = start();
    }

    tgtd(const tgtd&) = delete;
    tgtd& operator=(const tgtd&) = delete;

    ~tgtd() = default; // stop() is called explicitly so that its failure is reported

    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::uint16_t second_port() const { return second_port_; }
    [[nodiscard]] iscsi::portal portal() const {
        return *iscsi::parse_portal("127.0.0.1:" + std::to_string(port_));
    }

    // Shuts tgtd down; returns what went wrong, if anything.
    std::string stop() {
        if (pid_ <= 0)
            return {};
        std::string problem;
        for (int tid : tids_)
            if (admin({"--op", "delete", "--mode", "target", "--tid", std::to_string(tid), "--force"}) != 0)
                problem += "could not delete target " + std::to_string(tid) + "; ";
        if (admin({"--op", "delete", "--mode", "system"}) != 0)
            problem += "tgtadm --op delete --mode system failed; ";
        bool exited = false;
        for (int i = 0; i < 100 && !exited; ++i) {
            int status = 0;
            exited = waitpid(pid_, &status, WNOHANG) == pid_;
            if (!exited)
                std::this_thread::sleep_for(100ms);
        }
        if (!exited) {
            problem += "tgtd did not exit; killed it";
            kill(pid_, SIGKILL); // our own child, by its PID
            waitpid(pid_, nullptr, 0);
        }
        pid_ = -1;
        std::error_code ignored;
        fs::remove(control_socket(), ignored);
        fs::remove(control_socket().string() + ".lock", ignored);
        if (problem.empty() && std::getenv("TGTD_DEBUG") == nullptr)
            fs::remove_all(dir_, ignored);
        else
            problem += " (log: " + log_.string() + ")";
        return problem;
    }

private:
    [[nodiscard]] fs::path control_socket() const {
        return fs::path("/var/run/tgtd") / ("socket." + std::to_string(control_port_));
    }

    int admin(std::vector<std::string> args) {
        std::vector<std::string> argv{tgtadm_, "-C", std::to_string(control_port_), "--lld", "iscsi"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, log_);
    }

    std::string start() {
        for (const auto* path : {"/usr/sbin/tgtd", "/sbin/tgtd"})
            if (fs::exists(path))
                tgtd_ = path;
        for (const auto* path : {"/usr/sbin/tgtadm", "/sbin/tgtadm"})
            if (fs::exists(path))
                tgtadm_ = path;
        if (tgtd_.empty() || tgtadm_.empty())
            return "tgtd or tgtadm not installed (Debian package tgt)";
        port_ = free_loopback_port();
        if (port_ == 0)
            return "no free port on 127.0.0.1";
        // A control port no other tgtd uses: tgtd names its management socket after it.
        for (control_port_ = 20000 + getpid() % 10000; fs::exists(control_socket()); ++control_port_) {
        }
        std::vector<std::string> argv{tgtd_,     "-f",
                                      "-C",      std::to_string(control_port_),
                                      "--iscsi", "portal=127.0.0.1:" + std::to_string(port_)};
        if (std::getenv("TGTD_DEBUG") !=
            nullptr) // keeps tgtd's debug log in the directory printed at the end
            argv.insert(argv.end(), {"-d", "1"});
        run(argv, log_, true, &pid_);
        if (pid_ <= 0)
            return "cannot start tgtd";
        bool ready = false;
        for (int i = 0; i < 100 && !ready; ++i) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return "tgtd exited at start: " + tail(log_);
            }
            ready = admin({"--op", "show", "--mode", "sys"}) == 0;
            if (!ready)
                std::this_thread::sleep_for(100ms);
        }
        if (!ready)
            return "tgtd did not answer tgtadm: " + tail(log_);
        return configure();
    }

    std::string add_target(int tid, const std::string& name) {
        const auto t = std::to_string(tid);
        if (admin({"--op", "new", "--mode", "target", "--tid", t, "-T", name}) != 0)
            return "cannot create target " + name;
        tids_.push_back(tid);
        if (admin({"--op", "new", "--mode", "logicalunit", "--tid", t, "--lun", "1", "--bstype", "null",
                   "--backing-store", "/dev/null"}) != 0)
            return "cannot create the LUN of " + name;
        if (admin({"--op", "bind", "--mode", "target", "--tid", t, "-I", "ALL"}) != 0)
            return "cannot open " + name + " to all initiators";
        return {};
    }

    std::string configure() {
        for (const auto& [tid, name] : {std::pair{1, plain_target}, std::pair{2, chap_target},
                                        std::pair{3, mutual_target}, std::pair{4, moved_target}})
            if (auto e = add_target(tid, name); !e.empty())
                return e + ": " + tail(log_);
        const bool accounts =
            admin({"--op", "new", "--mode", "account", "--user", initiator_user, "--password",
                   initiator_secret}) == 0 &&
            admin({"--op", "new", "--mode", "account", "--user", target_user, "--password", target_secret}) ==
                0 &&
            admin({"--op", "bind", "--mode", "account", "--tid", "2", "--user", initiator_user}) == 0 &&
            admin({"--op", "bind", "--mode", "account", "--tid", "3", "--user", initiator_user}) == 0 &&
            admin({"--op", "bind", "--mode", "account", "--tid", "3", "--user", target_user, "--outgoing"}) ==
                0;
        if (!accounts)
            return "cannot set up the CHAP accounts: " + tail(log_);
        // tgtd answers None to a digest offer unless the target allows CRC32C.
        const bool digests = admin({"--op", "update", "--mode", "target", "--tid", "1", "-n", "HeaderDigest",
                                    "-v", "CRC32C,None"}) == 0 &&
                             admin({"--op", "update", "--mode", "target", "--tid", "1", "-n", "DataDigest",
                                    "-v", "CRC32C,None"}) == 0;
        if (!digests)
            return "cannot allow digests: " + tail(log_);
        // Target 4 sends logins to a second portal. tgtd redirects no initiator that connects from
        // the redirect address itself, so the address is 127.0.0.1 in its IPv4-mapped IPv6 form:
        // still 127.0.0.1 on the wire, but not equal to the initiator's address for tgtd.
        second_port_ = free_loopback_port();
        const bool redirect = second_port_ != 0 && second_port_ != port_ &&
                              admin({"--op", "new", "--mode", "portal", "--param",
                                     "portal=127.0.0.1:" + std::to_string(second_port_)}) == 0 &&
                              admin({"--op", "update", "--mode", "target", "--tid", "4", "-n",
                                     "RedirectAddress", "-v", "[::ffff:127.0.0.1]"}) == 0 &&
                              admin({"--op", "update", "--mode", "target", "--tid", "4", "-n", "RedirectPort",
                                     "-v", std::to_string(second_port_)}) == 0 &&
                              admin({"--op", "update", "--mode", "target", "--tid", "4", "-n",
                                     "RedirectReason", "-v", "Temporary"}) == 0;
        if (!redirect)
            return "cannot configure the redirect: " + tail(log_);
        return {};
    }

    fs::path dir_;
    fs::path log_;
    std::string tgtd_;
    std::string tgtadm_;
    std::string error_;
    pid_t pid_ = -1;
    int control_port_ = 0;
    std::uint16_t port_ = 0;
    std::uint16_t second_port_ = 0;
    std::vector<int> tids_;
};

// Runs one engine coroutine to completion. One io_context for the whole run: a socket must not
// outlive the context it was opened on.
asio::io_context io;

template <class T>
T run_engine(asio::awaitable<T> op) {
    io.restart();
    std::optional<T> out;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(op)); }, asio::detached);
    io.run();
    return std::move(*out);
}

class TargetTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { target = std::make_unique<tgtd>(); }
    static void TearDownTestSuite() {
        const auto problem = target->stop();
        target.reset();
        // A tgtd that would not stop is a failure of the suite.
        if (!problem.empty())
            ADD_FAILURE() << "stopping tgtd: " << problem;
    }

    void SetUp() override { ASSERT_EQ(target->error(), "") << "tgtd is not running"; }

    static iscsi::login_config config(const std::string& target_name) {
        iscsi::login_config c;
        c.identity.initiator_name = initiator_name;
        c.identity.target_name = target_name;
        auto isid = iscsi::make_random_isid(0);
        EXPECT_TRUE(isid);
        c.isid = *isid;
        c.cmd_sn = 1;
        return c;
    }

    // tgtd's chap.c reads CHAP_A=7 as SHA-1, so 7 is never offered to it.
    static void use_chap(iscsi::login_config& c, const std::string& secret) {
        c.auth = iscsi::auth_policy::chap;
        c.chap.name = initiator_user;
        c.chap.secret = secret;
        c.chap.algorithms = {iscsi::chap_algorithm::sha3_256, iscsi::chap_algorithm::sha1,
                             iscsi::chap_algorithm::md5};
    }

    static void use_mutual_chap(iscsi::login_config& c, const std::string& expected_target_secret) {
        use_chap(c, initiator_secret);
        c.auth = iscsi::auth_policy::mutual_chap;
        c.chap.target_name = target_user;
        c.chap.target_secret = expected_target_secret;
    }

    static iscsi::net::engine_options quick() {
        iscsi::net::engine_options o;
        o.connect_timeout = 5s;
        o.io_timeout = 5s;
        return o;
    }

    // Logs in, checks what the kernel would get, and logs out.
    static void login_and_logout(const iscsi::login_config& c) {
        auto s = run_engine(iscsi::net::login(target->portal(), c, quick()));
        ASSERT_TRUE(s) << s.failure().message;
        EXPECT_NE(s->login.tsih, 0);
        EXPECT_EQ(s->login.isid, c.isid);
        EXPECT_EQ(s->login.parameters.session.target_portal_group_tag, 1);
        EXPECT_EQ(s->login.cmd_sn, 1U);
        EXPECT_FALSE(s->permanent_redirect);
        auto out = run_engine(iscsi::net::logout(*s, quick()));
        ASSERT_TRUE(out) << out.failure().message;
        EXPECT_FALSE(s->socket.is_open());
    }

    static inline std::unique_ptr<tgtd> target;
};

TEST_F(TargetTest, DiscoveryListsEveryTarget) {
    auto d = run_engine(iscsi::net::discover(target->portal(), config(""), quick()));
    ASSERT_TRUE(d) << d.failure().message;
    std::vector<std::string> names;
    for (const auto& t : d->targets.targets) {
        names.push_back(t.name.str());
        ASSERT_EQ(t.portals.size(), 1U) << t.name.str();
        EXPECT_EQ(t.portals[0].host, "127.0.0.1");
        EXPECT_EQ(t.portals[0].port, target->port());
        EXPECT_EQ(t.portals[0].tpgt, 1);
    }
    std::ranges::sort(names);
    EXPECT_EQ(names, (std::vector<std::string>{chap_target, moved_target, mutual_target, plain_target}));
    EXPECT_TRUE(d->targets.skipped.empty());
}

TEST_F(TargetTest, LoginAndLogoutWithoutAuthentication) {
    login_and_logout(config(plain_target));
}

TEST_F(TargetTest, SessionParametersComeFromTheNegotiation) {
    auto s = run_engine(iscsi::net::login(target->portal(), config(plain_target), quick()));
    ASSERT_TRUE(s) << s.failure().message;
    const auto& p = s->login.parameters;
    EXPECT_EQ(p.connection.auth, iscsi::auth_method::none);
    EXPECT_EQ(p.session.error_recovery_level, 0U);
    EXPECT_GE(p.connection.max_send_data_segment_length, 512U);
    EXPECT_LE(p.session.first_burst_length, p.session.max_burst_length);
    EXPECT_TRUE(run_engine(iscsi::net::logout(*s, quick())));
}

TEST_F(TargetTest, ChapLogin) {
    auto c = config(chap_target);
    use_chap(c, initiator_secret);
    login_and_logout(c);
}

TEST_F(TargetTest, ChapWithMd5Only) {
    auto c = config(chap_target);
    use_chap(c, initiator_secret);
    c.chap.algorithms = {iscsi::chap_algorithm::md5};
    c.chap.encoding = iscsi::binary_encoding::base64;
    login_and_logout(c);
}

TEST_F(TargetTest, WrongChapSecretIsAnAuthenticationError) {
    auto c = config(chap_target);
    use_chap(c, "not-the-secret");
    auto s = run_engine(iscsi::net::login(target->portal(), c, quick()));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), errc::authentication_failed);
    EXPECT_EQ(s.failure().message, "authentication failed");
    EXPECT_EQ(s.failure().status, ISCSI_LOGIN_STATUS_AUTH_FAILED);
}

TEST_F(TargetTest, NoCredentialsForAChapTargetIsRefused) {
    auto s = run_engine(iscsi::net::login(target->portal(), config(chap_target), quick()));
    ASSERT_FALSE(s);
    EXPECT_TRUE(s.error() == errc::authentication_failed || s.error() == errc::negotiation_failed)
        << s.failure().message;
}

TEST_F(TargetTest, MutualChapLogin) {
    auto c = config(mutual_target);
    use_mutual_chap(c, target_secret);
    login_and_logout(c);
}

TEST_F(TargetTest, MutualChapWithTheWrongTargetSecretIsRefused) {
    auto c = config(mutual_target);
    use_mutual_chap(c, "another-target-secret");
    auto s = run_engine(iscsi::net::login(target->portal(), c, quick()));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), errc::authentication_failed);
    EXPECT_EQ(s.failure().cause, iscsi::chap_errc::target_response_mismatch);
}

TEST_F(TargetTest, UnknownTargetIsNotFound) {
    auto s = run_engine(
        iscsi::net::login(target->portal(), config("iqn.2026-11.org.example.test:nothing"), quick()));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), errc::login_rejected);
    EXPECT_EQ(s.failure().message, "target not found");
    EXPECT_EQ(s.failure().status, ISCSI_LOGIN_STATUS_NOT_FOUND);
}

TEST_F(TargetTest, HeaderAndDataDigestsNegotiated) {
    auto c = config(plain_target);
    c.preferences.header_digest = {iscsi::digest_type::crc32c};
    c.preferences.data_digest = {iscsi::digest_type::crc32c};
    auto s = run_engine(iscsi::net::login(target->portal(), c, quick()));
    ASSERT_TRUE(s) << s.failure().message;
    EXPECT_EQ(s->login.parameters.connection.header_digest, iscsi::digest_type::crc32c);
    EXPECT_EQ(s->login.parameters.connection.data_digest, iscsi::digest_type::crc32c);
    EXPECT_TRUE(s->digests.header);
    EXPECT_TRUE(s->digests.data);
    // The logout exchange runs with both digests: tgtd checks ours, we check its.
    auto out = run_engine(iscsi::net::logout(*s, quick()));
    EXPECT_TRUE(out) << out.failure().message;
}

TEST_F(TargetTest, RedirectsAreFollowedUpToTheLimit) {
    // Arriving at the second portal from 127.0.0.1, the login is redirected again (for tgtd the
    // initiator is not at the redirect address), so the engine follows until its limit.
    auto options = quick();
    options.max_redirects = 2;
    auto s = run_engine(iscsi::net::login(target->portal(), config(moved_target), options));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), errc::target_moved);
    EXPECT_EQ(s.failure().message,
              "target moved temporarily to [::ffff:127.0.0.1]:" + std::to_string(target->second_port()) +
                  " (not followed: 2 redirects already)");
}

TEST_F(TargetTest, RedirectsAreBounded) {
    auto options = quick();
    options.max_redirects = 0;
    auto s = run_engine(iscsi::net::login(target->portal(), config(moved_target), options));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), errc::target_moved);
    ASSERT_TRUE(s.failure().redirect);
    EXPECT_EQ(s.failure().redirect->address.host, "::ffff:127.0.0.1");
    EXPECT_EQ(s.failure().redirect->address.port, target->second_port());
    EXPECT_FALSE(s.failure().redirect->permanent);
    EXPECT_EQ(s.failure().message,
              "target moved temporarily to [::ffff:127.0.0.1]:" + std::to_string(target->second_port()) +
                  " (not followed: 0 redirects already)");
}

TEST_F(TargetTest, ClosedPortIsAConnectionError) {
    auto closed = target->portal();
    closed.port = free_loopback_port();
    auto s = run_engine(iscsi::net::login(closed, config(plain_target), quick()));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), std::errc::connection_refused) << s.failure().message;
}

} // namespace
