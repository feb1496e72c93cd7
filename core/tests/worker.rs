//! Activity workers against a real server: a temporalio workflow
//! (`CallActivityWorkflow` in the harness worker) calls activities that our
//! worker serves, by type name, on the worker's own task queue.

mod common;

use common::{client, none, result_of, start_request, unique_id};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use temporal_bridge_core::{
    ActivityAnswer, ActivityFailure, ActivityHandler, ActivityTask, ActivityWorker,
    ActivityWorkerOptions, CancelReason, Client, ConnectOptions, ErrorKind,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A worker on a fresh queue of `client`, running in a task of its own.
struct Running {
    worker: ActivityWorker,
    run: JoinHandle<temporal_bridge_core::Result<()>>,
}

impl Running {
    fn start(
        client: &Client,
        options: ActivityWorkerOptions,
        handlers: Vec<(&str, ActivityHandler)>,
    ) -> Running {
        let worker = ActivityWorker::new(client, options).unwrap();
        for (name, handler) in handlers {
            worker.register(name, handler).unwrap();
        }
        let run = tokio::spawn({
            let worker = worker.clone();
            async move { worker.run().await }
        });
        Running { worker, run }
    }

    fn queue(&self) -> String {
        self.worker.options().task_queue.clone()
    }

    async fn stop(self) -> temporal_bridge_core::WorkerStats {
        self.worker.shutdown();
        tokio::time::timeout(Duration::from_secs(30), self.run)
            .await
            .expect("the worker stopped")
            .unwrap()
            .expect("the worker ran without a fatal error");
        self.worker.stats()
    }
}

fn queue_options() -> ActivityWorkerOptions {
    ActivityWorkerOptions::new(unique_id("rust-activities"))
}

/// Starts `CallActivityWorkflow` with `input` (plus the worker's queue).
async fn call_activity(client: &Client, queue: &str, mut input: Value) -> String {
    input["task_queue"] = json!(queue);
    let request = start_request("CallActivityWorkflow", vec![input]);
    client
        .start_workflow(&request, &none())
        .await
        .unwrap()
        .workflow_id
}

fn async_fn<F, Fut>(f: F) -> ActivityHandler
where
    F: Fn(ActivityTask) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ActivityAnswer> + Send + 'static,
{
    ActivityHandler::from_async(f)
}

#[tokio::test]
async fn a_workflow_gets_our_activity_result_and_the_task_says_what_it_is() {
    let client = client().await;
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let record = seen.clone();
    let running = Running::start(
        &client,
        queue_options(),
        vec![(
            "Greet",
            async_fn(move |task| {
                let record = record.clone();
                async move {
                    let info = serde_json::to_value(task.info()).unwrap();
                    record.lock().unwrap().push(info.clone());
                    let name = info["args"][0].as_str().unwrap_or("?").to_owned();
                    ActivityAnswer::Completed(Some(json!({"greeting": format!("Hello {name}!")})))
                }
            }),
        )],
    );
    let id = call_activity(
        &client,
        &running.queue(),
        json!({"activity": "Greet", "args": ["World", 2], "heartbeat_timeout_ms": 5000}),
    )
    .await;
    assert_eq!(
        result_of(&client, &id).await.unwrap(),
        json!({"greeting": "Hello World!"})
    );
    let info = seen.lock().unwrap()[0].clone();
    assert_eq!(info["activity_type"], "Greet");
    assert_eq!(info["workflow_type"], "CallActivityWorkflow");
    assert_eq!(info["workflow_id"], id.as_str());
    assert_eq!(info["attempt"], 1);
    assert_eq!(info["args"], json!(["World", 2]));
    assert_eq!(info["heartbeat_details"], json!([]));
    assert_eq!(info["task_queue"], running.queue());
    assert_eq!(info["heartbeat_timeout"], 5.0);
    assert_eq!(info["start_to_close_timeout"], 60.0);
    assert!(
        info["started_time"].as_str().unwrap().ends_with('Z'),
        "{info}"
    );
    assert!(!info["task_token"].as_str().unwrap().is_empty());
    let stats = running.stop().await;
    assert_eq!(
        (stats.tasks, stats.completed, stats.running),
        (1, 1, 0),
        "{stats:?}"
    );
}

#[tokio::test]
async fn failures_are_retried_by_the_workflow_policy_or_end_it_with_our_type() {
    let client = client().await;
    let running = Running::start(
        &client,
        queue_options(),
        vec![
            (
                "Flaky",
                // A blocking handler, answering from its own thread.
                ActivityHandler::blocking(|task| {
                    let attempt = task.info().attempt;
                    let answer = if attempt < 3 {
                        ActivityAnswer::Failed(ActivityFailure {
                            message: format!("attempt {attempt} failed"),
                            error_type: Some("Transient".into()),
                            ..Default::default()
                        })
                    } else {
                        ActivityAnswer::Completed(Some(json!(attempt)))
                    };
                    task.answer(answer).unwrap();
                }),
            ),
            (
                "Refuse",
                async_fn(|_| async {
                    ActivityAnswer::Failed(ActivityFailure {
                        message: "the order is invalid".into(),
                        error_type: Some("InvalidOrder".into()),
                        non_retryable: true,
                        details: vec![json!({"order": 7})],
                        next_retry_delay: None,
                    })
                }),
            ),
        ],
    );
    let queue = running.queue();
    let flaky = call_activity(
        &client,
        &queue,
        json!({"activity": "Flaky", "retry": {"maximum_attempts": 5, "initial_interval_ms": 50}}),
    )
    .await;
    assert_eq!(result_of(&client, &flaky).await.unwrap(), json!(3));

    let refused = call_activity(
        &client,
        &queue,
        json!({"activity": "Refuse", "retry": {"maximum_attempts": 5}}),
    )
    .await;
    let err = result_of(&client, &refused).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowFailed, "{err}");
    let chain = err.detail("failure").unwrap().to_string();
    for needle in ["InvalidOrder", "the order is invalid", "\"order\":7"] {
        assert!(chain.contains(needle), "{needle} not in {chain}");
    }

    let unknown = call_activity(&client, &queue, json!({"activity": "NoSuchActivity"})).await;
    let err = result_of(&client, &unknown).await.unwrap_err();
    let chain = err.detail("failure").unwrap().to_string();
    for needle in ["NotFoundError", "NoSuchActivity", "Flaky, Refuse"] {
        assert!(chain.contains(needle), "{needle} not in {chain}");
    }
    let stats = running.stop().await;
    assert_eq!(stats.completed, 1, "{stats:?}");
    assert_eq!(stats.failed, 4, "{stats:?}");
}

