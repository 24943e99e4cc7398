// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The sidecar's HTTP server and proxy, on Boost.Beast with C++20
// coroutines: one coroutine per client connection reads a request head,
// asks the engine, and either answers for the engine or relays the request
// to the upstream and the response back, both bodies streamed through a
// fixed buffer. This is the only file that includes Beast.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include "http_server.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <exception>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "forwarding.h"
#include "metrics.h"

namespace authgate_cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Everything runs on io_context executors, named as such rather than
// through the type-erased any_io_executor: that erasure cost about a tenth
// of a proxied request's instructions.
using Executor = asio::io_context::executor_type;
template <class T>
using awaitable = asio::awaitable<T, Executor>;
constexpr asio::use_awaitable_t<Executor> use_awaitable;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Executor>;
using PlainStream = beast::basic_stream<tcp, Executor>;
using TlsStream = ssl::stream<PlainStream>;
using RequestParser = http::request_parser<http::buffer_body>;
using ResponseParser = http::response_parser<http::buffer_body>;

constexpr size_t kRelayBufferBytes = 32 * 1024;
constexpr size_t kMaxIdleUpstreamPerWorker = 256;
constexpr auto kUpstreamIdleLimit = std::chrono::seconds(30);
constexpr uint32_t kUpstreamHeaderLimit = 1024 * 1024;
constexpr auto kHousekeepingInterval = std::chrono::milliseconds(100);

struct DecisionDeleter {
  void operator()(authgate_decision* d) const { authgate_decision_free(d); }
};
using DecisionPtr = std::unique_ptr<authgate_decision, DecisionDeleter>;
struct RequestDeleter {
  void operator()(authgate_request* r) const { authgate_request_free(r); }
};
using RequestPtr = std::unique_ptr<authgate_request, RequestDeleter>;

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ForEachDecisionHeader calls f(name, value) for each header of `list`.
template <class F>
void ForEachDecisionHeader(const authgate_decision* d, authgate_header_list list, F f) {
  size_t count = authgate_decision_header_count(d, list);
  for (size_t i = 0; i < count; ++i) {
    const char* name = nullptr;
    const char* value = nullptr;
    size_t name_len = 0, value_len = 0;
    if (authgate_decision_header(d, list, i, &name, &name_len, &value, &value_len, nullptr) ==
        AUTHGATE_OK) {
      f(beast::string_view(name, name_len), beast::string_view(value, value_len));
    }
  }
}

// ToClientHead views a parsed request head as forwarding.h takes it; the
// views live as long as the parser.
ClientHead ToClientHead(const http::request_header<>& head) {
  ClientHead out;
  out.method = View(head.method_string());
  out.target = View(head.target());
  out.version = head.version();
  out.fields.reserve(24);
  for (const auto& field : head) {
    out.fields.push_back({View(field.name_string()), View(field.value())});
  }
  return out;
}

// FieldsOf lists the fields of a response head.
std::vector<HeaderField> FieldsOf(const http::response_header<>& head) {
  std::vector<HeaderField> out;
  out.reserve(24);
  for (const auto& field : head) {
    out.push_back({View(field.name_string()), View(field.value())});
  }
  return out;
}

// IsFramingError tells a message that broke HTTP/1.1 framing (RFC 9112
// 7.1: a chunk size that is not hex or overflows, chunk data longer than
// its size) from a connection that ended or failed.
bool IsFramingError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
         ec != http::error::partial_message && ec != http::error::end_of_stream;
}

