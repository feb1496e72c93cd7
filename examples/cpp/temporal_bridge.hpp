// RAII wrappers over the C handles of temporal_bridge.h: a Client that frees
// itself, response strings owned by std::string, and failed calls thrown as
// tb::Error carrying the status and the JSON error object. Requests and
// responses stay JSON text, as in the C API; bring your own JSON library to
// build and read them.
#pragma once

#include "temporal_bridge.h"

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace tb {

// A failed call: `status()` is its kind (e.g. TB_STATUS_WORKFLOW_CANCELED),
// `what()` the JSON error object {"kind", "message", "details"}.
class Error : public std::runtime_error {
public:
    Error(TbStatus status, std::string json) : std::runtime_error(std::move(json)), status_(status) {}
    TbStatus status() const noexcept { return status_; }
    const char* kind() const noexcept { return tb_status_name(status_); }

private:
    TbStatus status_;
};

namespace detail {
struct StringFree {
    void operator()(char* s) const noexcept { tb_string_free(s); }
};
struct ClientFree {
    void operator()(TbClient* c) const noexcept { tb_client_free(c); }
};
struct CancelTokenFree {
    void operator()(TbCancelToken* t) const noexcept { tb_cancel_token_free(t); }
};
struct WorkerFree {
    void operator()(TbWorker* w) const noexcept { tb_worker_free(w); }
};
struct TaskFree {
    void operator()(TbActivityTask* t) const noexcept { tb_activity_task_free(t); }
};
// Takes ownership of a string the library returned (NULL becomes "").
inline std::string take(char* s) {
    std::unique_ptr<char, StringFree> owned(s);
    return owned ? std::string(owned.get()) : std::string();
}
}  // namespace detail

// Abandons the calls given it when cancelled (from any thread); the workflow
// itself is never touched. Move-only.
class CancelToken {
public:
    CancelToken() : handle_(tb_cancel_token_new()) {}
    void cancel() const noexcept { tb_cancel_token_cancel(handle_.get()); }
    bool cancelled() const noexcept { return tb_cancel_token_is_cancelled(handle_.get()); }
    const TbCancelToken* get() const noexcept { return handle_.get(); }

private:
    std::unique_ptr<TbCancelToken, detail::CancelTokenFree> handle_;
};

// A connected client. Move-only; freeing it cancels the calls in flight.
// Calls on one Client may run from any number of threads at once.
class Client {
public:
    using Operation = TbStatus (*)(const TbClient*, const char*, const TbCancelToken*, char**, char**);

    // options_json e.g. {"target": "127.0.0.1:7233", "namespace": "default"}.
    static Client connect(const std::string& options_json) {
        TbClient* raw = nullptr;
        char* error = nullptr;
        TbStatus status = tb_client_connect(options_json.c_str(), &raw, &error);
        if (status != TB_STATUS_OK) throw Error(status, detail::take(error));
        return Client(raw);
    }

    // Each blocks until done and returns the response JSON or throws
    // tb::Error; `cancel` (optional) abandons the call from another thread.
    using Token = const CancelToken*;
    std::string start_workflow(const std::string& request, Token cancel = nullptr) const {
        return call(tb_workflow_start, request, cancel);
    }
    std::string get_result(const std::string& request, Token cancel = nullptr) const {
        return call(tb_workflow_get_result, request, cancel);
    }
    std::string cancel_workflow(const std::string& request, Token cancel = nullptr) const {
        return call(tb_workflow_cancel, request, cancel);
    }
    std::string terminate_workflow(const std::string& request, Token cancel = nullptr) const {
        return call(tb_workflow_terminate, request, cancel);
    }
    std::string describe_workflow(const std::string& request, Token cancel = nullptr) const {
        return call(tb_workflow_describe, request, cancel);
    }

    std::string call(Operation operation, const std::string& request, Token cancel = nullptr) const {
        char* response = nullptr;
        char* error = nullptr;
        TbStatus status = operation(handle_.get(), request.c_str(), cancel ? cancel->get() : nullptr, &response,
                                    &error);
        if (status != TB_STATUS_OK) throw Error(status, detail::take(error));
        return detail::take(response);
    }

    TbClient* get() const noexcept { return handle_.get(); }

private:
    explicit Client(TbClient* raw) : handle_(raw) {}
    std::unique_ptr<TbClient, detail::ClientFree> handle_;
};

// One activity task, owned: heartbeat, watch for cancellation and answer it
// from any thread. Move-only; destroying it unanswered fails the task.
class ActivityTask {
public:
    explicit ActivityTask(TbActivityTask* raw) : handle_(raw) {}

    // False once moved from.
    bool owned() const noexcept { return handle_ != nullptr; }
    // {"activity_type", "workflow_id", "attempt", "args": [...], "heartbeat_details": [...], ...}
    std::string info() const {
        const char* info = tb_activity_task_info(handle_.get());
        return info ? info : "";
    }
    // details_json: a JSON array, e.g. "[42]". Throttled by the library.
    void heartbeat(const std::string& details_json) const {
        char* error = nullptr;
        check(tb_activity_task_heartbeat(handle_.get(), details_json.c_str(), &error), error);
    }
    bool cancelled() const noexcept { return tb_activity_task_is_cancelled(handle_.get()); }
    // "cancel_requested", "timed_out", "worker_shutdown", ...; "" while not cancelled.
    std::string cancel_reason() const {
        const char* reason = tb_activity_task_cancel_reason(handle_.get());
        return reason ? reason : "";
    }
    // Sleeps up to `ms` milliseconds; true (at once) when the task is cancelled.
    bool wait_cancelled(int64_t ms) const noexcept { return tb_activity_task_wait_cancelled(handle_.get(), ms); }
    // answer_json: {"result": ...}, {"failure": {...}}, {"cancelled": {...}} or {"complete_async": true}.
    void answer(const std::string& answer_json) const {
        char* error = nullptr;
        check(tb_activity_task_answer(handle_.get(), answer_json.c_str(), &error), error);
    }

    // Answers a failure; errors (e.g. already answered) are ignored.
    void fail_quietly(const std::string& message, const std::string& type) const noexcept {
        try {
            std::string quoted;
            for (char c : message) {
                if (c == '"' || c == '\\') quoted += '\\';
                if (static_cast<unsigned char>(c) >= 0x20) quoted += c;
            }
            answer("{\"failure\": {\"message\": \"" + quoted + "\", \"type\": \"" + type + "\"}}");
        } catch (...) {
        }
    }

private:
    static void check(TbStatus status, char* error) {
        if (status != TB_STATUS_OK) throw Error(status, detail::take(error));
    }
    std::unique_ptr<TbActivityTask, detail::TaskFree> handle_;
};

// An activity worker on one task queue. Register handlers, start, and shut
// down (the destructor shuts down and waits). A handler is called on a
// library thread of its own for each task of its type: it may do the work
// there, or move the task to another thread and return.
class Worker {
public:
    // Gets the task by reference: answer it there, or std::move it to another
    // thread. An exception thrown while the handler still holds the task
    // fails the task with the exception's message.
    using Handler = std::function<void(ActivityTask&)>;

    // options_json e.g. {"task_queue": "cpp-activities", "max_concurrent": 8}.
    Worker(const Client& client, const std::string& options_json) {
        TbWorker* raw = nullptr;
        char* error = nullptr;
        TbStatus status = tb_worker_new(client.get(), options_json.c_str(), &raw, &error);
        if (status != TB_STATUS_OK) throw Error(status, detail::take(error));
        handle_.reset(raw);
    }

    void add(const std::string& activity_type, Handler handler) {
        char* error = nullptr;
        auto* owned = new Handler(std::move(handler));
        TbStatus status = tb_worker_register(handle_.get(), activity_type.c_str(), &Worker::run, owned,
                                             &Worker::release, &error);
        if (status != TB_STATUS_OK) {
            delete owned;
            throw Error(status, detail::take(error));
        }
    }

    void start() {
        char* error = nullptr;
        TbStatus status = tb_worker_start(handle_.get(), &error);
        if (status != TB_STATUS_OK) throw Error(status, detail::take(error));
    }

    // Asks for shutdown (any thread); wait() returns once it is done.
    void shutdown() const noexcept { tb_worker_shutdown(handle_.get()); }
    void wait() const {
        char* error = nullptr;
        TbStatus status = tb_worker_wait(handle_.get(), -1, &error);
        if (status != TB_STATUS_OK) throw Error(status, detail::take(error));
    }
    std::string stats() const {
        char* stats = nullptr;
        char* error = nullptr;
        TbStatus status = tb_worker_stats(handle_.get(), &stats, &error);
        if (status != TB_STATUS_OK) throw Error(status, detail::take(error));
        return detail::take(stats);
    }

private:
    static void run(void* user_data, TbActivityTask* raw) {
        ActivityTask task(raw);
        try {
            (*static_cast<Handler*>(user_data))(task);
        } catch (const std::exception& e) {
            // Thrown while the handler still held the task: fail it, saying why.
            if (task.owned()) task.fail_quietly(e.what(), "CppException");
        }
    }
    static void release(void* user_data) { delete static_cast<Handler*>(user_data); }

    std::unique_ptr<TbWorker, detail::WorkerFree> handle_;
};

}  // namespace tb
