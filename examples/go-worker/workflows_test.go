package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
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
	env.RegisterWorkflowWithOptions(CallActivityWorkflow, workflow.RegisterOptions{Name: CallActivityWorkflowName})
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

// remoteQueue stands for the task queue of another worker's activities; the
// test environment runs the fake activities registered below whatever the
// queue, so they report the queue they were scheduled on.
const remoteQueue = "remote-activities"

// registerRemote registers fn as an activity under the type name name, as
// another worker would.
func registerRemote(env *testsuite.TestWorkflowEnvironment, name string, fn interface{}) {
	env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
}

// callActivity runs CallActivityWorkflow with input and returns its result as
// JSON text.
func callActivity(t *testing.T, env *testsuite.TestWorkflowEnvironment, input map[string]interface{}) string {
	t.Helper()
	env.ExecuteWorkflow(CallActivityWorkflowName, input)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var got json.RawMessage
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	return string(got)
}

func TestCallActivityWorkflowPassesArgsAndReturnsResult(t *testing.T) {
	env := newEnv(t, t.TempDir())
	// 2^53+1 does not survive a float64, so this also checks that arguments
	// and results pass through as JSON text.
	registerRemote(env, "remote_echo", func(ctx context.Context, s string, n int64, obj map[string]interface{}, null *string) (map[string]interface{}, error) {
		return map[string]interface{}{
			"s": s, "n": n, "obj": obj, "null_is_nil": null == nil,
			"task_queue": activity.GetInfo(ctx).TaskQueue,
		}, nil
	})
	got := callActivity(t, env, map[string]interface{}{
		"activity":   "remote_echo",
		"task_queue": remoteQueue,
		"args":       []interface{}{"x", json.Number("9007199254740993"), map[string]interface{}{"k": []int{1, 2}}, nil},
	})
	want := `{"n":9007199254740993,"null_is_nil":true,"obj":{"k":[1,2]},"s":"x","task_queue":"remote-activities"}`
	if got != want {
		t.Fatalf("result %s, want %s", got, want)
	}
}

// The test environment neither reports an activity's retry policy to it nor
// waits for a canceled activity, so the options are checked directly.
func TestCallActivityInputActivityOptions(t *testing.T) {
	defaultRetry := &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 1, MaximumAttempts: 1}
	for _, tc := range []struct {
		name  string
		input string
		want  workflow.ActivityOptions
	}{
		{"defaults", `{}`, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			WaitForCancellation: true,
			RetryPolicy:         defaultRetry,
		}},
		{"explicit", `{"start_to_close_timeout_ms": 5000, "schedule_to_close_timeout_ms": 9000,
			"heartbeat_timeout_ms": 2000, "wait_for_cancellation": false,
			"retry": {"maximum_attempts": 4, "initial_interval_ms": 50, "backoff_coefficient": 2.5,
				"maximum_interval_ms": 400, "non_retryable_error_types": ["Fatal"]}}`,
			workflow.ActivityOptions{
				StartToCloseTimeout:    5 * time.Second,
				ScheduleToCloseTimeout: 9 * time.Second,
				HeartbeatTimeout:       2 * time.Second,
				RetryPolicy: &temporal.RetryPolicy{
					InitialInterval:        50 * time.Millisecond,
					BackoffCoefficient:     2.5,
					MaximumInterval:        400 * time.Millisecond,
					MaximumAttempts:        4,
					NonRetryableErrorTypes: []string{"Fatal"},
				},
			}},
		{"empty retry", `{"retry": {}, "wait_for_cancellation": true}`, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			WaitForCancellation: true,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 1},
		}},
		{"nulls are defaults", `{"retry": null, "wait_for_cancellation": null, "start_to_close_timeout_ms": null}`, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			WaitForCancellation: true,
			RetryPolicy:         defaultRetry,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in CallActivityInput
			if err := json.Unmarshal([]byte(tc.input), &in); err != nil {
				t.Fatal(err)
			}
			in.TaskQueue = remoteQueue
			tc.want.TaskQueue = remoteQueue
			if got := in.activityOptions(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("options\n%+v\nwant\n%+v (retry %+v, want %+v)", got, tc.want, got.RetryPolicy, tc.want.RetryPolicy)
			}
		})
	}
}

func TestCallActivityWorkflowPropagatesFailure(t *testing.T) {
	for _, tc := range []struct {
		name      string
		retry     map[string]interface{}
		wantCalls int32
	}{
		{"no retry by default", nil, 1},
		{"retried", map[string]interface{}{"maximum_attempts": 3}, 3},
		{"non-retryable type", map[string]interface{}{"maximum_attempts": 3, "non_retryable_error_types": []string{"RemoteFailure"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, t.TempDir())
			var mu sync.Mutex
			var calls int32
			registerRemote(env, "remote_fail", func(ctx context.Context) (string, error) {
				mu.Lock()
				calls++
				mu.Unlock()
				return "", temporal.NewApplicationError("remote boom", "RemoteFailure", map[string]interface{}{"k": 1})
			})
			input := map[string]interface{}{"activity": "remote_fail", "task_queue": remoteQueue}
			if tc.retry != nil {
				input["retry"] = tc.retry
			}
			env.ExecuteWorkflow(CallActivityWorkflowName, input)
			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow not completed")
			}
			err := env.GetWorkflowError()
			var actErr *temporal.ActivityError
			if !errors.As(err, &actErr) {
				t.Fatalf("want an ActivityError, got %v", err)
			}
			var appErr *temporal.ApplicationError
			if !errors.As(actErr.Unwrap(), &appErr) {
				t.Fatalf("want an ApplicationError cause, got %v", actErr.Unwrap())
			}
			var details map[string]interface{}
			if err := appErr.Details(&details); err != nil {
				t.Fatal(err)
			}
			if appErr.Type() != "RemoteFailure" || appErr.Message() != "remote boom" || asJSON(t, details) != `{"k":1}` {
				t.Fatalf("type %q, message %q, details %v", appErr.Type(), appErr.Message(), details)
			}
			if calls != tc.wantCalls {
				t.Fatalf("activity ran %d times, want %d", calls, tc.wantCalls)
			}
		})
	}
}