// HasUnreadBytes tells whether the upstream has sent anything that was not
// read yet (or closed: end of stream reads as readable too). Between two
// responses of a pooled connection nothing may arrive: whatever does would
// become the start of the next client's response.
bool HasUnreadBytes(int socket) {
  char byte;
  ssize_t n = ::recv(socket, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

// The answer to one request, for the access log and the metrics.
struct Exchange {
  Clock::time_point start = Clock::now();
  std::string method;
  std::string path;  // without the query
  int status = 0;
  std::string decision;
  std::string reason = "none";
  std::string rule;
  std::string detail;  // the engine's, for --log-level debug (never a secret)
  double upstream_seconds = -1;
  uint64_t bytes_sent = 0;
};

// A decision that needed the network: the engine's callback stores it and
// posts a cancel of `wake` to the request's worker, which resumes the
// request. The worker is single-threaded and the request is suspended on
// `wake` before any posted handler can run, so the cancel is never early.
// The engine's callbacks still to come. They post to the workers' loops,
// so the server outlives them: since authgate 0.2 the evaluations pending
// when the engine is freed get their (cancelled) callback after
// authgate_engine_free() returns, from the engine's callback thread.
class CallbacksOwed {
 public:
  void Add() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
  }
  // Paid is the callback's last use of the server.
  void Paid() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--count_ == 0) none_.notify_all();
  }
  void WaitForNone() {
    std::unique_lock<std::mutex> lock(mutex_);
    none_.wait(lock, [this] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable none_;
  int count_ = 0;
};

struct PendingDecision {
  PendingDecision(asio::io_context& ioc, CallbacksOwed* callbacks)
      : wake(ioc.get_executor()), executor(ioc.get_executor()), owed(callbacks) {}
  ~PendingDecision() { authgate_decision_free(decision); }
  Timer wake;
  asio::io_context::executor_type executor;
  CallbacksOwed* owed;
  authgate_decision* decision = nullptr;
};

// OnDecision receives a late decision; a cancelled or unallocated one is
// NULL, which the request answers as the engine's failure.
void OnDecision(authgate_status status, authgate_decision* decision, void* userdata) {
  auto* holder = static_cast<std::shared_ptr<PendingDecision>*>(userdata);
  std::shared_ptr<PendingDecision> pending = std::move(*holder);
  delete holder;
  pending->decision = status == AUTHGATE_OK ? decision : nullptr;
  CallbacksOwed* owed = pending->owed;
  asio::post(pending->executor, [pending] { pending->wake.cancel(); });
  owed->Paid();
}

// An upstream connection, plain or TLS, with its read buffer.
struct UpstreamConnection {
  std::optional<PlainStream> plain;
  std::optional<TlsStream> tls;
  beast::flat_buffer buffer;
  // Bodies pass through here, both ways; allocated once per connection.
  std::unique_ptr<char[]> relay{new char[kRelayBufferBytes]};
  bool reused = false;
  Clock::time_point idle_since;

  PlainStream& lowest() { return tls ? tls->next_layer() : *plain; }
};

// The deadline of one request head. The timer's handler may already be
// queued when the head completes, so it holds this by shared_ptr and does
// nothing once `stream` is cleared.
struct HeaderDeadline {
  HeaderDeadline(asio::io_context& ioc, PlainStream* s) : timer(ioc.get_executor()), stream(s) {}
  Timer timer;
  PlainStream* stream;
  bool fired = false;
};

// A client connection as the drain sees it.
struct ConnectionSlot {
  bool idle = true;
  PlainStream* stream = nullptr;
};

// WarningThrottle lets one warning of a kind through per second, with the
// number held back since the last one: while the upstream is down every
// request fails to connect, and a line per request would flood the log
// (37,000 lines in a 1.5 s outage under load).
class WarningThrottle {
 public:
  // Allow returns true when a line may be written now, and then the number
  // of occurrences held back before it in *suppressed.
  bool Allow(Clock::time_point now, uint64_t* suppressed) {
    if (logged_once_ && now - last_ < std::chrono::seconds(1)) {
      ++held_back_;
      return false;
    }
    logged_once_ = true;
    last_ = now;
    *suppressed = std::exchange(held_back_, 0);
    return true;
  }

 private:
  bool logged_once_ = false;
  Clock::time_point last_;
  uint64_t held_back_ = 0;
};

struct Worker {
  explicit Worker(int i) : index(i), ioc(1) {}
  int index;
  asio::io_context ioc;
  std::list<ConnectionSlot*> connections;
  std::vector<std::unique_ptr<UpstreamConnection>> idle_upstream;
  WarningThrottle upstream_warnings;
  bool draining = false;
};

class Server {
 public:
  Server(const ServerSettings& settings, authgate_engine* engine, Logger* logger,
         AccessLog* access_log)
      : settings_(settings),
        engine_(engine),
        logger_(logger),
        access_log_(access_log),
        metrics_(WorkerCount(settings)) {
    for (int i = 0; i < WorkerCount(settings); ++i) {
      workers_.push_back(std::make_unique<Worker>(i));
    }
  }

  ~Server() {
    // The engine goes first, then its cancelled callbacks, which post to the
    // loops: those must still exist.
    authgate_engine_free(engine_);
    callbacks_owed_.WaitForNone();
  }

  int Run();

 private:
  static int WorkerCount(const ServerSettings& settings) {
    if (settings.threads > 0) return settings.threads;
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }

  Worker& main_worker() { return *workers_.front(); }
  bool Setup();
  bool Listen(const HostPort& address, const char* name, std::optional<tcp::acceptor>* out);
  void BeginShutdown();
  void ConnectionEnded();

  awaitable<void> AcceptLoop(tcp::acceptor& acceptor, bool admin);
  awaitable<void> Housekeeping();
  // LogKeyErrors logs each `jwt` provider whose key fetches start failing
  // (or fail differently), and each that recovers; `logged` is what was
  // logged last.
  void LogKeyErrors(std::map<std::string, std::string>* logged);
  bool EngineReady() const {
    int ready = 0;
    return authgate_engine_ready(&ready, engine_, nullptr) == AUTHGATE_OK && ready == 1;
  }
  awaitable<void> ServeAdmin(Worker& w, Socket socket);
  awaitable<void> ServeClientEntry(Worker& w, Socket socket);
  template <class Stream>
  awaitable<void> ServeClient(Worker& w, Stream& stream, ConnectionSlot& slot,
                              const std::string& peer);
  template <class Stream>
  awaitable<bool> HandleRequest(Worker& w, Stream& stream, beast::flat_buffer& buffer,
                                RequestParser& parser, const std::string& peer, Exchange& ex);
  template <class Stream>
  awaitable<bool> AnswerAuthRequest(Worker& w, Stream& stream, RequestParser& parser,
                                    const ClientHead& client, const std::string& peer,
                                    std::string_view suffix, Exchange& ex);
  template <class Stream>
  awaitable<bool> Refuse(Stream& stream, unsigned version, const Refusal& refusal, Exchange& ex);
  awaitable<DecisionPtr> Evaluate(Worker& w, const authgate_request* request);
  template <class Stream>
  awaitable<bool> Proxy(Worker& w, Stream& client, beast::flat_buffer& buffer,
                        RequestParser& parser, const ClientHead& client_head,
                        const JudgedRequest& judged, const authgate_decision* decision,
                        const std::string& peer, Exchange& ex);
  enum class ForwardStatus {
    kOk,            // answered
    kRetry,         // a reused connection failed before anything was consumed
    kUpstreamDown,  // no answer from the upstream: 502 if nothing was sent yet
    kUpstreamTimeout,
    kClientGone,      // reading or writing the client failed: close
    kBadRequestBody,  // the client's body broke its framing: 400, close
    kUpstreamInvalid, // an answer that cannot be relayed (a 101 nobody asked for): 502
    kUpstreamCut      // the upstream failed mid-answer: cut the client
  };
  template <class Client, class Up>
  awaitable<ForwardStatus> Forward(Worker& w, Client& client, beast::flat_buffer& client_buffer,
                                   RequestParser& parser, const std::string& request_head,
                                   Up& up, UpstreamConnection& conn, bool expect_continue,
                                   const authgate_decision* decision, bool* client_keep_alive,
                                   Exchange& ex, bool* upstream_reusable);
  awaitable<std::unique_ptr<UpstreamConnection>> ConnectUpstream(Worker& w);
  // WarnUpstream logs a failure to reach the upstream, at most once a second
  // per worker, with the number of failures not logged since the last line.
  void WarnUpstream(Worker& w, const char* message, const beast::error_code& ec);
  std::unique_ptr<UpstreamConnection> TakeIdleUpstream(Worker& w);
  void ReleaseUpstream(Worker& w, std::unique_ptr<UpstreamConnection> conn);

  template <class Stream>
  awaitable<bool> WriteSimple(Stream& stream, unsigned version, int status,
                              std::string_view body, bool keep_alive, Exchange& ex);
  template <class Stream>
  awaitable<bool> WriteDecision(Stream& stream, unsigned version, const authgate_decision* d,
                                bool keep_alive, Exchange& ex);
  // RecordDecision copies the engine's outcome, rule, reason (and at debug
  // level its detail) into the exchange for the log and the metrics.
  void RecordDecision(const authgate_decision* decision, Exchange* ex) const;
  void Finish(Worker& w, const Exchange& ex, const std::string& peer);
  RequestPtr EngineRequest(const ClientHead& head, const JudgedRequest& judged);

  const ServerSettings& settings_;
  authgate_engine* engine_;
  CallbacksOwed callbacks_owed_;
  Logger* logger_;
  AccessLog* access_log_;
  Metrics metrics_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<tcp::acceptor> admin_acceptor_;
  std::optional<ssl::context> server_tls_;
  std::optional<ssl::context> upstream_tls_;
  std::vector<tcp::endpoint> upstream_endpoints_;
  std::string upstream_server_name_;
  // host:port of the upstream: the Host of a request that came without one
  // (HTTP/1.0).
  std::string upstream_authority_;
  std::optional<asio::signal_set> signals_;
  std::optional<asio::steady_timer> shutdown_deadline_;
  std::atomic<bool> draining_{false};
  std::atomic<int> active_connections_{0};
  size_t next_worker_ = 0;
};

bool Server::Listen(const HostPort& address, const char* name, std::optional<tcp::acceptor>* out) {
  beast::error_code ec;
  tcp::resolver resolver(main_worker().ioc);
  auto results = resolver.resolve(address.host, std::to_string(address.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    logger_->Log(LogLevel::kError, "cannot resolve the listen address",
                 {{"listener", name}, {"host", address.host}, {"error", ec.message()}});
    return false;
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  out->emplace(main_worker().ioc);
  tcp::acceptor& acceptor = **out;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    logger_->Log(LogLevel::kError, "cannot listen",
                 {{"listener", name},
                  {"address", address.host + ":" + std::to_string(address.port)},
                  {"error", ec.message()}});
    return false;
  }
  tcp::endpoint bound = acceptor.local_endpoint(ec);
  std::string host = bound.address().to_string();
  if (bound.address().is_v6()) host = "[" + host + "]";
  logger_->Log(LogLevel::kInfo, "listening",
               {{"listener", name}, {"address", host + ":" + std::to_string(bound.port())}});
  return true;
}

bool Server::Setup() {
  if (!settings_.tls_cert_file.empty()) {
    server_tls_.emplace(ssl::context::tls_server);
    server_tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1);
    beast::error_code ec;
    server_tls_->use_certificate_chain_file(settings_.tls_cert_file, ec);
    if (!ec) server_tls_->use_private_key_file(settings_.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      logger_->Log(LogLevel::kError, "cannot load the TLS certificate or key",
                   {{"cert_file", settings_.tls_cert_file},
                    {"key_file", settings_.tls_key_file},
                    {"error", ec.message()}});
      return false;
    }
  }
  if (settings_.upstream.tls) {
    upstream_tls_.emplace(ssl::context::tls_client);
    upstream_tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                               ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                               ssl::context::no_tlsv1_1);
    upstream_tls_->set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    if (settings_.upstream_ca_file.empty()) {
      upstream_tls_->set_default_verify_paths(ec);
    } else {
      upstream_tls_->load_verify_file(settings_.upstream_ca_file, ec);
    }
    if (ec) {
      logger_->Log(LogLevel::kError, "cannot load the upstream CA certificates",
                   {{"ca_file", settings_.upstream_ca_file}, {"error", ec.message()}});
      return false;
    }
    upstream_server_name_ = settings_.upstream_server_name.empty()
                                ? settings_.upstream.host
                                : settings_.upstream_server_name;
  }
  beast::error_code ec;
  tcp::resolver resolver(main_worker().ioc);
  auto results = resolver.resolve(settings_.upstream.host, std::to_string(settings_.upstream.port),
                                  tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    logger_->Log(LogLevel::kError, "cannot resolve the upstream",
                 {{"host", settings_.upstream.host}, {"error", ec.message()}});
    return false;
  }
  for (const auto& entry : results) upstream_endpoints_.push_back(entry.endpoint());
  const std::string& host = settings_.upstream.host;
  upstream_authority_ = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                        std::to_string(settings_.upstream.port);

  if (!Listen(settings_.listen, "main", &acceptor_)) return false;
  if (settings_.admin && !Listen(*settings_.admin, "admin", &admin_acceptor_)) return false;
  return true;
}

