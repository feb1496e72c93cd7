// Async calls from C++: connect_async; many concurrent calls with callbacks,
// each called exactly once on a library thread; a thousand calls whose
// callbacks block still run on a few library threads; a token abandons an
// async wait; freeing a client with async calls in flight completes every one
// of them with `cancelled`; argument errors reach the callback; a callback may
// itself make blocking calls. Also shows RAII ownership of the C handles.
#include "tb_test.h"

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct ClientDeleter {
    void operator()(TbClient *client) const { tb_client_free(client); }
};
using ClientPtr = std::unique_ptr<TbClient, ClientDeleter>;

struct TokenDeleter {
    void operator()(TbCancelToken *token) const { tb_cancel_token_free(token); }
};
using TokenPtr = std::unique_ptr<TbCancelToken, TokenDeleter>;

// One async call's outcome, filled in by its callback.
struct Outcome {
    int calls = 0;  // how often the callback ran: must end at exactly 1
    TbStatus status = TB_STATUS_INTERNAL;
    std::string response;
    std::string error;
    std::thread::id thread;
};

// Collects the outcomes of a batch of async calls.
class Batch {
  public:
    explicit Batch(size_t size) : outcomes_(size) {
        for (size_t i = 0; i < size; i++) slots_.push_back(Slot{this, i});
    }
    Batch(const Batch &) = delete;
    Batch &operator=(const Batch &) = delete;

    // user_data for call `index` (stable: slots_ never grows after construction).
    void *slot(size_t index) { return &slots_.at(index); }

    static void callback(void *user_data, TbStatus status, const char *response,
                         const char *error) {
        auto *slot = static_cast<Slot *>(user_data);
        Batch *batch = slot->batch;
        std::lock_guard<std::mutex> lock(batch->mutex_);
        Outcome &outcome = batch->outcomes_[slot->index];
        outcome.calls += 1;
        outcome.status = status;
        // Lent strings: copied here, never freed.
        outcome.response = response ? response : "";
        outcome.error = error ? error : "";
        // Exactly one of the two strings, matching the status.
        if ((status == TB_STATUS_OK) != (response != nullptr) ||
            (status == TB_STATUS_OK) == (error != nullptr))
            outcome.error = "BAD CALLBACK ARGUMENTS: " + outcome.error;
        outcome.thread = std::this_thread::get_id();
        batch->done_ += 1;
        batch->changed_.notify_all();
    }

    // Waits until every call has called back; fails the test otherwise.
    void wait_all(std::chrono::seconds limit) {
        std::unique_lock<std::mutex> lock(mutex_);
        bool all = changed_.wait_for(lock, limit, [&] { return done_ >= outcomes_.size(); });
        CHECK(all, "only %zu of %zu callbacks within %llds", done_, outcomes_.size(),
              static_cast<long long>(limit.count()));
    }

    // The outcomes, after checking that no callback ran twice.
    const std::vector<Outcome> &outcomes() {
        std::lock_guard<std::mutex> lock(mutex_);
        for (size_t i = 0; i < outcomes_.size(); i++)
            CHECK(outcomes_[i].calls == 1, "callback %zu ran %d times", i, outcomes_[i].calls);
        return outcomes_;
    }

  private:
    struct Slot {
        Batch *batch;
        size_t index;
    };
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Outcome> outcomes_;
    std::vector<Slot> slots_;
    size_t done_ = 0;
};

// `extra`: more connect options, e.g. ",\"rpc_timeout\":\"60s\"".
std::string connect_options(const std::string &extra = "") {
    const char *ns = getenv("TB_NAMESPACE");
    return std::string("{\"target\":\"") + test_env("TB_TARGET") + "\",\"namespace\":\"" +
           (ns && ns[0] ? ns : "default") + "\"" + extra + "}";
}

std::string id(const char *what) {
    char buffer[128];
    unique_id(what, buffer, sizeof buffer);
    return buffer;
}

std::string start_request(const char *type, const std::string &workflow_id,
                          const std::string &args) {
    return std::string("{\"workflow_type\":\"") + type + "\",\"task_queue\":\"" +
           test_env("TB_TASK_QUEUE") + "\",\"workflow_id\":\"" + workflow_id +
           "\",\"args\":" + args + "}";
}