func TestCallActivityWorkflowCount(t *testing.T) {
	for _, tc := range []struct {
		count int
		want  string
	}{
		{0, `"x!"`},
		{1, `["x!"]`},
		{3, `["x!","x!","x!"]`},
	} {
		t.Run(fmt.Sprint("count=", tc.count), func(t *testing.T) {
			env := newEnv(t, t.TempDir())
			// Every copy waits until all of them have started: they only
			// complete if they run concurrently.
			var started sync.WaitGroup
			started.Add(max(tc.count, 1))
			allStarted := make(chan struct{})
			go func() { started.Wait(); close(allStarted) }()
			registerRemote(env, "remote_exclaim", func(ctx context.Context, s string) (string, error) {
				started.Done()
				select {
				case <-allStarted:
					return s + "!", nil
				case <-time.After(5 * time.Second):
					return "", errors.New("the copies did not run concurrently")
				}
			})
			input := map[string]interface{}{"activity": "remote_exclaim", "task_queue": remoteQueue, "args": []string{"x"}}
			if tc.count != 0 {
				input["count"] = tc.count
			}
			if got := callActivity(t, env, input); got != tc.want {
				t.Fatalf("result %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCallActivityWorkflowCancellationRunsCleanup(t *testing.T) {
	for _, tc := range []struct {
		name  string
		count int
	}{
		{"one activity", 0},
		{"two copies", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, t.TempDir())
			var mu sync.Mutex
			var events []string
			record := func(event string) {
				mu.Lock()
				defer mu.Unlock()
				events = append(events, event)
			}
			registerRemote(env, "remote_wait", func(ctx context.Context) (string, error) {
				for {
					select {
					case <-ctx.Done():
						return "", ctx.Err()
					case <-time.After(100 * time.Millisecond):
						activity.RecordHeartbeat(ctx)
					}
				}
			})
			// The test environment reports an activity canceled at once
			// (it does not wait for the activity to return).
			env.SetOnActivityCanceledListener(func(info *activity.Info) {
				record("canceled " + info.ActivityType.Name)
			})
			registerRemote(env, "remote_cleanup", func(ctx context.Context, workflowID string) error {
				record("cleanup " + workflowID)
				return nil
			})
			env.SetStartWorkflowOptions(startOptions("call-cancel-test"))
			env.SetTestTimeout(30 * time.Second)
			env.RegisterDelayedCallback(env.CancelWorkflow, time.Second)
			input := map[string]interface{}{
				"activity":         "remote_wait",
				"task_queue":       remoteQueue,
				"cleanup_activity": "remote_cleanup",
			}
			if tc.count != 0 {
				input["count"] = tc.count
			}
			env.ExecuteWorkflow(CallActivityWorkflowName, input)
			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow not completed")
			}
			var canceled *temporal.CanceledError
			if err := env.GetWorkflowError(); !errors.As(err, &canceled) {
				t.Fatalf("want CanceledError, got %v", err)
			}
			want := `["canceled remote_wait","cleanup call-cancel-test"]`
			if tc.count == 2 {
				want = `["canceled remote_wait","canceled remote_wait","cleanup call-cancel-test"]`
			}
			mu.Lock()
			defer mu.Unlock()
			if got := asJSON(t, events); got != want {
				t.Fatalf("events %s, want %s", got, want)
			}
		})
	}
}

func TestCallActivityWorkflowRequiresActivityAndTaskQueue(t *testing.T) {
	for _, input := range []map[string]interface{}{
		{"task_queue": remoteQueue},
		{"activity": "remote_echo"},
	} {
		env := newEnv(t, t.TempDir())
		env.ExecuteWorkflow(CallActivityWorkflowName, input)
		var appErr *temporal.ApplicationError
		if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != CallActivityInvalidInputType {
			t.Fatalf("input %v: want a %s error, got %v", input, CallActivityInvalidInputType, err)
		}
	}
}

func TestCallActivityWorkflowNullResult(t *testing.T) {
	env := newEnv(t, t.TempDir())
	registerRemote(env, "remote_nothing", func(ctx context.Context) error { return nil })
	got := callActivity(t, env, map[string]interface{}{"activity": "remote_nothing", "task_queue": remoteQueue, "count": 2})
	if got != `[null,null]` {
		t.Fatalf("result %s, want [null,null]", got)
	}
	env = newEnv(t, t.TempDir())
	registerRemote(env, "remote_nothing", func(ctx context.Context) error { return nil })
	env.ExecuteWorkflow(CallActivityWorkflowName, map[string]interface{}{"activity": "remote_nothing", "task_queue": remoteQueue})
	var result interface{} = "unset"
	if err := env.GetWorkflowResult(&result); err != nil || result != nil {
		t.Fatalf("result %v (%v), want nil", result, err)
	}
}