int Server::Run() {
  if (!Setup()) return 1;
  Worker& main = main_worker();
  signals_.emplace(main.ioc, SIGINT, SIGTERM);
  signals_->async_wait([this](const beast::error_code& ec, int) {
    if (!ec) BeginShutdown();
  });
  shutdown_deadline_.emplace(main.ioc);
  asio::co_spawn(main.ioc.get_executor(), AcceptLoop(*acceptor_, false), asio::detached);
  if (admin_acceptor_) asio::co_spawn(main.ioc.get_executor(), AcceptLoop(*admin_acceptor_, true), asio::detached);
  asio::co_spawn(main.ioc.get_executor(), Housekeeping(), asio::detached);

  // The other workers have no work until the acceptor hands them some: a
  // guard keeps them running until the drain lets them go.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers_.size(); ++i) {
    guards.push_back(asio::make_work_guard(workers_[i]->ioc));
    threads.emplace_back([w = workers_[i].get()] { w->ioc.run(); });
  }
  main.ioc.run();  // returns once drained (or cut at the deadline)
  guards.clear();
  for (std::thread& thread : threads) thread.join();
  for (auto& worker : workers_) worker->idle_upstream.clear();
  if (access_log_ != nullptr) access_log_->Flush();
  logger_->Log(LogLevel::kInfo, "stopped");
  return 0;
}

void Server::BeginShutdown() {
  if (draining_.exchange(true)) return;
  logger_->Log(LogLevel::kInfo, "shutting down: finishing requests in flight",
               {{"connections", std::to_string(active_connections_.load())}});
  beast::error_code ignored;
  acceptor_->close(ignored);
  if (admin_acceptor_) admin_acceptor_->close(ignored);
  for (auto& worker : workers_) {
    asio::post(worker->ioc, [w = worker.get()] {
      w->draining = true;
      w->idle_upstream.clear();
      for (ConnectionSlot* slot : w->connections) {
        if (slot->idle) slot->stream->cancel();
      }
    });
  }
  shutdown_deadline_->expires_after(settings_.shutdown_timeout);
  shutdown_deadline_->async_wait([this](const beast::error_code& ec) {
    signals_->cancel();
    if (ec) return;  // cancelled: every connection finished
    logger_->Log(LogLevel::kWarn, "shutdown timeout: cutting the remaining connections",
                 {{"connections", std::to_string(active_connections_.load())}});
    for (auto& worker : workers_) worker->ioc.stop();
  });
  if (active_connections_.load() == 0) shutdown_deadline_->cancel();
}

void Server::ConnectionEnded() {
  metrics_.ConnectionClosed();
  if (active_connections_.fetch_sub(1) == 1 && draining_.load()) {
    asio::post(main_worker().ioc, [this] { shutdown_deadline_->cancel(); });
  }
}

awaitable<void> Server::AcceptLoop(tcp::acceptor& acceptor, bool admin) {
  Timer backoff(main_worker().ioc.get_executor());
  for (;;) {
    Worker& w = admin ? main_worker() : *workers_[next_worker_++ % workers_.size()];
    beast::error_code ec;
    Socket socket = co_await acceptor.async_accept(w.ioc, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || draining_.load()) co_return;
      // EMFILE and the like: log, breathe, go on.
      logger_->Log(LogLevel::kWarn, "accept failed", {{"error", ec.message()}});
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    if (admin) {
      asio::co_spawn(w.ioc.get_executor(), ServeAdmin(w, std::move(socket)), asio::detached);
      continue;
    }
    if (active_connections_.load() >= settings_.max_connections) {
      logger_->Log(LogLevel::kDebug, "connection refused: max_connections reached");
      socket.close(ec);
      continue;
    }
    active_connections_.fetch_add(1);
    metrics_.ConnectionOpened();
    asio::co_spawn(w.ioc.get_executor(), ServeClientEntry(w, std::move(socket)), asio::detached);
  }
}

awaitable<void> Server::Housekeeping() {
  Timer timer(main_worker().ioc.get_executor());
  bool announced = false;
  std::map<std::string, std::string> key_errors;  // as last logged
  // Key fetches happen seconds apart at the soonest: once a second is
  // enough to see them fail, and keeps the stats off the request path.
  constexpr int kTicksPerKeyCheck = 10;
  for (int tick = 0; !draining_.load(); ++tick) {
    timer.expires_after(kHousekeepingInterval);
    beast::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (access_log_ != nullptr) access_log_->Flush();
    if (!announced && EngineReady()) {
      announced = true;
      logger_->Log(LogLevel::kInfo, "ready");
    }
    if (tick % kTicksPerKeyCheck == 0) LogKeyErrors(&key_errors);
  }
}

