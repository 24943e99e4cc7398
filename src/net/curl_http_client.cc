// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The libcurl HttpClient: a multi handle driven by one thread per client.
// Requests are queued under a mutex and picked up by the thread, which is
// woken with curl_multi_wakeup(); callbacks run on that thread.
//
// Fork: the thread holds work_mutex_ except while it polls, so once the
// prepare handler holds it no transfer is half handled. The child cannot use
// the parent's multi handle (its connections and resolver threads belong to
// the parent): it leaves it, and the easy handles in it, alone (leaked),
// takes a new one, and sends every transfer that was running again from
// the start, so that their callbacks still run exactly once, in the child.

#include <curl/curl.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "after_fork.h"
#include "net/http_client.h"
#include "net/url.h"
#include "text.h"

namespace authgate {
namespace {

long Millis(absl::Duration d) { return static_cast<long>(absl::ToInt64Milliseconds(d)); }

struct Transfer {
  HttpRequest request;
  HttpClient::Callback done;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  HttpResponse response;
  size_t max_bytes = 0;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (header_list != nullptr) curl_slist_free_all(header_list);
    if (easy != nullptr) curl_easy_cleanup(easy);
  }
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > transfer->max_bytes) {
    transfer->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->response.headers.clear();  // a new response (after 100 or a redirect)
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string name(line.substr(0, colon));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  transfer->response.headers.emplace_back(std::move(name), std::string(value));
  return line.size();
}

class CurlHttpClient final : public HttpClient, public ForkParticipant {
 public:
  explicit CurlHttpClient(HttpClientOptions options) : options_(std::move(options)) {
    // A failed global init leaves curl unusable; each transfer then fails
    // with curl's own error, which is what a caller sees.
    (void)InitHttpGlobally();
    Start();
  }

  ~CurlHttpClient() override {
    registration_.reset();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_->join();
    curl_multi_cleanup(multi_);
  }

  void QuiesceForFork() override { work_mutex_.lock(); }
  void LockForFork() override { mutex_.lock(); }
  void UnlockInParent() override {
    mutex_.unlock();
    work_mutex_.unlock();
  }
  void RestartInChild() override {
    (void)thread_.release();
    for (auto& [easy, transfer] : running_) {
      transfer->easy = nullptr;  // belongs to the parent's multi handle
      transfer->response = HttpResponse();
      transfer->too_large = false;
      transfer->error[0] = '\0';
      if (transfer->header_list != nullptr) {
        curl_slist_free_all(transfer->header_list);
        transfer->header_list = nullptr;
      }
      queued_.push_front(std::move(transfer));
    }
    running_.clear();
    mutex_.unlock();
    work_mutex_.unlock();
    Start();
  }

