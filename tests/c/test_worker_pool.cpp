// Activity workers in C++ with a thread pool: the callback only queues its
// task and returns; pool threads run the work, heartbeat and answer. A
// temporalio workflow (CallActivityWorkflow) calls the activities: twenty
// concurrent calls all arrive; cancelling the workflow cancels a heartbeating
// activity, whose cleanup runs before it answers, and the workflow's own
// cleanup activity runs after; a worker shut down with a task running lets it
// finish within its grace period.
#include "tb_test.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// A fixed set of threads running queued jobs.
class Pool {
  public:
    explicit Pool(size_t threads) {
        for (size_t i = 0; i < threads; i++) threads_.emplace_back([this] { loop(); });
    }
    Pool(const Pool &) = delete;
    Pool &operator=(const Pool &) = delete;
    ~Pool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        for (auto &thread : threads_) thread.join();
    }

    void submit(std::function<void()> job) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            jobs_.push_back(std::move(job));
        }
        ready_.notify_one();
    }

  private:
    void loop() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job();
        }
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    bool stopping_ = false;
};

// What the activities tell the test.
struct Events {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> seen;

    void add(std::string event) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            seen.push_back(std::move(event));
        }
        changed.notify_all();
    }

    // Waits (at most a minute) until `event` was seen.
    void wait_for(const std::string &event) {
        std::unique_lock<std::mutex> lock(mutex);
        bool found = changed.wait_for(lock, std::chrono::seconds(60), [&] {
            for (auto &e : seen)
                if (e == event) return true;
            return false;
        });
        CHECK(found, "never saw %s", event.c_str());
    }
};

struct Context {
    Pool *pool;
    Events *events;
};