void Server::LogKeyErrors(std::map<std::string, std::string>* logged) {
  std::vector<std::pair<std::string, std::string>> now = ReadKeyErrors(engine_);
  for (const auto& [provider, error] : now) {
    auto it = logged->find(provider);
    if (it != logged->end() && it->second == error) continue;
    logger_->Log(LogLevel::kWarn, "key fetch failed: the keys in hand are kept",
                 {{"provider", provider}, {"error", error}});
    (*logged)[provider] = error;
  }
  for (auto it = logged->begin(); it != logged->end();) {
    bool still_failing = false;
    for (const auto& failing : now) still_failing = still_failing || failing.first == it->first;
    if (still_failing) {
      ++it;
      continue;
    }
    logger_->Log(LogLevel::kInfo, "key fetch succeeded again", {{"provider", it->first}});
    it = logged->erase(it);
  }
}

// ------------------------------------------------------------------ admin

awaitable<void> Server::ServeAdmin(Worker& w, Socket socket) {
  PlainStream stream(std::move(socket));
  ConnectionSlot slot;
  slot.stream = &stream;
  w.connections.push_front(&slot);
  auto registration = w.connections.begin();
  beast::flat_buffer buffer;
  try {
    for (;;) {
      if (w.draining) break;
      http::request<http::string_body> request;
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(64 * 1024);
      stream.expires_after(settings_.idle_timeout);
      slot.idle = true;
      beast::error_code ec;
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      slot.idle = false;
      request = parser.release();
      http::response<http::string_body> response;
      response.version(request.version());
      std::string_view target = View(request.target());
      target = target.substr(0, target.find('?'));
      bool ready = EngineReady() && !draining_.load();
      if (request.method() != http::verb::get && request.method() != http::verb::head) {
        response.result(http::status::method_not_allowed);
        response.set(http::field::allow, "GET, HEAD");
        response.body() = "method not allowed\n";
      } else if (target == "/healthz") {
        response.result(http::status::ok);
        response.body() = "ok\n";
      } else if (target == "/readyz") {
        response.result(ready ? http::status::ok : http::status::service_unavailable);
        response.body() = ready ? "ready\n" : "not ready\n";
      } else if (target == "/metrics") {
        response.result(http::status::ok);
        response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        response.body() = metrics_.Render(ReadEngineCounters(engine_), ready);
      } else {
        response.result(http::status::not_found);
        response.body() = "not found: /healthz, /readyz, /metrics\n";
      }
      if (response[http::field::content_type].empty()) {
        response.set(http::field::content_type, "text/plain; charset=utf-8");
      }
      response.keep_alive(request.keep_alive() && !w.draining);
      response.prepare_payload();
      if (request.method() == http::verb::head) response.body().clear();
      stream.expires_after(settings_.read_timeout);
      co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
      if (ec || !response.keep_alive()) break;
    }
  } catch (const std::exception& e) {
    logger_->Log(LogLevel::kError, "admin connection failed", {{"error", e.what()}});
  }
  w.connections.erase(registration);
  beast::error_code ignored;
  stream.socket().shutdown(Socket::shutdown_send, ignored);
}

// ---------------------------------------------------------------- clients

awaitable<void> Server::ServeClientEntry(Worker& w, Socket socket) {
  beast::error_code ec;
  tcp::endpoint remote = socket.remote_endpoint(ec);
  std::string peer = ec ? std::string() : remote.address().to_string();
  if (remote.address().is_v6() && remote.address().to_v6().is_v4_mapped()) {
    peer = asio::ip::make_address_v4(asio::ip::v4_mapped, remote.address().to_v6()).to_string();
  }
  socket.set_option(tcp::no_delay(true), ec);
  ConnectionSlot slot;
  w.connections.push_front(&slot);
  auto registration = w.connections.begin();
  try {
    if (server_tls_) {
      TlsStream stream(PlainStream(std::move(socket)), *server_tls_);
      slot.stream = &stream.next_layer();
      stream.next_layer().expires_after(settings_.header_timeout);
      co_await stream.async_handshake(ssl::stream_base::server,
                                      asio::redirect_error(use_awaitable, ec));
      if (!ec) co_await ServeClient(w, stream, slot, peer);
    } else {
      PlainStream stream(std::move(socket));
      slot.stream = &stream;
      co_await ServeClient(w, stream, slot, peer);
      stream.socket().shutdown(Socket::shutdown_send, ec);
    }
  } catch (const std::exception& e) {
    logger_->Log(LogLevel::kError, "connection failed", {{"error", e.what()}});
  }
  w.connections.erase(registration);
  ConnectionEnded();
}

template <class Stream>
awaitable<void> Server::ServeClient(Worker& w, Stream& stream, ConnectionSlot& slot,
                                    const std::string& peer) {
  beast::flat_buffer buffer;
  PlainStream& lowest = beast::get_lowest_layer(stream);
  bool first = true;
  for (;;) {
    if (w.draining) co_return;
    beast::error_code ec;
    slot.idle = true;
    if (buffer.size() == 0) {
      // Waiting for a request to begin is the idle time; the head then has
      // header_timeout in all, however slowly it trickles in.
      lowest.expires_after(first ? settings_.header_timeout : settings_.idle_timeout);
      size_t n = co_await stream.async_read_some(buffer.prepare(4096),
                                                 asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      buffer.commit(n);
    }
    slot.idle = false;
    first = false;
    Exchange ex;
    RequestParser parser;
    parser.header_limit(settings_.max_header_bytes);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    // The stream's own timeout would close the socket, and a client that
    // sent part of a request deserves its 408: this deadline only cancels
    // the read. A head already buffered whole (the usual case) needs none.
    lowest.expires_never();
    std::shared_ptr<HeaderDeadline> deadline;
    std::string_view buffered(static_cast<const char*>(buffer.data().data()), buffer.size());
    if (buffered.find("\r\n\r\n") == std::string_view::npos) {
      deadline = std::make_shared<HeaderDeadline>(w.ioc, &lowest);
      deadline->timer.expires_after(settings_.header_timeout);
      deadline->timer.async_wait([deadline](const beast::error_code& wait_error) {
        if (wait_error || deadline->stream == nullptr) return;
        deadline->fired = true;
        beast::error_code ignored;
        deadline->stream->socket().cancel(ignored);
      });
    }
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(use_awaitable, ec));
    if (deadline) {
      deadline->stream = nullptr;
      deadline->timer.cancel();
    }
    if (ec) {
      int status;
      if (ec == http::error::header_limit) {
        status = 431;
        ex.decision = "header_too_large";
      } else if (deadline && deadline->fired) {
        status = 408;
        ex.decision = "request_timeout";
      } else if (ec == http::error::end_of_stream || ec == asio::error::eof ||
                 ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
        co_return;
      } else {
        status = 400;
        ex.decision = "bad_request";
      }
      static constexpr std::string_view kBodies[] = {"request header fields too large\n",
                                                     "request timeout\n", "bad request\n"};
      std::string_view body = kBodies[status == 431 ? 0 : status == 408 ? 1 : 2];
      co_await WriteSimple(stream, 11, status, body, false, ex);
      Finish(w, ex, peer);
      co_return;
    }
    bool keep_alive = co_await HandleRequest(w, stream, buffer, parser, peer, ex);
    Finish(w, ex, peer);
    if (!keep_alive) co_return;
  }
}