  void Send(HttpRequest request, Callback done) override {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopping_) {
        queued_.push_back(std::move(transfer));
        transfer = nullptr;
      }
    }
    if (transfer != nullptr) {
      // Never run the callback inside Send(): hand it to a short-lived thread.
      std::thread([t = std::move(transfer)] {
        t->done(absl::CancelledError("HTTP client is shutting down"));
      }).detach();
      return;
    }
    curl_multi_wakeup(multi_);
  }

 private:
  // Configures the easy handle; on refusal returns the error to report.
  absl::Status Prepare(Transfer* transfer) {
    absl::StatusOr<Url> url = Url::Parse(transfer->request.url);
    if (!url.ok()) return absl::FailedPreconditionError(url.status().message());
    if (absl::Status allowed = CheckFetchAllowed(*url, options_.allow_insecure_http);
        !allowed.ok()) {
      return allowed;
    }
    CURL* easy = curl_easy_init();
    if (easy == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
    transfer->easy = easy;
    transfer->max_bytes = options_.max_response_bytes;
    const HttpRequest& request = transfer->request;
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, Millis(options_.connect_timeout));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, Millis(options_.total_timeout));
    curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(options_.max_response_bytes));
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (!options_.ca_dir.empty()) curl_easy_setopt(easy, CURLOPT_CAPATH, options_.ca_dir.c_str());
    if (options_.follow_redirects) {
      curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
      // A redirect from https may not downgrade to plain http.
      bool https_only = url->scheme == "https" && !options_.allow_insecure_http;
      curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, https_only ? "https" : "http,https");
    }
    curl_easy_setopt(easy, CURLOPT_USERAGENT, std::string(UserAgent()).c_str());
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
    if (request.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    } else if (request.method != "GET") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    for (const auto& [name, value] : request.headers) {
      transfer->header_list =
          curl_slist_append(transfer->header_list, StrCat(name, ": ", value).c_str());
    }
    if (transfer->header_list != nullptr) {
      curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->header_list);
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<HttpResponse> Outcome(Transfer* transfer, CURLcode code) {
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
      transfer->response.status = static_cast<int>(status);
      return std::move(transfer->response);
    }
    std::string detail = transfer->error[0] != '\0' ? transfer->error : curl_easy_strerror(code);
    if (transfer->too_large || code == CURLE_FILESIZE_EXCEEDED) {
      return absl::ResourceExhaustedError(
          ToAbsl(StrCat("response larger than ", transfer->max_bytes, " bytes")));
    }
    if (code == CURLE_OPERATION_TIMEDOUT) return absl::DeadlineExceededError(detail);
    return absl::UnavailableError(detail);
  }

  void Start() {
    multi_ = curl_multi_init();
    thread_ = std::make_unique<std::thread>([this] { Run(); });
  }

  void Run() {
    std::map<CURL*, std::unique_ptr<Transfer>>& running = running_;
    std::unique_lock<std::mutex> work(work_mutex_);
    for (;;) {
      std::deque<std::unique_ptr<Transfer>> incoming;
      bool stopping;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        incoming.swap(queued_);
        stopping = stopping_;
      }
      if (stopping) {
        for (auto& transfer : incoming) {
          transfer->done(absl::CancelledError("HTTP client destroyed"));
        }
        for (auto& [easy, transfer] : running) {
          curl_multi_remove_handle(multi_, easy);
          transfer->done(absl::CancelledError("HTTP client destroyed"));
        }
        running.clear();
        return;
      }
      for (auto& transfer : incoming) {
        absl::Status prepared = Prepare(transfer.get());
        if (!prepared.ok()) {
          transfer->done(prepared);
          continue;
        }
        curl_multi_add_handle(multi_, transfer->easy);
        running.emplace(transfer->easy, std::move(transfer));
      }
      int still_running = 0;
      curl_multi_perform(multi_, &still_running);
      int queued_messages = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_, &queued_messages)) {
        if (message->msg != CURLMSG_DONE) continue;
        auto it = running.find(message->easy_handle);
        if (it == running.end()) continue;
        std::unique_ptr<Transfer> transfer = std::move(it->second);
        running.erase(it);
        curl_multi_remove_handle(multi_, transfer->easy);
        transfer->done(Outcome(transfer.get(), message->data.result));
      }
      work.unlock();
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
      work.lock();
    }
  }

  HttpClientOptions options_;
  CURLM* multi_ = nullptr;
  std::mutex work_mutex_;
  // The transfers in the multi handle; only the thread (holding
  // work_mutex_) and the child's fork handler touch them.
  std::map<CURL*, std::unique_ptr<Transfer>> running_;
  std::mutex mutex_;
  std::deque<std::unique_ptr<Transfer>> queued_;
  bool stopping_ = false;
  std::unique_ptr<std::thread> thread_;
  std::optional<ForkRegistration> registration_{std::in_place, this};
};

}  // namespace

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view UserAgent() { return "authgate/" AUTHGATE_VERSION_TEXT; }

absl::Status InitHttpGlobally() {
  // curl_global_init is not thread-safe before curl 7.84: a function-local
  // static runs it exactly once, and every later call reports its result.
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    return absl::InternalError(StrCat("curl_global_init failed: ", curl_easy_strerror(code)));
  }
  return absl::OkStatus();
}

std::unique_ptr<HttpClient> NewCurlHttpClient(HttpClientOptions options) {
  return std::make_unique<CurlHttpClient>(std::move(options));
}

}  // namespace authgate
