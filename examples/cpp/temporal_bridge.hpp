// RAII wrappers over the C handles of temporal_bridge.h: a Client that frees
// itself, response strings owned by std::string, and failed calls thrown as
// tb::Error carrying the status and the JSON error object. Requests and
// responses stay JSON text, as in the C API; bring your own JSON library to
// build and read them.
#pragma once

#include "temporal_bridge.h"

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

}  // namespace tb