RequestPtr Server::EngineRequest(const ClientHead& head, const JudgedRequest& judged) {
  authgate_request* raw = nullptr;
  // The only failure of these calls with valid arguments is memory.
  if (authgate_request_new(&raw, nullptr) != AUTHGATE_OK) throw std::bad_alloc();
  RequestPtr request(raw);
  auto set = [&](authgate_request_field field, std::string_view value) {
    if (authgate_request_set(request.get(), field, value.data(), value.size(), nullptr) !=
        AUTHGATE_OK) {
      throw std::bad_alloc();
    }
  };
  set(AUTHGATE_REQUEST_METHOD, judged.method);
  set(AUTHGATE_REQUEST_SCHEME, judged.scheme);
  set(AUTHGATE_REQUEST_AUTHORITY, judged.authority);
  set(AUTHGATE_REQUEST_TARGET, judged.target);
  set(AUTHGATE_REQUEST_CLIENT_ADDRESS, judged.client_address);
  for (const HeaderField& field : head.fields) {
    if (authgate_request_add_header(request.get(), field.name.data(), field.name.size(),
                                    field.value.data(), field.value.size(),
                                    nullptr) != AUTHGATE_OK) {
      throw std::bad_alloc();
    }
  }
  return request;
}

awaitable<DecisionPtr> Server::Evaluate(Worker& w, const authgate_request* request) {
  auto pending = std::make_shared<PendingDecision>(w.ioc, &callbacks_owed_);
  auto* holder = new std::shared_ptr<PendingDecision>(pending);
  authgate_decision* decision = nullptr;
  callbacks_owed_.Add();
  authgate_status status =
      authgate_engine_evaluate_async(&decision, engine_, request, &OnDecision, holder, nullptr);
  if (status != AUTHGATE_PENDING) {
    callbacks_owed_.Paid();
    delete holder;
    co_return DecisionPtr(status == AUTHGATE_OK ? decision : nullptr);
  }
  pending->wake.expires_at(Timer::time_point::max());
  beast::error_code ec;
  co_await pending->wake.async_wait(asio::redirect_error(use_awaitable, ec));
  co_return DecisionPtr(std::exchange(pending->decision, nullptr));
}

template <class Stream>
awaitable<bool> Server::HandleRequest(Worker& w, Stream& stream, beast::flat_buffer& buffer,
                                      RequestParser& parser, const std::string& peer,
                                      Exchange& ex) {
  const auto& head = parser.get();
  ClientHead client = ToClientHead(head);
  std::string_view raw_target = client.target;
  ex.method = std::string(client.method);
  ex.path = std::string(raw_target.substr(0, raw_target.find('?')));
  bool body_pending = !parser.is_done();
  bool keep_alive = head.keep_alive() && !body_pending;

  JudgedRequest judged;
  Refusal refusal;
  if (!JudgeRequest(client, peer, settings_, &judged, &refusal)) {
    co_return co_await Refuse(stream, head.version(), refusal, ex);
  }
  std::string_view target = judged.target;
  ex.path = std::string(target.substr(0, target.find('?')));

  // Auth-request mode: the exact path, or the original path appended to
  // it (Envoy's ext_authz path_prefix).
  const std::string& auth_path = settings_.auth_request_path;
  if (!auth_path.empty() && ex.path.rfind(auth_path, 0) == 0 &&
      (ex.path.size() == auth_path.size() || ex.path[auth_path.size()] == '/')) {
    co_return co_await AnswerAuthRequest(w, stream, parser, client, peer,
                                         target.substr(auth_path.size()), ex);
  }

  RequestPtr request = EngineRequest(client, judged);
  DecisionPtr decision = co_await Evaluate(w, request.get());
  if (!decision) {
    ex.decision = "internal_error";
    co_await WriteSimple(stream, head.version(), 500, "internal error\n", false, ex);
    co_return false;
  }
  RecordDecision(decision.get(), &ex);
  if (authgate_decision_action(decision.get()) == AUTHGATE_ACTION_RESPOND) {
    // A body the engine did not need is not read: the connection closes.
    keep_alive = keep_alive && !w.draining;
    bool written = co_await WriteDecision(stream, head.version(), decision.get(), keep_alive, ex);
    co_return written && keep_alive;
  }
  co_return co_await Proxy(w, stream, buffer, parser, client, judged, decision.get(), peer, ex);
}

template <class Stream>
awaitable<bool> Server::Refuse(Stream& stream, unsigned version, const Refusal& refusal,
                               Exchange& ex) {
  // The rest of the request (its body, or the next one pipelined behind
  // it) cannot be trusted to be framed as the client meant: close.
  ex.decision = std::string(refusal.decision);
  ex.reason = std::string(refusal.reason);
  co_await WriteSimple(stream, version, refusal.status, refusal.body, false, ex);
  co_return false;
}

template <class Stream>
awaitable<bool> Server::AnswerAuthRequest(Worker& w, Stream& stream, RequestParser& parser,
                                          const ClientHead& client, const std::string& peer,
                                          std::string_view suffix, Exchange& ex) {
  const auto& head = parser.get();
  bool keep_alive = head.keep_alive() && parser.is_done() && !w.draining;
  ex.decision = "auth_request";
  JudgedRequest judged;
  Refusal refusal;
  if (!JudgeAuthRequest(client, suffix, peer, settings_, &judged, &refusal)) {
    ex.reason = std::string(refusal.reason);
    co_await WriteSimple(stream, head.version(), refusal.status, refusal.body, keep_alive, ex);
    co_return keep_alive;
  }
  ex.method = judged.method;
  ex.path = judged.target.substr(0, judged.target.find('?'));
  RequestPtr request = EngineRequest(client, judged);
  DecisionPtr decision = co_await Evaluate(w, request.get());
  if (!decision) {
    co_await WriteSimple(stream, head.version(), 500, "internal error\n", false, ex);
    co_return false;
  }
  RecordDecision(decision.get(), &ex);
  http::response<http::string_body> response;
  response.version(head.version());
  int status = authgate_decision_status(decision.get());
  if (authgate_decision_action(decision.get()) == AUTHGATE_ACTION_ALLOW) {
    status = 200;
    // Every header the upstream request must not carry from the client is
    // named, empty when the engine sets no value: Envoy's
    // allowed_upstream_headers and Caddy's copy_headers replace only the
    // headers an answer names, so an absent one would leave a client's
    // forged copy in place.
    ForEachDecisionHeader(decision.get(), AUTHGATE_HEADERS_REMOVE,
                          [&](beast::string_view name, beast::string_view) {
                            response.set(name, "");
                          });
    ForEachDecisionHeader(decision.get(), AUTHGATE_HEADERS_SET,
                          [&](beast::string_view name, beast::string_view value) {
                            response.set(name, value);
                          });
    ForEachDecisionHeader(decision.get(), AUTHGATE_HEADERS_RESPONSE,
                          [&](beast::string_view name, beast::string_view value) {
                            response.insert(name, value);
                          });
  } else if (status >= 300 && status < 400) {
    int redirect_status = settings_.auth_request_redirect_status;
    ForEachDecisionHeader(decision.get(), AUTHGATE_HEADERS_RESPONSE,
                          [&](beast::string_view name, beast::string_view value) {
                            if (beast::iequals(name, "location")) {
                              response.set("x-authgate-redirect", value);
                              if (redirect_status != 401) response.set(name, value);
                            } else {
                              response.insert(name, value);
                            }
                          });
    status = redirect_status;
  } else {
    size_t body_len = 0;
    const char* body = authgate_decision_body(decision.get(), &body_len);
    response.body().assign(body, body_len);
    ForEachDecisionHeader(decision.get(), AUTHGATE_HEADERS_RESPONSE,
                          [&](beast::string_view name, beast::string_view value) {
                            response.insert(name, value);
                          });
  }
  response.result(static_cast<unsigned>(status));
  response.keep_alive(keep_alive);
  response.prepare_payload();
  ex.status = status;
  ex.bytes_sent = response.body().size();
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(settings_.read_timeout);
  co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
  co_return !ec && keep_alive;
}