ClientPtr test_connect_async() {
    struct Connected {
        std::mutex mutex;
        std::condition_variable changed;
        int calls = 0;
        TbStatus status = TB_STATUS_INTERNAL;
        TbClient *client = nullptr;
        std::string error;
        std::thread::id thread;
    } connected;
    auto callback = [](void *user_data, TbStatus status, TbClient *client, const char *error) {
        auto *c = static_cast<Connected *>(user_data);
        std::lock_guard<std::mutex> lock(c->mutex);
        c->calls += 1;
        c->status = status;
        c->client = client;  // ours now
        c->error = error ? error : "";
        c->thread = std::this_thread::get_id();
        c->changed.notify_all();
    };
    TbStatus status = tb_client_connect_async(connect_options().c_str(), callback, &connected);
    CHECK_STATUS(status, TB_STATUS_OK, "(scheduling)");
    std::unique_lock<std::mutex> lock(connected.mutex);
    CHECK(connected.changed.wait_for(lock, 30s, [&] { return connected.calls > 0; }),
          "connect callback never ran");
    CHECK_STATUS(connected.status, TB_STATUS_OK, connected.error.c_str());
    CHECK(connected.client != nullptr, "no client");
    CHECK(connected.thread != std::this_thread::get_id(), "callback ran on the caller's thread");

    // A bad target reaches the callback too, as an error.
    Connected failed;
    status = tb_client_connect_async("{\"target\":\"127.0.0.1:1\",\"connect_timeout\":\"2s\"}",
                                     callback, &failed);
    CHECK_STATUS(status, TB_STATUS_OK, "(scheduling)");
    std::unique_lock<std::mutex> failed_lock(failed.mutex);
    CHECK(failed.changed.wait_for(failed_lock, 30s, [&] { return failed.calls > 0; }),
          "failed connect never called back");
    CHECK_ERROR(failed.status, TB_STATUS_UNAVAILABLE, failed.error.c_str(), "127.0.0.1:1");
    CHECK(failed.client == nullptr, "client on failure");
    printf("ok - connect_async calls back on a library thread, with a client or an error\n");
    return ClientPtr(connected.client);
}

void test_many_concurrent_calls(const TbClient *client) {
    const size_t count = 40;
    std::vector<std::string> ids;
    Batch starts(count);
    for (size_t i = 0; i < count; i++) {
        ids.push_back(id("async-many"));
        std::string request =
            start_request("MySimpleWorkflow", ids[i], "[\"n" + std::to_string(i) + "\"]");
        TbStatus status = tb_workflow_start_async(client, request.c_str(), nullptr,
                                                  Batch::callback, starts.slot(i));
        CHECK_STATUS(status, TB_STATUS_OK, "(scheduling)");
        // `request` is freed here: the call copied it.
    }
    starts.wait_all(60s);
    for (size_t i = 0; i < count; i++) {
        const Outcome &o = starts.outcomes()[i];
        CHECK_STATUS(o.status, TB_STATUS_OK, o.error.c_str());
        CHECK_HAS(o.response.c_str(), ("\"workflow_id\":\"" + ids[i] + "\"").c_str());
        CHECK(o.thread != std::this_thread::get_id(), "callback on the caller's thread");
    }

    // Half the waits through the generic call, half through the named one.
    Batch results(count);
    for (size_t i = 0; i < count; i++) {
        std::string request = "{\"workflow_id\":\"" + ids[i] + "\",\"call_timeout\":\"60s\"}";
        TbStatus status =
            i % 2 ? tb_workflow_get_result_async(client, request.c_str(), nullptr,
                                                 Batch::callback, results.slot(i))
                  : tb_client_call_async(client, "get_workflow_result", request.c_str(),
                                         nullptr, Batch::callback, results.slot(i));
        CHECK_STATUS(status, TB_STATUS_OK, "(scheduling)");
    }
    results.wait_all(120s);
    for (size_t i = 0; i < count; i++) {
        const Outcome &o = results.outcomes()[i];
        CHECK_STATUS(o.status, TB_STATUS_OK, o.error.c_str());
        std::string want = "\"result\":\"Hello, n" + std::to_string(i) + "!\"";
        CHECK_HAS(o.response.c_str(), want.c_str());
    }
    printf("ok - %zu concurrent async starts and %zu async result waits\n", count, count);
}

// The threads of this process right now (the entries of /proc/self/task).
size_t thread_count() {
    DIR *tasks = opendir("/proc/self/task");
    CHECK(tasks != nullptr, "cannot read /proc/self/task");
    size_t count = 0;
    while (const struct dirent *entry = readdir(tasks))
        if (entry->d_name[0] != '.') count += 1;
    closedir(tasks);
    return count;
}

