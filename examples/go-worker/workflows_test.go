package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// These tests use the SDK's in-process test environment (no server). The real
// end-to-end check against a dev server is in README.md.

func newEnv(t *testing.T, cleanupDir string) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(MySimpleWorkflow)
	env.RegisterWorkflowWithOptions(MyWorkflowDefinition, workflow.RegisterOptions{Name: MyWorkflowName})
	env.RegisterWorkflow(CancellableWorkflow)
	env.RegisterActivity(&Activities{CleanupDir: cleanupDir})
	return env
}

func TestMySimpleWorkflow(t *testing.T) {
	env := newEnv(t, t.TempDir())
	env.ExecuteWorkflow("MySimpleWorkflow", "World")
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if got != "Hello, World!" {
		t.Fatalf("got %q", got)
	}
}

func TestMyWorkflowByCustomName(t *testing.T) {
	env := newEnv(t, t.TempDir())
	env.ExecuteWorkflow(MyWorkflowName, map[string]interface{}{"a": 1, "b": "x"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var got map[string]interface{}
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if got["a"] != float64(1) || got["b"] != "x" || got["handled_by"] != MyWorkflowName || len(got) != 3 {
		t.Fatalf("got %v", got)
	}
}

func TestCancellableWorkflowRunsCleanup(t *testing.T) {
	dir := t.TempDir()
	env := newEnv(t, dir)
	env.SetStartWorkflowOptions(startOptions("cancel-test"))
	// The activity runs in real time; give the in-process environment more
	// than its 3s default wall-clock budget on a loaded machine.
	env.SetTestTimeout(30 * time.Second)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Second)
	env.ExecuteWorkflow("CancellableWorkflow")
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow not completed")
	}
	err := env.GetWorkflowError()
	var canceled *temporal.CanceledError
	if !errors.As(err, &canceled) {
		t.Fatalf("want CanceledError, got %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "cancel-test"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != CleanupFileContent {
		t.Fatalf("cleanup file content %q", b)
	}
}

func TestCleanupPath(t *testing.T) {
	for id, want := range map[string]string{
		"wf-1":      "/d/wf-1",
		"a/b":       "/d/a_b",
		"../escape": "/d/.._escape",
		"..":        "/d/_..",
		`win\path`:  "/d/win_path",
	} {
		if got := CleanupPath("/d", id); got != want {
			t.Errorf("CleanupPath(%q) = %q, want %q", id, got, want)
		}
	}
}

func startOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id, TaskQueue: "mytaskqueue"}
}
