// Example 4: an activity worker in C++. Workflows written with any SDK call
// these activities by name on TB_ACTIVITY_TASK_QUEUE (default
// cpp-activities); e.g. the Go worker's CallActivityWorkflow.
//
//   Greet(name)       -> "Hello, <name>, from C++!", answered on the library's
//                        thread that got the task;
//   CountPrimes(n)    -> how many primes are <= n, on a thread pool: the
//                        callback moves the task to the pool and returns. It
//                        heartbeats its progress (a retried attempt resumes
//                        from the last one) and stops when cancelled.
//
// Runs until SIGINT or SIGTERM, then shuts down gracefully (running tasks
// get 10 s to finish). Prints "activity worker ready" once polling.
#include "example.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace {

// A few threads that run queued jobs until destroyed.
class ThreadPool {
public:
    explicit ThreadPool(unsigned size) {
        for (unsigned i = 0; i < size; i++) threads_.emplace_back([this] { work(); });
    }
    ~ThreadPool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto& thread : threads_) thread.join();
    }
    void submit(std::function<void()> job) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            jobs_.push_back(std::move(job));
        }
        wake_.notify_one();
    }

private:
    void work() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job();
        }
    }
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    bool stopping_ = false;
};

// The first element of the JSON array member `key` of `json`, as an integer.
long long first_integer(const std::string& json, const char* key, long long fallback) {
    std::string list = example::member(json, key);
    if (list.size() < 3 || list[0] != '[') return fallback;
    return std::strtoll(list.c_str() + 1, nullptr, 10);
}

void count_primes(tb::ActivityTask& task) {
    std::string info = task.info();
    long long n = first_integer(info, "args", 0);
    // Resume from the last heartbeat of an earlier attempt: [checked, found].
    std::string progress = example::member(info, "heartbeat_details");
    long long from = 2, found = 0;
    long long checked = 0, count = 0;
    if (std::sscanf(progress.c_str(), "[[%lld,%lld]]", &checked, &count) == 2) {
        from = checked + 1;
        found = count;
    }
    for (long long k = from; k <= n; k++) {
        bool prime = true;
        for (long long d = 2; d * d <= k; d++) {
            if (k % d == 0) {
                prime = false;
                break;
            }
        }
        found += prime;
        if (k % 20000 == 0) {
            task.heartbeat("[[" + std::to_string(k) + "," + std::to_string(found) + "]]");
            if (task.cancelled()) {
                std::cerr << "CountPrimes cancelled (" << task.cancel_reason() << ") at " << k << "\n";
                task.answer("{\"cancelled\": {\"details\": [" + std::to_string(k) + "]}}");
                return;
            }
        }
    }
    task.answer("{\"result\": " + std::to_string(found) + "}");
}

}  // namespace

int main() try {
    // Signals are taken by sigwait below: block them before any thread starts.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    std::string queue = example::env_or("TB_ACTIVITY_TASK_QUEUE", "cpp-activities");
    tb::Client client = example::connect();
    ThreadPool pool(std::max(2u, std::thread::hardware_concurrency()));
    tb::Worker worker(client, "{\"task_queue\": " + example::quote(queue) +
                                  ", \"max_concurrent\": 16, \"graceful_shutdown_timeout\": \"10s\"}");
    worker.add("Greet", [](tb::ActivityTask& task) {
        std::string name = example::member(task.info(), "args");  // ["World"]
        name = name.size() > 4 ? name.substr(2, name.size() - 4) : "stranger";
        task.answer("{\"result\": " + example::quote("Hello, " + name + ", from C++!") + "}");
    });
    worker.add("CountPrimes", [&pool](tb::ActivityTask& task) {
        // Moved to the pool; this library thread returns at once.
        auto owned = std::make_shared<tb::ActivityTask>(std::move(task));
        pool.submit([owned] {
            try {
                count_primes(*owned);
            } catch (const std::exception& e) {
                owned->fail_quietly(e.what(), "CppException");
            }
        });
    });
    worker.start();
    std::cout << "activity worker ready on " << queue << std::endl;

    int signal = 0;
    sigwait(&stop_signals, &signal);
    std::cout << "shutting down" << std::endl;
    worker.shutdown();
    worker.wait();
    std::cout << "activity worker stopped: " << worker.stats() << std::endl;
    return 0;
} catch (const tb::Error& error) {
    std::cerr << "activity worker failed: " << error.kind() << " " << error.what() << "\n";
    return 1;
}
