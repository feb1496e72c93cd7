package main

import (
	"encoding/json"
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
	env.RegisterWorkflowWithOptions(CodecEchoWorkflow, workflow.RegisterOptions{Name: CodecEchoWorkflowName})
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

// asJSON is v's JSON text, so values decoded as interface{} compare by content.
func asJSON(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// driveCodecEcho sends CodecEchoWorkflow two appends, queries it, updates its
// input, queries again, and finally sends finish(finishArg) and right after
// it, in the same workflow task, one more append: only the workflow's drain
// of the append channel sees that last one. The returned counter reaches
// codecEchoChecks once both queries and the update have been checked.
func driveCodecEcho(t *testing.T, env *testsuite.TestWorkflowEnvironment, finishArg string) *int {
	checked := new(int)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(CodecAppendSignal, 1)
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(CodecAppendSignal, map[string]interface{}{"b": "x"})
	}, 2*time.Second)
	env.RegisterDelayedCallback(func() {
		value, err := env.QueryWorkflow(CodecStateQuery)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		var state map[string]interface{}
		if err := value.Get(&state); err != nil {
			t.Errorf("query result: %v", err)
			return
		}
		if got, want := asJSON(t, state), `{"input":{"a":1},"signals":[1,{"b":"x"}]}`; got != want {
			t.Errorf("state before update = %s, want %s", got, want)
		}
		*checked++
	}, 3*time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(CodecSetInputUpdate, "update-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("update rejected: %v", err) },
			OnComplete: func(result interface{}, err error) {
				if err != nil {
					t.Errorf("update failed: %v", err)
					return
				}
				if got, want := asJSON(t, result), `{"previous":{"a":1}}`; got != want {
					t.Errorf("update result = %s, want %s", got, want)
				}
				*checked++
			},
		}, []interface{}{"new", nil})
	}, 4*time.Second)
	env.RegisterDelayedCallback(func() {
		value, err := env.QueryWorkflow(CodecStateQuery)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		var state map[string]interface{}
		if err := value.Get(&state); err != nil {
			t.Errorf("query result: %v", err)
			return
		}
		if got, want := asJSON(t, state), `{"input":["new",null],"signals":[1,{"b":"x"}]}`; got != want {
			t.Errorf("state after update = %s, want %s", got, want)
		}
		*checked++
	}, 5*time.Second)
	env.RegisterDelayedCallback(func() {
		// Both signals reach the workflow in one workflow task, finish first.
		env.SignalWorkflowSkippingWorkflowTask(CodecFinishSignal, finishArg)
		env.SignalWorkflow(CodecAppendSignal, "late")
	}, 6*time.Second)
	return checked
}

const codecEchoChecks = 3

const codecEchoFinalState = `{"input":["new",null],"signals":[1,{"b":"x"},"late"]}`

func TestCodecEchoWorkflow(t *testing.T) {
	env := newEnv(t, t.TempDir())
	checked := driveCodecEcho(t, env, "ok")
	env.ExecuteWorkflow(CodecEchoWorkflowName, map[string]interface{}{"a": 1})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow not completed")
	}
	if *checked != codecEchoChecks {
		t.Fatalf("%d of %d query/update checks ran", *checked, codecEchoChecks)
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var got map[string]interface{}
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if s := asJSON(t, got); s != codecEchoFinalState {
		t.Fatalf("result %s, want %s", s, codecEchoFinalState)
	}
}

func TestCodecEchoWorkflowFailsOnRequest(t *testing.T) {
	env := newEnv(t, t.TempDir())
	checked := driveCodecEcho(t, env, CodecFailRequest)
	env.ExecuteWorkflow(CodecEchoWorkflowName, map[string]interface{}{"a": 1})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow not completed")
	}
	if *checked != codecEchoChecks {
		t.Fatalf("%d of %d query/update checks ran", *checked, codecEchoChecks)
	}
	assertCodecRequestedFailure(t, env.GetWorkflowError())
}

// The same contract holds with the AES test codec as the data converter.
func TestCodecEchoWorkflowWithAESCodec(t *testing.T) {
	for _, finishArg := range []string{"ok", CodecFailRequest} {
		t.Run(finishArg, func(t *testing.T) {
			env := newEnv(t, t.TempDir())
			dc, _, err := converters("aes", true)
			if err != nil {
				t.Fatal(err)
			}
			env.SetDataConverter(dc)
			checked := driveCodecEcho(t, env, finishArg)
			env.ExecuteWorkflow(CodecEchoWorkflowName, map[string]interface{}{"a": 1})
			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow not completed")
			}
			if *checked != codecEchoChecks {
				t.Fatalf("%d of %d query/update checks ran", *checked, codecEchoChecks)
			}
			if finishArg == CodecFailRequest {
				assertCodecRequestedFailure(t, env.GetWorkflowError())
				return
			}
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var got map[string]interface{}
			if err := env.GetWorkflowResult(&got); err != nil {
				t.Fatal(err)
			}
			if s := asJSON(t, got); s != codecEchoFinalState {
				t.Fatalf("result %s, want %s", s, codecEchoFinalState)
			}
		})
	}
}

func assertCodecRequestedFailure(t *testing.T, err error) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("want an ApplicationError, got %v", err)
	}
	if appErr.Type() != CodecFailureType || !appErr.NonRetryable() || appErr.Message() != "codec workflow failed on request" {
		t.Fatalf("type %q, non-retryable %v, message %q", appErr.Type(), appErr.NonRetryable(), appErr.Message())
	}
	var details map[string]interface{}
	if err := appErr.Details(&details); err != nil {
		t.Fatal(err)
	}
	if s := asJSON(t, details); s != codecEchoFinalState {
		t.Fatalf("details %s, want %s", s, codecEchoFinalState)
	}
}