template <class Stream>
awaitable<bool> Server::WriteSimple(Stream& stream, unsigned version, int status,
                                    std::string_view body, bool keep_alive, Exchange& ex) {
  ex.status = status;
  ex.bytes_sent = body.size();
  http::response<http::string_body> response(static_cast<http::status>(status), version);
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.body() = std::string(body);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(settings_.read_timeout);
  co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

template <class Stream>
awaitable<bool> Server::WriteDecision(Stream& stream, unsigned version,
                                      const authgate_decision* d, bool keep_alive,
                                      Exchange& ex) {
  http::response<http::string_body> response;
  response.version(version);
  response.result(static_cast<unsigned>(authgate_decision_status(d)));
  ForEachDecisionHeader(d, AUTHGATE_HEADERS_RESPONSE,
                        [&](beast::string_view name, beast::string_view value) {
                          response.insert(name, value);
                        });
  size_t body_len = 0;
  const char* body = authgate_decision_body(d, &body_len);
  response.body().assign(body, body_len);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  ex.status = authgate_decision_status(d);
  ex.bytes_sent = body_len;
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(settings_.read_timeout);
  co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

void Server::RecordDecision(const authgate_decision* decision, Exchange* ex) const {
  ex->decision = authgate_decision_outcome(decision);
  ex->rule = authgate_decision_rule(decision);
  ex->reason = authgate_reason_name(authgate_decision_reason(decision));
  if (logger_->Enabled(LogLevel::kDebug)) ex->detail = authgate_decision_detail(decision, nullptr);
}

void Server::Finish(Worker& w, const Exchange& ex, const std::string& peer) {
  double seconds = SecondsSince(ex.start);
  metrics_.RecordRequest(w.index, ex.rule, ex.decision, seconds, ex.upstream_seconds);
  if (!ex.detail.empty()) {
    logger_->Log(LogLevel::kDebug, "decision",
                 {{"path", ex.path}, {"decision", ex.decision}, {"reason", ex.reason},
                  {"detail", ex.detail}});
  }
  if (access_log_ == nullptr) return;
  std::string line = "{\"time\":\"" + Now3339() + "\",\"client\":";
  AppendJsonString(peer, &line);
  line += ",\"method\":";
  AppendJsonString(ex.method, &line);
  line += ",\"path\":";
  AppendJsonString(ex.path, &line);
  line += ",\"status\":" + std::to_string(ex.status) + ",\"decision\":";
  AppendJsonString(ex.decision, &line);
  line += ",\"reason\":";
  AppendJsonString(ex.reason, &line);
  line += ",\"rule\":";
  AppendJsonString(ex.rule, &line);
  line += ",\"latency_ms\":";
  AppendMilliseconds(seconds, &line);
  line += ",\"upstream_ms\":";
  if (ex.upstream_seconds >= 0) {
    AppendMilliseconds(ex.upstream_seconds, &line);
  } else {
    line += "null";
  }
  line += ",\"bytes_sent\":" + std::to_string(ex.bytes_sent) + "}";
  access_log_->Append(line);
}

// --------------------------------------------------------------- upstream

std::unique_ptr<UpstreamConnection> Server::TakeIdleUpstream(Worker& w) {
  while (!w.idle_upstream.empty()) {
    std::unique_ptr<UpstreamConnection> conn = std::move(w.idle_upstream.back());
    w.idle_upstream.pop_back();
    if (Clock::now() - conn->idle_since > kUpstreamIdleLimit) continue;
    // Checked again when taken: the upstream may have closed it, or sent
    // bytes late (a second write after a response). A request without a
    // body is still retried once when a closed connection slips through;
    // one with a body cannot be (the body is consumed as it goes).
    if (HasUnreadBytes(conn->lowest().socket().native_handle())) continue;
    conn->reused = true;
    return conn;
  }
  return nullptr;
}

void Server::ReleaseUpstream(Worker& w, std::unique_ptr<UpstreamConnection> conn) {
  if (w.draining || w.idle_upstream.size() >= kMaxIdleUpstreamPerWorker) return;
  conn->idle_since = Clock::now();
  conn->lowest().expires_never();
  w.idle_upstream.push_back(std::move(conn));
}

void Server::WarnUpstream(Worker& w, const char* message, const beast::error_code& ec) {
  uint64_t suppressed = 0;
  if (!w.upstream_warnings.Allow(Clock::now(), &suppressed)) return;
  logger_->Log(LogLevel::kWarn, message,
               {{"error", ec.message()}, {"suppressed", std::to_string(suppressed)}});
}

awaitable<std::unique_ptr<UpstreamConnection>> Server::ConnectUpstream(Worker& w) {
  auto conn = std::make_unique<UpstreamConnection>();
  if (upstream_tls_) {
    conn->tls.emplace(w.ioc.get_executor(), *upstream_tls_);
  } else {
    conn->plain.emplace(w.ioc.get_executor());
  }
  PlainStream& lowest = conn->lowest();
  lowest.expires_after(settings_.upstream_connect_timeout);
  beast::error_code ec;
  co_await lowest.async_connect(upstream_endpoints_, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    WarnUpstream(w, "upstream connect failed", ec);
    co_return nullptr;
  }
  lowest.socket().set_option(tcp::no_delay(true), ec);
  if (conn->tls) {
    SSL* ssl_handle = conn->tls->native_handle();
    beast::error_code address_error;
    asio::ip::make_address(upstream_server_name_, address_error);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
    if (address_error) {
      SSL_set_tlsext_host_name(ssl_handle, upstream_server_name_.c_str());
      X509_VERIFY_PARAM_set1_host(param, upstream_server_name_.c_str(), 0);
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(param, upstream_server_name_.c_str());
    }
    co_await conn->tls->async_handshake(ssl::stream_base::client,
                                        asio::redirect_error(use_awaitable, ec));
    if (ec) {
      WarnUpstream(w, "upstream TLS handshake failed", ec);
      co_return nullptr;
    }
  }
  co_return conn;
}

// A message head written by hand: Beast's serializer costs more than the
// rest of a proxied request's user-space work together (callgrind), and
// the head is only lines of text.
void AppendLine(std::string* head, beast::string_view name, beast::string_view value) {
  head->append(name.data(), name.size());
  head->append(": ");
  head->append(value.data(), value.size());
  head->append("\r\n");
}

// Relay writes `head` and then the body `parser` reads from `in` to `out`,
// through `buffer`: as chunks when `chunked`, else as it comes. The head
// leaves with the first piece of the body when that has already arrived.
// Returns 0 when done, 1 when reading failed, 2 when writing failed, 3
// when what was read broke its framing (a bad chunk size, chunk data
// longer than its size).
template <class In, class Out, class Parser>
awaitable<int> Relay(In& in, beast::flat_buffer& in_buffer, Parser& parser, Out& out,
                     std::string_view head, bool chunked, char* buffer,
                     std::chrono::milliseconds timeout, uint64_t* bytes) {
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  // Beast sizes each read by the dynamic buffer's spare capacity (512
  // bytes at the least): room for a whole relay piece keeps reads large.
  in_buffer.reserve(kRelayBufferBytes);
  beast::error_code ec;
  bool head_pending = !head.empty();
  bool finished = false;
  while (!finished) {
    size_t n = 0;
    if (!parser.is_done()) {
      if (head_pending && in_buffer.size() == 0) {
        // Nothing of the body has arrived: the head goes ahead of it, so
        // that a slow or streamed body does not hold it back.
        beast::get_lowest_layer(out).expires_after(timeout);
        co_await asio::async_write(out, asio::buffer(head.data(), head.size()),
                                   asio::redirect_error(use_awaitable, ec));
        if (ec) co_return 2;
        head_pending = false;
      }
      parser.get().body().data = buffer;
      parser.get().body().size = kRelayBufferBytes;
      beast::get_lowest_layer(in).expires_after(timeout);
      co_await http::async_read(in, in_buffer, parser, asio::redirect_error(use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return IsFramingError(ec) ? 3 : 1;
      n = kRelayBufferBytes - parser.get().body().size;
    }
    finished = parser.is_done();
    char size_line[20];
    size_t size_length = 0;
    if (chunked && n > 0) {
      auto [end, _] = std::to_chars(size_line, size_line + 16, n, 16);
      *end++ = '\r';
      *end++ = '\n';
      size_length = static_cast<size_t>(end - size_line);
    }
    std::array<asio::const_buffer, 5> parts = {
        asio::buffer(head.data(), head_pending ? head.size() : 0),
        asio::buffer(size_line, size_length),
        asio::buffer(buffer, n),
        asio::buffer(kCrlf.data(), chunked && n > 0 ? kCrlf.size() : 0),
        asio::buffer(kLastChunk.data(), chunked && finished ? kLastChunk.size() : 0)};
    if (asio::buffer_size(parts) == 0) continue;
    beast::get_lowest_layer(out).expires_after(timeout);
    co_await asio::async_write(out, parts, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return 2;
    head_pending = false;
    *bytes += n;
  }
  co_return 0;
}

template <class Stream>
awaitable<bool> Server::Proxy(Worker& w, Stream& client, beast::flat_buffer& buffer,
                              RequestParser& parser, const ClientHead& client_head,
                              const JudgedRequest& judged, const authgate_decision* decision,
                              const std::string& peer, Exchange& ex) {
  const auto& in = parser.get();
  UpstreamChanges changes;
  size_t target_len = 0;
  const char* target = authgate_decision_upstream_target(decision, &target_len);
  changes.target = std::string_view(target, target_len);
  ForEachDecisionHeader(decision, AUTHGATE_HEADERS_REMOVE,
                        [&](beast::string_view name, beast::string_view) {
                          changes.remove.push_back(View(name));
                        });
  ForEachDecisionHeader(decision, AUTHGATE_HEADERS_SET,
                        [&](beast::string_view name, beast::string_view value) {
                          changes.set.push_back({View(name), View(value)});
                        });
  std::optional<uint64_t> content_length;
  if (!judged.chunked && parser.content_length()) content_length = *parser.content_length();
  std::string head = BuildUpstreamHead(client_head, judged, changes, peer, upstream_authority_,
                                       content_length);
  bool expect_continue = judged.expect_continue;
  bool has_body = !parser.is_done();

  bool client_keep_alive = in.keep_alive() && !w.draining;
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<UpstreamConnection> conn = TakeIdleUpstream(w);
    if (!conn) conn = co_await ConnectUpstream(w);
    if (!conn) {
      metrics_.RecordUpstreamError(w.index, UpstreamError::kConnect);
      ex.decision = "upstream_unavailable";
      bool keep = client_keep_alive && !has_body;
      co_await WriteSimple(client, in.version(), 502, "upstream unavailable\n", keep, ex);
      co_return keep;
    }
    bool upstream_reusable = false;
    ForwardStatus status;
    if (conn->tls) {
      status = co_await Forward(w, client, buffer, parser, head, *conn->tls, *conn,
                                expect_continue, decision, &client_keep_alive, ex,
                                &upstream_reusable);
    } else {
      status = co_await Forward(w, client, buffer, parser, head, *conn->plain, *conn,
                                expect_continue, decision, &client_keep_alive, ex,
                                &upstream_reusable);
    }
    switch (status) {
      case ForwardStatus::kOk:
        if (upstream_reusable) ReleaseUpstream(w, std::move(conn));
        co_return client_keep_alive;
      case ForwardStatus::kRetry:
        if (attempt == 0 && conn->reused) continue;
        [[fallthrough]];
      case ForwardStatus::kUpstreamDown: {
        metrics_.RecordUpstreamError(w.index, UpstreamError::kReset);
        ex.decision = "upstream_unavailable";
        ex.upstream_seconds = -1;
        bool keep = client_keep_alive && parser.is_done();
        co_await WriteSimple(client, in.version(), 502, "upstream unavailable\n", keep, ex);
        co_return keep;
      }
      case ForwardStatus::kUpstreamTimeout: {
        metrics_.RecordUpstreamError(w.index, UpstreamError::kTimeout);
        ex.decision = "upstream_timeout";
        ex.upstream_seconds = -1;
        bool keep = client_keep_alive && parser.is_done();
        co_await WriteSimple(client, in.version(), 504, "upstream timeout\n", keep, ex);
        co_return keep;
      }
      case ForwardStatus::kUpstreamInvalid:
        metrics_.RecordUpstreamError(w.index, UpstreamError::kReset);
        ex.decision = "upstream_invalid";
        ex.upstream_seconds = -1;
        co_await WriteSimple(client, in.version(), 502, "invalid answer from the upstream\n",
                             false, ex);
        co_return false;
      case ForwardStatus::kBadRequestBody:
        // The upstream connection saw part of a request and is dropped.
        ex.decision = "bad_request";
        co_await WriteSimple(client, in.version(), 400, "bad request: malformed body framing\n",
                             false, ex);
        co_return false;
      case ForwardStatus::kUpstreamCut:
        metrics_.RecordUpstreamError(w.index, UpstreamError::kReset);
        ex.decision = "upstream_reset";
        co_return false;
      case ForwardStatus::kClientGone:
        ex.decision = "client_closed";
        co_return false;
    }
  }
}

template <class Client, class Up>
awaitable<Server::ForwardStatus> Server::Forward(
    Worker& w, Client& client, beast::flat_buffer& client_buffer, RequestParser& parser,
    const std::string& request_head, Up& up, UpstreamConnection& conn, bool expect_continue,
    const authgate_decision* decision, bool* client_keep_alive, Exchange& ex,
    bool* upstream_reusable) {
  beast::error_code ec;
  PlainStream& up_lowest = beast::get_lowest_layer(up);
  bool has_body = !parser.is_done();

  // The head goes alone first, also before a body: a reused connection
  // that turns out closed fails here, before anything of the body is
  // consumed, and can be retried.
  up_lowest.expires_after(settings_.read_timeout);
  co_await asio::async_write(up, asio::buffer(request_head),
                             asio::redirect_error(use_awaitable, ec));
  if (ec) co_return ForwardStatus::kRetry;
  if (has_body) {
    if (expect_continue) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      beast::get_lowest_layer(client).expires_after(settings_.read_timeout);
      co_await asio::async_write(client, asio::buffer(kContinue.data(), kContinue.size()),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) co_return ForwardStatus::kClientGone;
    }
    uint64_t sent = 0;
    int relayed = co_await Relay(client, client_buffer, parser, up, std::string_view(),
                                 parser.chunked(), conn.relay.get(), settings_.read_timeout,
                                 &sent);
    if (relayed == 1) co_return ForwardStatus::kClientGone;
    if (relayed == 2) co_return ForwardStatus::kUpstreamDown;
    if (relayed == 3) co_return ForwardStatus::kBadRequestBody;
  }

  // The response head; interim 1xx answers are skipped.
  Clock::time_point sent_at = Clock::now();
  std::optional<ResponseParser> response_parser;
  bool is_head = parser.get().method() == http::verb::head;
  for (;;) {
    response_parser.emplace();
    response_parser->header_limit(kUpstreamHeaderLimit);
    response_parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (is_head) response_parser->skip(true);
    up_lowest.expires_after(settings_.upstream_timeout);
    co_await http::async_read_header(up, conn.buffer, *response_parser,
                                     asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    unsigned code = response_parser->get().result_int();
    if (code < 100 || code >= 200 || code == 101) break;
  }
  if (ec == beast::error::timeout) co_return ForwardStatus::kUpstreamTimeout;
  if (ec) {
    bool nothing_read = ec == http::error::end_of_stream || ec == asio::error::eof ||
                        ec == asio::error::connection_reset;
    co_return nothing_read && !has_body ? ForwardStatus::kRetry : ForwardStatus::kUpstreamDown;
  }
  ex.upstream_seconds = SecondsSince(sent_at);

  const auto& upstream_head = response_parser->get();
  unsigned code = upstream_head.result_int();
  // Upgrade never reaches the upstream, so a 101 answers a request nobody
  // made: relaying it would hand the client a switched connection, and
  // pooling it would hand the next client one.
  if (code == 101) co_return ForwardStatus::kUpstreamInvalid;
  bool http10 = parser.get().version() == 10;
  bool no_body = is_head || code == 204 || code == 304;
  bool chunked = false;
  std::string head;
  head.reserve(1024);
  head.append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  head.append(std::to_string(code));
  head.push_back(' ');
  beast::string_view reason = upstream_head.reason();
  head.append(reason.data(), reason.size());
  head.append("\r\n");
  std::vector<std::string_view> listed = ConnectionTokens(FieldsOf(upstream_head));
  for (const auto& field : upstream_head) {
    if (IsHopByHop(View(field.name_string()), listed)) continue;
    // A HEAD answer keeps the upstream's length: it describes the body a
    // GET would get.
    if (field.name() == http::field::content_length && !is_head) continue;
    AppendLine(&head, field.name_string(), field.value());
  }
  ForEachDecisionHeader(decision, AUTHGATE_HEADERS_RESPONSE,
                        [&](beast::string_view name, beast::string_view value) {
                          AppendLine(&head, name, value);
                        });
  if (!no_body) {
    if (response_parser->chunked() || !response_parser->content_length()) {
      // Re-framed as chunked; an HTTP/1.0 client gets the end of the body
      // as the end of the connection instead.
      if (http10) {
        *client_keep_alive = false;
      } else {
        chunked = true;
        head.append("transfer-encoding: chunked\r\n");
      }
    } else {
      AppendLine(&head, "content-length", std::to_string(*response_parser->content_length()));
    }
  }
  *client_keep_alive = *client_keep_alive && parser.is_done() && !w.draining;
  if (!*client_keep_alive) {
    head.append("connection: close\r\n");
  } else if (http10) {
    head.append("connection: keep-alive\r\n");
  }
  head.append("\r\n");
  ex.status = static_cast<int>(code);

  int relayed = co_await Relay(up, conn.buffer, *response_parser, client, head, chunked,
                               conn.relay.get(), settings_.read_timeout, &ex.bytes_sent);
  if (relayed == 1 || relayed == 3) co_return ForwardStatus::kUpstreamCut;
  if (relayed == 2) co_return ForwardStatus::kClientGone;
  // Pooled only when the answer ended exactly where its framing says:
  // a byte more, already read or still in the socket (a body after a HEAD,
  // 204 or 304 answer, more than Content-Length), would be read as the
  // next client's response.
  bool tls_pending = conn.tls && SSL_pending(conn.tls->native_handle()) > 0;
  *upstream_reusable = response_parser->keep_alive() && response_parser->is_done() &&
                       conn.buffer.size() == 0 && !tls_pending &&
                       !HasUnreadBytes(up_lowest.socket().native_handle());
  co_return ForwardStatus::kOk;
}

// RaiseFileLimit lifts the soft limit on open files to the hard one: each
// client connection can hold an upstream connection too, and the usual
// soft limit of 1024 would refuse connections long before max_connections.
void RaiseFileLimit(const ServerSettings& settings, Logger* logger) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  // Two descriptors per connection (client and upstream) and some to spare.
  rlim_t wanted = 2 * static_cast<rlim_t>(settings.max_connections) + 64;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    logger->Log(LogLevel::kWarn,
                "the open-file limit is below what server.max_connections needs",
                {{"limit", std::to_string(limit.rlim_cur)}, {"needed", std::to_string(wanted)}});
  }
}

}  // namespace

int RunServer(const ServerSettings& settings, authgate_engine* engine, Logger* logger,
              AccessLog* access_log) {
  std::signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit(settings, logger);
  Server server(settings, engine, logger, access_log);
  return server.Run();
}

}  // namespace authgate_cli
