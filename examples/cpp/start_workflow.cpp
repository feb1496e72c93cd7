// Example 1: start the Go worker's MySimpleWorkflow by its type name, with
// the ID myworkflow_<uuid> on TB_TASK_QUEUE, and print its IDs.
// Usage: start_workflow [name]   (default name: World)
#include "example.hpp"

#include <iostream>

int main(int argc, char** argv) try {
    tb::Client client = example::connect();
    std::string name = argc > 1 ? argv[1] : "World";
    std::string response = client.start_workflow(
        "{\"workflow_type\": \"MySimpleWorkflow\","
        " \"task_queue\": " + example::quote(example::env_or("TB_TASK_QUEUE", "mytaskqueue")) + ","
        " \"workflow_id\": " + example::quote(example::new_workflow_id("myworkflow")) + ","
        " \"args\": [" + example::quote(name) + "]}");
    // {"workflow_id": "...", "run_id": "...", "started": true, "first_execution_run_id": "..."}
    std::cout << "Started workflow WorkflowID " << example::string_member(response, "workflow_id")
              << " RunID " << example::string_member(response, "run_id") << "\n";
    return 0;
} catch (const tb::Error& error) {
    std::cerr << "start_workflow failed: " << error.kind() << " " << error.what() << "\n";
    return 1;
}
