#include "vm/qmp.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "vm/qmp_testing.h"

namespace cxlsim::vm {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::FakeServer;
using testing::Pair;
using testing::Session;

TEST(Qmp, NegotiatesThenReturnsTheCommandsResult) {
  json seen;
  {
    Session s([&](FakeServer& srv) {
      srv.greet_and_negotiate();
      seen = srv.request();
      srv.reply(seen, {{"status", "running"}});
    });
    json r = s.qmp->execute("query-status", {{"x", 1}});
    EXPECT_EQ(r["status"], "running");
  }
  EXPECT_EQ(seen["execute"], "query-status");
  EXPECT_EQ(seen["arguments"]["x"], 1);
  EXPECT_TRUE(seen.contains("id"));
}

TEST(Qmp, CommandWithoutArgumentsSendsNone) {
  json seen;
  {
    Session s([&](FakeServer& srv) {
      srv.greet_and_negotiate();
      seen = srv.request();
      srv.reply(seen, json::array());
    });
    EXPECT_EQ(s.qmp->execute("query-pci"), json::array());
  }
  EXPECT_FALSE(seen.contains("arguments"));
}

TEST(Qmp, MessagesSplitAcrossReadsAndSeveralPerReadAreFramed) {
  Session s([](FakeServer& srv) {
    srv.write_byte_by_byte(R"({"QMP": {"version": {}, "capabilities": []}})"
                           "\r\n");
    json caps = srv.request();
    // An event and the answer in one write.
    srv.write(FakeServer::event("RESUME", json::object()) +
              json({{"return", json::object()}, {"id", caps["id"]}}).dump() + "\r\n");
    json r = srv.request();
    const std::string answer = json({{"return", 42}, {"id", r["id"]}}).dump() + "\r\n";
    srv.write(answer.substr(0, 3));
    std::this_thread::sleep_for(milliseconds(20));
    srv.write(answer.substr(3, 9));
    std::this_thread::sleep_for(milliseconds(20));
    srv.write(answer.substr(12));
  });
  EXPECT_EQ(s.qmp->execute("query-x"), 42);
  EXPECT_TRUE(s.qmp->wait_event("RESUME", {}, milliseconds(0)).has_value());
}

TEST(Qmp, ErrorsCarryQmpsClassAndDescription) {
  Session s([](FakeServer& srv) {
    srv.greet_and_negotiate();
    json r = srv.request();
    srv.write(json({{"error", {{"class", "DeviceNotFound"}, {"desc", "Device 'x' not found"}}},
                    {"id", r["id"]}})
                  .dump() +
              "\r\n");
  });
  try {
    s.qmp->execute("device_del", {{"id", "x"}});
    FAIL() << "no QmpError";
  } catch (const QmpError& e) {
    EXPECT_EQ(e.error_class(), "DeviceNotFound");
    EXPECT_EQ(e.desc(), "Device 'x' not found");
    EXPECT_NE(std::string(e.what()).find("device_del"), std::string::npos);
  }
}

TEST(Qmp, EventsInterleavedWithReturnsAreKeptForWaitEvent) {
  Session s([](FakeServer& srv) {
    srv.greet_and_negotiate();
    json r = srv.request();
    srv.write(FakeServer::event("DEVICE_DELETED", {{"device", "a"}, {"path", "/a"}}));
    srv.reply(r, json::object());
    std::this_thread::sleep_for(milliseconds(50));
    srv.write(FakeServer::event("DEVICE_DELETED", {{"path", "/b/virtio-backend"}}));
    srv.write(FakeServer::event("DEVICE_DELETED", {{"device", "b"}, {"path", "/b"}}));
  });
  s.qmp->execute("device_del", {{"id", "a"}});
  auto is = [](const char* id) {
    return [id](const json& d) { return d.value("device", "") == id; };
  };
  auto b = s.qmp->wait_event("DEVICE_DELETED", is("b"), milliseconds(2000));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ((*b)["path"], "/b");
  // "a" arrived during execute and stayed queued while waiting for "b".
  auto a = s.qmp->wait_event("DEVICE_DELETED", is("a"), milliseconds(0));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ((*a)["path"], "/a");
  EXPECT_FALSE(s.qmp->wait_event("DEVICE_DELETED", is("a"), milliseconds(0)).has_value());
}

TEST(Qmp, WaitEventTimesOutWithNothing) {
  Session s([](FakeServer& srv) {
    srv.greet_and_negotiate();
    srv.write(FakeServer::event("STOP", json::object()));
    std::this_thread::sleep_for(milliseconds(300));
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(s.qmp->wait_event("DEVICE_DELETED", {}, milliseconds(100)).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(100));
  EXPECT_TRUE(s.qmp->wait_event("STOP", {}, milliseconds(0)).has_value());
}

TEST(Qmp, AnswerToAnotherIdIsNotTaken) {
  Session s([](FakeServer& srv) {
    srv.greet_and_negotiate();
    json r = srv.request();
    srv.write(json({{"return", "stale"}, {"id", 999}}).dump() + "\r\n");
    srv.reply(r, "mine");
  });
  EXPECT_EQ(s.qmp->execute("x"), "mine");
}

TEST(Qmp, ClosedConnectionIsAnOperationErrorNotAQmpError) {
  Session s([](FakeServer& srv) {
    srv.greet_and_negotiate();
    (void)srv.request();
  });
  try {
    s.qmp->execute("quit");
    FAIL() << "no error";
  } catch (const QmpError&) {
    FAIL() << "a closed connection is not a QMP error answer";
  } catch (const OperationError& e) {
    EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
  }
}

TEST(Qmp, PeerThatDoesNotGreetAsQmpIsRefused) {
  Pair p([](FakeServer& srv) { srv.write("{\"hello\": 1}\r\n"); });
  EXPECT_THROW(Qmp(p.fd, "fake", milliseconds(2000)), OperationError);
}

TEST(Qmp, MalformedMessageIsAnOperationError) {
  Session s([](FakeServer& srv) {
    srv.greet_and_negotiate();
    (void)srv.request();
    srv.write("{\"return\": \r\n");
  });
  EXPECT_THROW(s.qmp->execute("x"), OperationError);
}

TEST(Qmp, HumanMonitorCommandReturnsItsText) {
  json seen;
  {
    Session s([&](FakeServer& srv) {
      srv.greet_and_negotiate();
      seen = srv.request();
      srv.reply(seen, "0000000110001000: 0x00000400\r\n");
    });
    EXPECT_EQ(s.qmp->human_monitor_command("xp /1wx 0x110001000"),
              "0000000110001000: 0x00000400\r\n");
  }
  EXPECT_EQ(seen["execute"], "human-monitor-command");
  EXPECT_EQ(seen["arguments"]["command-line"], "xp /1wx 0x110001000");
}

TEST(Qmp, ConnectSaysWhenThereIsNoSuchSocket) {
  try {
    Qmp::connect("/nonexistent/cxlsim-qmp.sock");
    FAIL() << "no error";
  } catch (const OperationError& e) {
    EXPECT_NE(std::string(e.what()).find("no such socket"), std::string::npos) << e.what();
  }
}

TEST(Qmp, ConnectsToAListeningUnixSocket) {
  std::string dir_template = (std::filesystem::temp_directory_path() / "qmp-test.XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir_template.data()), nullptr);
  const std::filesystem::path sock = std::filesystem::path(dir_template) / "q.sock";
  const int lfd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(lfd, 1), 0);
  std::thread server([lfd] {
    FakeServer s(::accept(lfd, nullptr, nullptr));
    s.greet_and_negotiate();
    json r = s.request();
    s.reply(r, "ok");
  });
  {
    Qmp q = Qmp::connect(sock);
    EXPECT_EQ(q.execute("x"), "ok");
  }
  server.join();
  ::close(lfd);
  // Nobody listens any more: refused, not "no such socket".
  try {
    Qmp::connect(sock, milliseconds(500));
    FAIL() << "no error";
  } catch (const OperationError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir_template);
}

}  // namespace
}  // namespace cxlsim::vm
