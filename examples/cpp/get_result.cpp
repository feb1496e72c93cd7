// Example 2: in a separate process, knowing only the workflow ID, wait for
// the workflow's result and print it.
// Usage: get_result <workflow-id>
#include "example.hpp"

#include <iostream>

int main(int argc, char** argv) try {
    if (argc != 2) {
        std::cerr << "usage: get_result <workflow-id>\n";
        return 2;
    }
    std::string workflow_id = argv[1];
    tb::Client client = example::connect();
    // Blocks until the workflow closes (the server long-polls its history).
    std::string response = client.get_result("{\"workflow_id\": " + example::quote(workflow_id) + "}");
    // {"workflow_id": "...", "run_id": "...", "result": <any JSON value>}
    std::cout << "Workflow " << workflow_id << " result: " << example::member(response, "result") << "\n";
    return 0;
} catch (const tb::Error& error) {
    std::cerr << "get_result failed: " << error.kind() << " " << error.what() << "\n";
    return 1;
}