#[tokio::test]
async fn cancelling_the_workflow_cancels_a_heartbeating_activity_whose_cleanup_runs() {
    let client = client().await;
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let started = tx.clone();
    let running = Running::start(
        &client,
        queue_options(),
        vec![
            (
                "Crunch",
                ActivityHandler::blocking(move |task| {
                    started.send("started".into()).unwrap();
                    let mut step = 0;
                    while !task.is_cancelled() {
                        step += 1;
                        task.heartbeat(&[json!(step)]);
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    let reason = task.cancel_reason().unwrap();
                    started
                        .send(format!("cancelled: {}", reason.as_str()))
                        .unwrap();
                    task.answer(ActivityAnswer::Cancelled(vec![json!("cleaned up")]))
                        .unwrap();
                }),
            ),
            (
                "Cleanup",
                async_fn(move |task| {
                    let tx = tx.clone();
                    async move {
                        tx.send(format!("cleanup {}", task.info().args.as_ref().unwrap()[0]))
                            .unwrap();
                        ActivityAnswer::Completed(None)
                    }
                }),
            ),
        ],
    );
    let id = call_activity(
        &client,
        &running.queue(),
        json!({"activity": "Crunch", "heartbeat_timeout_ms": 1000, "cleanup_activity": "Cleanup"}),
    )
    .await;
    assert_eq!(rx.recv().await.unwrap(), "started");
    client
        .workflow_handle(id.clone(), None)
        .cancel(None, &none())
        .await
        .unwrap();
    assert_eq!(rx.recv().await.unwrap(), "cancelled: cancel_requested");
    assert_eq!(rx.recv().await.unwrap(), format!("cleanup \"{id}\""));
    let err = result_of(&client, &id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowCanceled, "{err}");
    let stats = running.stop().await;
    assert_eq!(stats.cancelled, 1, "{stats:?}");
    // Throttled: 0.8 s apart at most one, where the handler gave ~20 a second.
    assert!(stats.heartbeats >= 1, "{stats:?}");
}

#[tokio::test]
async fn heartbeats_are_throttled_and_the_last_details_reach_the_next_attempt() {
    let client = client().await;
    let (tx, mut rx) = mpsc::unbounded_channel::<(u32, Vec<Value>, Option<CancelReason>)>();
    let running = Running::start(
        &client,
        queue_options(),
        vec![(
            "Resumable",
            ActivityHandler::blocking(move |task| {
                let info = task.info().clone();
                let details = info.heartbeat_details.clone().unwrap();
                if info.attempt == 1 {
                    // 40 heartbeats in 0.4 s, then silence past the 1 s
                    // heartbeat timeout: the server times the attempt out,
                    // and the next heartbeat learns it.
                    for step in 1..=40 {
                        task.heartbeat(&[json!(step)]);
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    std::thread::sleep(Duration::from_millis(2000));
                    task.heartbeat(&[json!("late")]);
                    let token = task.cancellation();
                    let deadline = std::time::Instant::now() + Duration::from_secs(10);
                    while !token.is_cancelled() && std::time::Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    tx.send((1, details, task.cancel_reason())).unwrap();
                    let _ = task.answer(ActivityAnswer::Cancelled(vec![]));
                } else {
                    tx.send((info.attempt, details.clone(), None)).unwrap();
                    task.answer(ActivityAnswer::Completed(Some(json!(details))))
                        .unwrap();
                }
            }),
        )],
    );
    let id = call_activity(
        &client,
        &running.queue(),
        json!({
            "activity": "Resumable",
            "heartbeat_timeout_ms": 1000,
            "retry": {"maximum_attempts": 2, "initial_interval_ms": 100},
        }),
    )
    .await;
    // The attempts report in either order: the first once its late
    // heartbeat learnt of the timeout, the second when it runs.
    let mut reports = Vec::new();
    for _ in 0..2 {
        let report = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .unwrap()
            .unwrap();
        reports.push(report);
    }
    reports.sort_by_key(|r| r.0);
    let (first, second) = (&reports[0], &reports[1]);
    assert_eq!(
        second.0, 2,
        "the second attempt ran after the heartbeat timeout"
    );
    // The last details the first attempt gave before its timeout.
    assert_eq!(second.1, vec![json!(40)]);
    assert_eq!(result_of(&client, &id).await.unwrap(), json!([40]));
    assert_eq!(
        first.2,
        Some(CancelReason::NotFound),
        "the late heartbeat learnt the timeout"
    );
    let stats = running.stop().await;
    // 41 heartbeats given; throttled to 0.8 s, at most a few were sent.
    assert!(
        (2..=4).contains(&stats.heartbeats),
        "{} heartbeats sent",
        stats.heartbeats
    );
}

#[tokio::test]
async fn shutdown_lets_running_tasks_finish_and_a_restarted_worker_resumes_from_the_last_heartbeat()
{
    let client = client().await;
    let queue = unique_id("rust-restart");
    // The first worker finishes its task within the grace period.
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let mut options = ActivityWorkerOptions::new(queue.clone());
    options.graceful_shutdown_timeout = Duration::from_secs(20).into();
    let first = Running::start(
        &client,
        options,
        vec![(
            "Slow",
            async_fn(move |_| {
                let tx = tx.clone();
                async move {
                    tx.send(()).unwrap();
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    ActivityAnswer::Completed(Some(json!("finished during shutdown")))
                }
            }),
        )],
    );
    let id = call_activity(&client, &queue, json!({"activity": "Slow"})).await;
    rx.recv().await.unwrap();
    let stats = first.stop().await;
    assert_eq!(stats.completed, 1, "{stats:?}");
    assert_eq!(
        result_of(&client, &id).await.unwrap(),
        json!("finished during shutdown")
    );

    // A worker shut down without grace cancels its task, which fails (not
    // cancels) so the next attempt runs on another worker, resuming from the
    // last heartbeat.
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let progress = |tx: mpsc::UnboundedSender<String>| {
        async_fn(move |task| {
            let tx = tx.clone();
            async move {
                let info = task.info().clone();
                let resume = info.heartbeat_details.clone().unwrap();
                if info.attempt == 1 {
                    task.heartbeat(&[json!({"done": 3})]);
                    tx.send("working".into()).unwrap();
                    task.cancellation().cancelled().await;
                    tx.send(task.cancel_reason().unwrap().as_str().into())
                        .unwrap();
                    ActivityAnswer::Cancelled(vec![])
                } else {
                    ActivityAnswer::Completed(Some(
                        json!({"attempt": info.attempt, "resumed": resume}),
                    ))
                }
            }
        })
    };
    let second = Running::start(
        &client,
        ActivityWorkerOptions::new(queue.clone()),
        vec![("Progress", progress(tx.clone()))],
    );
    let id = call_activity(
        &client,
        &queue,
        json!({"activity": "Progress", "retry": {"maximum_attempts": 2, "initial_interval_ms": 100}}),
    )
    .await;
    assert_eq!(rx.recv().await.unwrap(), "working");
    // Let the heartbeat reach the server before the worker stops.
    common::wait_for_description(&client, &id, Duration::from_secs(10), |d| {
        d["pending_activities"][0]["heartbeat_details"] == json!([{"done": 3}])
    })
    .await;
    let stats = second.stop().await;
    assert_eq!(rx.recv().await.unwrap(), "worker_shutdown");
    assert_eq!(stats.failed, 1, "{stats:?}");
    let third = Running::start(
        &client,
        ActivityWorkerOptions::new(queue.clone()),
        vec![("Progress", progress(tx))],
    );
    assert_eq!(
        result_of(&client, &id).await.unwrap(),
        json!({"attempt": 2, "resumed": [{"done": 3}]})
    );
    third.stop().await;
}

#[tokio::test]
async fn a_handler_that_never_answers_is_given_up_after_its_timeout() {
    let client = client().await;
    let kept: Arc<Mutex<Vec<ActivityTask>>> = Arc::default();
    let keep = kept.clone();
    let mut options = queue_options();
    options.cancel_grace = Duration::from_millis(300).into();
    let running = Running::start(
        &client,
        options,
        vec![(
            "Silent",
            // Holds on to its task and never answers.
            ActivityHandler::blocking(move |task| keep.lock().unwrap().push(task)),
        )],
    );
    let id = call_activity(
        &client,
        &running.queue(),
        json!({"activity": "Silent", "start_to_close_timeout_ms": 1000}),
    )
    .await;
    let err = result_of(&client, &id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowFailed, "{err}");
    assert!(
        err.detail("failure")
            .unwrap()
            .to_string()
            .contains("StartToClose"),
        "{err}"
    );
    let task = kept.lock().unwrap()[0].clone();
    assert!(task.is_cancelled());
    assert_eq!(task.cancel_reason(), Some(CancelReason::TimedOut));
    // The worker gave up on it: a late answer is refused, not sent.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while running.worker.stats().given_up == 0 {
        assert!(tokio::time::Instant::now() < deadline, "never given up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let late = task.answer(ActivityAnswer::Completed(None)).unwrap_err();
    assert!(late.message().contains("no longer running"), "{late}");
    let stats = running.stop().await;
    assert_eq!((stats.running, stats.completed), (0, 0), "{stats:?}");

    // A handler that drops its task unanswered fails it at once.
    let running = Running::start(
        &client,
        queue_options(),
        vec![("Forgetful", ActivityHandler::blocking(drop))],
    );
    let id = call_activity(&client, &running.queue(), json!({"activity": "Forgetful"})).await;
    let err = result_of(&client, &id).await.unwrap_err();
    assert!(
        err.detail("failure")
            .unwrap()
            .to_string()
            .contains("released its task"),
        "{err}"
    );
    running.stop().await;
}

#[tokio::test]
async fn bad_options_and_registrations_are_refused_by_name() {
    let client = client().await;
    for (json, needle) in [
        (r#"{"task_queue": ""}"#, "task_queue"),
        (
            r#"{"task_queue": "q", "max_concurrent": 0}"#,
            "max_concurrent",
        ),
        (r#"{"task_queue": "q", "pollers": 0}"#, "pollers"),
        (r#"{"task_queue": "q", "colour": 1}"#, "colour"),
        (
            r#"{"task_queue": "q", "graceful_shutdown_timeout": -1}"#,
            "non-negative",
        ),
        (
            r#"{"task_queue": "q", "max_tasks_per_second": 0}"#,
            "max_tasks_per_second",
        ),
        ("not json", "worker options"),
    ] {
        let err = ActivityWorker::new_json(&client, json).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{json}: {err}");
        assert!(err.message().contains(needle), "{json}: {err}");
    }
    let worker = ActivityWorker::new(&client, queue_options()).unwrap();
    let err = worker.run().await.unwrap_err();
    assert!(err.message().contains("register at least one"), "{err}");
    let handler = || async_fn(|_| async { ActivityAnswer::Completed(None) });
    worker.register("A", handler()).unwrap();
    let err = worker.register("A", handler()).unwrap_err();
    assert!(err.message().contains("already registered"), "{err}");
    assert!(worker.register(" ", handler()).is_err());
    for (json, needle) in [
        (r#"{}"#, "exactly one"),
        (
            r#"{"result": 1, "failure": {"message": "m"}}"#,
            "exactly one",
        ),
        (r#"{"failure": {"message": ""}}"#, "needs a message"),
        (r#"{"complete_async": false}"#, "must be true"),
        (r#"{"resutl": 1}"#, "resutl"),
    ] {
        let err = ActivityAnswer::from_json(json).unwrap_err();
        assert!(err.message().contains(needle), "{json}: {err}");
    }
    assert!(matches!(
        ActivityAnswer::from_json(r#"{"result": null}"#).unwrap(),
        ActivityAnswer::Completed(Some(Value::Null))
    ));

    // A namespace the server does not know ends the run with its error.
    let mut options = ConnectOptions::new(common::devenv().target.clone());
    options.namespace = unique_id("no-such-namespace");
    options.lazy = true;
    let stranger = Client::connect(options).await.unwrap();
    let worker = ActivityWorker::new(&stranger, queue_options()).unwrap();
    worker.register("A", handler()).unwrap();
    let err = tokio::time::timeout(Duration::from_secs(30), worker.run())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains("polling task queue"), "{err}");
}

#[tokio::test]
async fn raw_mode_hands_over_payloads_as_stored_and_answers_with_one() {
    let client = client().await;
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let record = seen.clone();
    let mut options = queue_options();
    options.raw = true;
    let running = Running::start(
        &client,
        options,
        vec![(
            "Raw",
            async_fn(move |task| {
                record
                    .lock()
                    .unwrap()
                    .push(serde_json::to_value(task.info()).unwrap());
                async {
                    // A json/plain payload built by hand: the JSON text 42.
                    ActivityAnswer::from_json(
                        r#"{"raw_result": {"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "NDI="}}"#,
                    )
                    .unwrap()
                }
            }),
        )],
    );
    let id = call_activity(
        &client,
        &running.queue(),
        json!({"activity": "Raw", "args": ["x"]}),
    )
    .await;
    assert_eq!(result_of(&client, &id).await.unwrap(), json!(42));
    let info = seen.lock().unwrap()[0].clone();
    assert!(info.get("args").is_none(), "{info}");
    // "x" as json/plain: base64 of the JSON text "\"x\"".
    assert_eq!(info["raw_args"][0]["data"], "Ingi");
    assert_eq!(
        info["raw_args"][0]["metadata"]["encoding"],
        "anNvbi9wbGFpbg=="
    );
    assert_eq!(info["raw_heartbeat_details"], json!([]));
    running.stop().await;
}