void answer(TbActivityTask *task, const std::string &json) {
    char *error = nullptr;
    TbStatus status = tb_activity_task_answer(task, json.c_str(), &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    tb_activity_task_free(task);
}

// "Square": n -> n * n, on a pool thread.
void square(void *user_data, TbActivityTask *task) {
    auto *context = static_cast<Context *>(user_data);
    context->pool->submit([task, context] {
        const char *args = strstr(tb_activity_task_info(task), "\"args\":[");
        CHECK(args != nullptr, "no args");
        long long n = strtoll(args + 8, nullptr, 10);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        context->events->add("square");
        answer(task, "{\"result\":" + std::to_string(n * n) + "}");
    });
}

// "Crunch": heartbeats its progress until cancelled, then cleans up and
// answers cancelled.
void crunch(void *user_data, TbActivityTask *task) {
    auto *context = static_cast<Context *>(user_data);
    context->pool->submit([task, context] {
        context->events->add("crunching");
        int step = 0;
        while (!tb_activity_task_wait_cancelled(task, 50)) {
            char *error = nullptr;
            std::string details = "[" + std::to_string(++step) + "]";
            TbStatus status = tb_activity_task_heartbeat(task, details.c_str(), &error);
            CHECK_STATUS(status, TB_STATUS_OK, error);
        }
        context->events->add(std::string("cancelled: ") + tb_activity_task_cancel_reason(task));
        context->events->add("crunch cleanup");  // the activity's own cleanup
        answer(task, "{\"cancelled\":{\"details\":[\"cleaned up after " +
                         std::to_string(step) + " steps\"]}}");
    });
}

// "Cleanup": the workflow's cleanup activity, given the workflow ID.
void cleanup(void *user_data, TbActivityTask *task) {
    auto *context = static_cast<Context *>(user_data);
    context->events->add("workflow cleanup");
    answer(task, "{\"result\":null}");
}

// "Slow": takes a second, then answers; says whether shutdown had begun.
void slow(void *user_data, TbActivityTask *task) {
    auto *context = static_cast<Context *>(user_data);
    context->pool->submit([task, context] {
        context->events->add("slow started");
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        bool shutting_down = tb_activity_task_is_worker_shutting_down(task);
        bool cancelled = tb_activity_task_is_cancelled(task);
        answer(task, std::string("{\"result\":{\"shutting_down\":") +
                         (shutting_down ? "true" : "false") +
                         ",\"cancelled\":" + (cancelled ? "true" : "false") + "}}");
    });
}

TbWorker *start_worker(TbClient *client, const std::string &queue, const char *extra,
                       Context *context,
                       std::vector<std::pair<const char *, TbActivityCallback>> activities) {
    char *error = nullptr;
    TbWorker *worker = nullptr;
    std::string options = "{\"task_queue\":\"" + queue + "\"" + extra + "}";
    TbStatus status = tb_worker_new(client, options.c_str(), &worker, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    for (auto &[name, callback] : activities) {
        status = tb_worker_register(worker, name, callback, context, nullptr, &error);
        CHECK_STATUS(status, TB_STATUS_OK, error);
    }
    status = tb_worker_start(worker, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    return worker;
}

std::string call_activity(TbClient *client, const std::string &input) {
    char id[256];
    unique_id("pool", id, sizeof id);
    start_workflow(client, "CallActivityWorkflow", id, ("[" + input + "]").c_str());
    return id;
}

}  // namespace

int main() {
    TbClient *client = test_connect();
    Events events;
    Pool pool(4);
    Context context{&pool, &events};
    char queue_buffer[128];
    unique_id("pool-queue", queue_buffer, sizeof queue_buffer);
    std::string queue = queue_buffer;

    TbWorker *worker = start_worker(client, queue, ",\"max_concurrent\":8", &context,
                                    {{"Square", square}, {"Crunch", crunch}, {"Cleanup", cleanup}});

    // Twenty concurrent calls, eight at a time on four pool threads.
    std::string id = call_activity(
        client, "{\"activity\":\"Square\",\"task_queue\":\"" + queue +
                    "\",\"args\":[7],\"count\":20}");
    char *response = nullptr, *error = nullptr;
    TbStatus status = get_result(client, id.c_str(), "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    std::string all = "[49";
    for (int i = 1; i < 20; i++) all += ",49";
    CHECK_HAS(response, ("\"result\":" + all + "]").c_str());
    tb_string_free(response);

    // Cancelling the workflow cancels the heartbeating activity; its cleanup
    // runs, then the workflow's cleanup activity, and the workflow ends
    // canceled.
    id = call_activity(client, "{\"activity\":\"Crunch\",\"task_queue\":\"" + queue +
                                   "\",\"heartbeat_timeout_ms\":2000,"
                                   "\"cleanup_activity\":\"Cleanup\"}");
    events.wait_for("crunching");
    response = call_ok(client, "cancel_workflow",
                       ("{\"workflow_id\":\"" + id + "\"}").c_str());
    tb_string_free(response);
    events.wait_for("cancelled: cancel_requested");
    events.wait_for("crunch cleanup");
    events.wait_for("workflow cleanup");
    status = get_result(client, id.c_str(), "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_WORKFLOW_CANCELED, error);
    tb_string_free(error);
    error = nullptr;

    char *stats = nullptr;
    status = tb_worker_stats(worker, &stats, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_HAS(stats, "\"completed\":21");
    CHECK_HAS(stats, "\"cancelled\":1");
    tb_string_free(stats);
    tb_worker_free(worker);

    // Shutdown with a task running: it finishes within the grace period.
    worker = start_worker(client, queue, ",\"graceful_shutdown_timeout\":\"20s\"", &context,
                          {{"Slow", slow}});
    id = call_activity(client, "{\"activity\":\"Slow\",\"task_queue\":\"" + queue + "\"}");
    events.wait_for("slow started");
    tb_worker_shutdown(worker);
    status = tb_worker_wait(worker, 30000, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    status = get_result(client, id.c_str(), "60s", &response, &error);
    CHECK_STATUS(status, TB_STATUS_OK, error);
    CHECK_HAS(response, "{\"cancelled\":false,\"shutting_down\":true}");
    tb_string_free(response);
    tb_worker_free(worker);

    tb_client_free(client);
    printf("test_worker_pool: ok\n");
    return 0;
}