// A thousand async calls in flight at once, each callback blocking for a
// while (in a blocking call of its own, as a callback doing real work might):
// the callbacks run on a few library threads, not on one thread per blocked
// callback, and every one of them runs exactly once.
void test_thousand_calls_run_callbacks_on_few_threads() {
    // Its own client, patient per attempt: under valgrind the library works
    // through a thousand answers on one connection far slower than the
    // default 10s an attempt may take.
    TbClient *patient = nullptr;
    char *connect_error = nullptr;
    TbStatus connected = tb_client_connect(connect_options(",\"rpc_timeout\":\"120s\"").c_str(),
                                           &patient, &connect_error);
    CHECK_STATUS(connected, TB_STATUS_OK, connect_error);
    ClientPtr client(patient);
    const size_t count = 1000;
    const size_t thread_limit = 40;     // whole process: ours, the library's, the sanitizer's
    const size_t callback_threads = 4;  // the header's "at most four"
    struct Calls {
        const TbClient *client;
        std::vector<std::string> requests;  // describe_workflow of unknown IDs
        std::mutex mutex;
        std::condition_variable changed;
        std::vector<int> calls;  // per call: how often its callback ran
        std::vector<TbStatus> status;
        std::vector<std::string> error;
        std::vector<TbStatus> inner_status;  // of the blocking call inside the callback
        std::vector<std::string> inner_error;
        std::set<std::thread::id> threads;  // where callbacks ran
        size_t done = 0;
    } calls;
    calls.calls.assign(count, 0);
    calls.status.assign(count, TB_STATUS_INTERNAL);
    calls.error.assign(count, "");
    calls.inner_status.assign(count, TB_STATUS_INTERNAL);
    calls.inner_error.assign(count, "");
    calls.client = client.get();
    for (size_t i = 0; i < count; i++)
        calls.requests.push_back("{\"workflow_id\":\"" + id("async-thousand") + "\"}");
    struct Slot {
        Calls *calls;
        size_t index;
    };
    std::vector<Slot> slots;
    for (size_t i = 0; i < count; i++) slots.push_back(Slot{&calls, i});
    auto callback = [](void *user_data, TbStatus status, const char *, const char *error) {
        auto *slot = static_cast<Slot *>(user_data);
        Calls &c = *slot->calls;
        // The callback blocks, here in a blocking call of the library: it
        // completes even when every callback thread is blocked in one.
        char *inner_error = nullptr;
        TbStatus inner = tb_workflow_describe(c.client, c.requests[slot->index].c_str(), nullptr,
                                              nullptr, &inner_error);
        std::string inner_text = inner_error ? inner_error : "";
        tb_string_free(inner_error);
        std::lock_guard<std::mutex> lock(c.mutex);
        c.calls[slot->index] += 1;
        c.status[slot->index] = status;
        c.error[slot->index] = error ? error : "";
        c.inner_status[slot->index] = inner;
        c.inner_error[slot->index] = inner_text;
        c.threads.insert(std::this_thread::get_id());
        c.done += 1;
        c.changed.notify_all();
    };

    size_t before = thread_count();
    auto started = std::chrono::steady_clock::now();
    for (size_t i = 0; i < count; i++)
        CHECK_STATUS(tb_workflow_describe_async(client.get(), calls.requests[i].c_str(), nullptr,
                                                callback, &slots[i]),
                     TB_STATUS_OK, "(scheduling)");
    // Sample the thread count until every callback ran.
    size_t peak = thread_count();
    {
        std::unique_lock<std::mutex> lock(calls.mutex);
        auto deadline = started + 200s;
        while (calls.done < count && std::chrono::steady_clock::now() < deadline) {
            calls.changed.wait_for(lock, 1ms);
            lock.unlock();
            peak = std::max(peak, thread_count());
            lock.lock();
        }
        CHECK(calls.done == count, "only %zu of %zu callbacks within 200s", calls.done, count);
    }
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    // No callback fires a second time later.
    std::this_thread::sleep_for(200ms);
    size_t after = thread_count();

    std::lock_guard<std::mutex> lock(calls.mutex);
    printf("# threads: %zu before, %zu at the peak, %zu after; callbacks ran on %zu "
           "threads; %.2fs\n",
           before, peak, after, calls.threads.size(), took.count());
    for (size_t i = 0; i < count; i++) {
        CHECK(calls.calls[i] == 1, "callback %zu ran %d times", i, calls.calls[i]);
        CHECK_ERROR(calls.status[i], TB_STATUS_NOT_FOUND, calls.error[i].c_str(), nullptr);
        CHECK_ERROR(calls.inner_status[i], TB_STATUS_NOT_FOUND, calls.inner_error[i].c_str(),
                    nullptr);
    }
    CHECK(calls.done == count, "%zu callbacks for %zu calls", calls.done, count);
    CHECK(calls.threads.count(std::this_thread::get_id()) == 0,
          "a callback ran on the caller's thread");
    CHECK(peak < thread_limit, "%zu threads at the peak of %zu async calls (limit %zu)", peak,
          count, thread_limit);
    CHECK(after < thread_limit, "%zu threads after %zu async calls (limit %zu)", after, count,
          thread_limit);
    CHECK(calls.threads.size() <= callback_threads,
          "callbacks ran on %zu different threads (at most %zu)", calls.threads.size(),
          callback_threads);
    printf("ok - %zu concurrent async calls whose callbacks block run them on %zu library "
           "threads (%zu threads at the peak)\n",
           count, calls.threads.size(), peak);
}

