// Example 3: start CancellableWorkflow, cancel it by ID once its activity
// runs, wait for the outcome, and show that it ended canceled after its
// cleanup activity ran (the Go worker writes <TB_CLEANUP_DIR>/<workflow ID>).
#include "example.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

int main() try {
    tb::Client client = example::connect();
    std::string workflow_id = example::new_workflow_id("cancel");
    std::string by_id = "{\"workflow_id\": " + example::quote(workflow_id) + "}";

    std::string started = client.start_workflow(
        "{\"workflow_type\": \"CancellableWorkflow\","
        " \"task_queue\": " + example::quote(example::env_or("TB_TASK_QUEUE", "mytaskqueue")) + ","
        " \"workflow_id\": " + example::quote(workflow_id) + "}");
    std::cout << "Started workflow WorkflowID " << workflow_id << " RunID "
              << example::string_member(started, "run_id") << "\n";

    // Cancel once the long activity is running, so there is work to clean up.
    for (int attempt = 0; attempt < 300; attempt++) {
        std::string pending = example::member(client.describe_workflow(by_id), "pending_activities");
        if (!pending.empty() && pending != "[]") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    client.cancel_workflow("{\"workflow_id\": " + example::quote(workflow_id) +
                           ", \"reason\": \"example 3 cancels it\"}");
    std::cout << "Requested cancellation of " << workflow_id << "\n";

    // The workflow runs its cleanup, then ends Canceled: for a waiting client
    // that is a tb::Error of status TB_STATUS_WORKFLOW_CANCELED.
    bool canceled = false;
    try {
        std::string result = client.get_result(by_id);
        std::cout << "Workflow completed unexpectedly: " << result << "\n";
    } catch (const tb::Error& error) {
        if (error.status() != TB_STATUS_WORKFLOW_CANCELED) throw;
        canceled = true;
        std::cout << "Workflow " << workflow_id << " ended: canceled\n";
    }
    std::cout << "Status: " << example::string_member(client.describe_workflow(by_id), "status") << "\n";

    std::string cleanup_dir = example::env_or("TB_CLEANUP_DIR", "");
    if (!cleanup_dir.empty()) {
        std::string path = cleanup_dir + "/" + workflow_id, text;
        if (std::getline(std::ifstream(path), text))
            std::cout << "Cleanup activity ran: " << path << " says \"" << text << "\"\n";
        else
            std::cout << "Cleanup evidence not found at " << path << "\n";
    }
    return canceled ? 0 : 1;
} catch (const tb::Error& error) {
    std::cerr << "cancel_workflow failed: " << error.kind() << " " << error.what() << "\n";
    return 1;
}