void test_token_cancels_async_wait(const TbClient *client) {
    std::string workflow_id = id("async-token");
    char *error = nullptr;
    TbStatus status = tb_workflow_start(
        client, start_request("LongRunningWorkflow", workflow_id, "[600]").c_str(), nullptr,
        nullptr, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);

    TokenPtr token(tb_cancel_token_new());
    Batch batch(1);
    std::string request = "{\"workflow_id\":\"" + workflow_id + "\"}";
    status = tb_workflow_get_result_async(client, request.c_str(), token.get(), Batch::callback,
                                          batch.slot(0));
    CHECK_STATUS(status, TB_STATUS_OK, "(scheduling)");
    token.reset();  // the call holds its own reference; freeing does not cancel
    // Describe while the wait is pending proves the wait has not ended.
    char status_text[64];
    describe_status(client, workflow_id.c_str(), status_text, sizeof status_text);
    CHECK(strcmp(status_text, "running") == 0, "describe says %s", status_text);

    // A second token, cancelled after the call started.
    TokenPtr second(tb_cancel_token_new());
    Batch cancelled(1);
    status = tb_workflow_get_result_async(client, request.c_str(), second.get(),
                                          Batch::callback, cancelled.slot(0));
    CHECK_STATUS(status, TB_STATUS_OK, "(scheduling)");
    auto started = std::chrono::steady_clock::now();
    tb_cancel_token_cancel(second.get());
    cancelled.wait_all(5s);
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    const Outcome &o = cancelled.outcomes()[0];
    CHECK_ERROR(o.status, TB_STATUS_CANCELLED, o.error.c_str(), nullptr);
    CHECK(took.count() < 2.0, "async cancel took %.3fs", took.count());

    // The first wait (token freed, never cancelled) ends when the workflow does.
    terminate_quietly(client, workflow_id.c_str());
    batch.wait_all(30s);
    CHECK_ERROR(batch.outcomes()[0].status, TB_STATUS_WORKFLOW_TERMINATED,
                batch.outcomes()[0].error.c_str(), nullptr);
    printf("ok - a token abandons an async wait in %.3fs; a freed token cancels nothing\n",
           took.count());
}

void test_free_client_with_calls_in_flight(const TbClient *client) {
    const size_t count = 12;
    std::string workflow_id = id("async-free");
    char *error = nullptr;
    TbStatus status = tb_workflow_start(
        client, start_request("LongRunningWorkflow", workflow_id, "[600]").c_str(), nullptr,
        nullptr, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);

    TbClient *doomed = nullptr;
    status = tb_client_connect(connect_options().c_str(), &doomed, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    Batch batch(count);
    std::string request = "{\"workflow_id\":\"" + workflow_id + "\"}";
    for (size_t i = 0; i < count; i++) {
        status = tb_workflow_get_result_async(doomed, request.c_str(), nullptr, Batch::callback,
                                              batch.slot(i));
        CHECK_STATUS(status, TB_STATUS_OK, "(scheduling)");
    }
    tb_client_free(doomed);
    batch.wait_all(10s);
    for (const Outcome &o : batch.outcomes())
        CHECK_ERROR(o.status, TB_STATUS_CANCELLED, o.error.c_str(), "closed");

    char status_text[64];
    describe_status(client, workflow_id.c_str(), status_text, sizeof status_text);
    CHECK(strcmp(status_text, "running") == 0, "describe says %s", status_text);
    terminate_quietly(client, workflow_id.c_str());
    printf("ok - freeing a client completes each of its %zu in-flight async calls with "
           "cancelled\n", count);
}

void test_async_argument_errors(const TbClient *client) {
    // No callback: nothing can be reported later, so the call says so now.
    TbStatus status = tb_client_call_async(client, "describe_workflow", "{}", nullptr, nullptr,
                                           nullptr);
    CHECK(status == TB_STATUS_INVALID_ARGUMENT, "NULL callback gave %s", tb_status_name(status));
    status = tb_client_connect_async("{}", nullptr, nullptr);
    CHECK(status == TB_STATUS_INVALID_ARGUMENT, "NULL callback gave %s", tb_status_name(status));

    Batch batch(5);
    const char bad_utf8[] = {'{', '"', '\xff', '"', '}', '\0'};
    CHECK_STATUS(tb_client_call_async(nullptr, "describe_workflow", "{}", nullptr,
                                      Batch::callback, batch.slot(0)),
                 TB_STATUS_OK, "(scheduling)");
    CHECK_STATUS(tb_client_call_async(client, nullptr, "{}", nullptr, Batch::callback,
                                      batch.slot(1)),
                 TB_STATUS_OK, "(scheduling)");
    CHECK_STATUS(tb_workflow_describe_async(client, nullptr, nullptr, Batch::callback,
                                            batch.slot(2)),
                 TB_STATUS_OK, "(scheduling)");
    CHECK_STATUS(tb_workflow_cancel_async(client, bad_utf8, nullptr, Batch::callback,
                                          batch.slot(3)),
                 TB_STATUS_OK, "(scheduling)");
    CHECK_STATUS(tb_client_call_async(client, "no_such_operation", "{}", nullptr,
                                      Batch::callback, batch.slot(4)),
                 TB_STATUS_OK, "(scheduling)");
    batch.wait_all(10s);
    const char *mentions[] = {"client is NULL", "operation is NULL", "request_json is NULL",
                              "not valid UTF-8", "no_such_operation"};
    for (size_t i = 0; i < 5; i++) {
        const Outcome &o = batch.outcomes()[i];
        CHECK_ERROR(o.status, TB_STATUS_INVALID_ARGUMENT, o.error.c_str(), mentions[i]);
        CHECK(o.thread != std::this_thread::get_id(), "callback on the caller's thread");
    }
    printf("ok - async argument errors reach the callback; a NULL callback is refused\n");
}

// A callback that makes blocking calls itself, on the library's thread.
void test_blocking_call_inside_callback(const TbClient *client) {
    struct Nested {
        const TbClient *client;
        std::string workflow_id;
        std::mutex mutex;
        std::condition_variable changed;
        int calls = 0;
        TbStatus inner_status = TB_STATUS_INTERNAL;
        std::string inner;
    };
    const size_t count = 8;  // more than the runtime has worker threads
    std::vector<std::unique_ptr<Nested>> nested;
    for (size_t i = 0; i < count; i++) {
        auto n = std::make_unique<Nested>();
        n->client = client;
        n->workflow_id = id("nested");
        nested.push_back(std::move(n));
    }
    auto callback = [](void *user_data, TbStatus status, const char *, const char *error) {
        auto *n = static_cast<Nested *>(user_data);
        CHECK_STATUS(status, TB_STATUS_OK, error);
        std::string request = "{\"workflow_id\":\"" + n->workflow_id + "\",\"call_timeout\":\"60s\"}";
        char *response = nullptr;
        char *inner_error = nullptr;
        TbStatus inner = tb_workflow_get_result(n->client, request.c_str(), nullptr, &response,
                                                &inner_error);
        std::lock_guard<std::mutex> lock(n->mutex);
        n->calls += 1;
        n->inner_status = inner;
        n->inner = response ? response : (inner_error ? inner_error : "");
        tb_string_free(response);
        tb_string_free(inner_error);
        n->changed.notify_all();
    };
    for (auto &n : nested) {
        std::string request = start_request("EchoWorkflow", n->workflow_id, "[\"nested\"]");
        CHECK_STATUS(tb_workflow_start_async(client, request.c_str(), nullptr, callback, n.get()),
                     TB_STATUS_OK, "(scheduling)");
    }
    for (auto &n : nested) {
        std::unique_lock<std::mutex> lock(n->mutex);
        CHECK(n->changed.wait_for(lock, 60s, [&] { return n->calls > 0; }),
              "nested callback never finished (deadlock?)");
        CHECK_STATUS(n->inner_status, TB_STATUS_OK, n->inner.c_str());
        CHECK_HAS(n->inner.c_str(), "\"result\":\"nested\"");
    }
    printf("ok - %zu callbacks each make a blocking call without starving the library\n",
           count);
}

}  // namespace

int main() {
    ClientPtr client = test_connect_async();
    test_many_concurrent_calls(client.get());
    test_thousand_calls_run_callbacks_on_few_threads();
    test_token_cancels_async_wait(client.get());
    test_free_client_with_calls_in_flight(client.get());
    test_async_argument_errors(client.get());
    test_blocking_call_inside_callback(client.get());
    return 0;
}
