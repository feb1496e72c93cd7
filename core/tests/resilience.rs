//! A result wait rides out a server restart: transient failures are retried
//! for as long as the caller's deadline allows, and the wait resumes on the
//! same workflow. Uses its own dev server with a database file, so the
//! workflow survives the restart, and no worker: the workflow is ended by a
//! terminate sent after the restart. Runs over plaintext, and over TLS
//! through a TLS terminator that stays up while the server behind it
//! restarts (as a load balancer would). An activity worker's polls ride out
//! a restart the same way, and it serves the next task.

mod common;

use common::pki::TestCa;
use common::tls_proxy::{Forward, TlsProxy};
use common::{none, unique_id, Restartable};
use serde_json::json;
use std::time::Duration;
use temporal_bridge_core::{
    ActivityAnswer, ActivityHandler, ActivityWorker, ActivityWorkerOptions, CallOptions, Client,
    ConnectOptions, ErrorKind, GetResultRequest, StartWorkflowRequest, TerminateWorkflowRequest,
};

async fn connect(target: &str, tls: Option<&TestCa>) -> Client {
    let mut options = ConnectOptions::new(target);
    options.tls = tls.map(TestCa::trusted);
    Client::connect(options).await.expect("connect")
}

/// How clients reach the dev server `server` runs: straight, or through a
/// TLS terminator that stays up while the server behind it restarts.
struct Route {
    target: String,
    ca: Option<TestCa>,
    _proxy: Option<TlsProxy>,
}

impl Route {
    async fn to(server: &common::DevEnvProcess, through_tls: bool) -> Route {
        let server_target = server.info["target"].as_str().unwrap().to_owned();
        if !through_tls {
            return Route {
                target: server_target,
                ca: None,
                _proxy: None,
            };
        }
        let ca = TestCa::new("temporal-bridge restart test CA");
        let proxy =
            TlsProxy::start_for(server_target, &ca.server_cert(), None, Forward::Bytes).await;
        Route {
            target: proxy.target(),
            ca: Some(ca),
            _proxy: Some(proxy),
        }
    }

    async fn client(&self) -> Client {
        connect(&self.target, self.ca.as_ref()).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_wait_survives_a_server_restart() {
    survives_a_server_restart(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_wait_survives_a_server_restart_through_tls() {
    survives_a_server_restart(true).await;
}

async fn survives_a_server_restart(through_tls: bool) {
    let server = Restartable::new("tb-restart");
    let spawn = server.spawn(&["--no-worker"]);

    let first = spawn();
    let route = Route::to(&first, through_tls).await;
    let client = route.client().await;
    let workflow_id = unique_id("restart");
    client
        .start_workflow(
            &StartWorkflowRequest {
                workflow_type: "NobodyRunsThis".into(),
                task_queue: "no-worker-queue".into(),
                workflow_id: Some(workflow_id.clone()),
                args: vec![json!(1)],
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    let waiter = {
        let client = client.clone();
        let id = workflow_id.clone();
        tokio::spawn(async move {
            client
                .get_workflow_result(
                    &GetResultRequest::new(id),
                    &CallOptions::with_timeout(Duration::from_secs(120)),
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    tokio::task::spawn_blocking(move || first.stop())
        .await
        .unwrap();
    // The server is gone; the wait keeps retrying instead of failing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !waiter.is_finished(),
        "the wait gave up while the server was down"
    );

    let second = tokio::task::spawn_blocking(spawn).await.unwrap();
    let other = route.client().await;
    other
        .terminate_workflow(
            &TerminateWorkflowRequest {
                workflow_id: workflow_id.clone(),
                reason: Some("after restart".into()),
                ..Default::default()
            },
            &none(),
        )
        .await
        .expect("the workflow survived the restart");
    let outcome = tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .unwrap()
        .unwrap();
    let err = outcome.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowTerminated, "{err}");
    assert_eq!(err.detail("reason").unwrap(), "after restart");
    tokio::task::spawn_blocking(move || second.stop())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_polls_resume_after_a_server_restart() {
    worker_survives_a_server_restart(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_polls_resume_after_a_server_restart_through_tls() {
    worker_survives_a_server_restart(true).await;
}

async fn worker_survives_a_server_restart(through_tls: bool) {
    let restartable = Restartable::new("tb-worker-restart");
    let workflow_queue = unique_id("restart-workflows");
    // First without the workflow worker, then with it. The server does not
    // end the polls of a worker that shuts down: the worker drops them
    // after a short wait.
    let server = |with_worker: bool| {
        let mut args = vec![
            "--task-queue",
            &workflow_queue,
            "--dynamic-config-value",
            "frontend.enableCancelWorkerPollsOnShutdown=false",
        ];
        if !with_worker {
            args.push("--no-worker");
        }
        restartable.spawn(&args)
    };
    let first = tokio::task::spawn_blocking(server(false)).await.unwrap();
    let route = Route::to(&first, through_tls).await;
    let client = route.client().await;
    let activity_queue = unique_id("survivor");
    let worker = ActivityWorker::new(&client, ActivityWorkerOptions::new(&activity_queue)).unwrap();
    worker
        .register(
            "Echo",
            ActivityHandler::from_async(|task| async move {
                ActivityAnswer::Completed(task.info().args.as_ref().unwrap().first().cloned())
            }),
        )
        .unwrap();
    let run = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run().await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    tokio::task::spawn_blocking(move || first.stop())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !run.is_finished(),
        "the worker gave up while the server was down"
    );

    let second = tokio::task::spawn_blocking(server(true)).await.unwrap();
    let id = client
        .start_workflow(
            &StartWorkflowRequest {
                workflow_type: "CallActivityWorkflow".into(),
                task_queue: workflow_queue.clone(),
                workflow_id: Some(unique_id("after-restart")),
                args: vec![
                    json!({"activity": "Echo", "task_queue": activity_queue, "args": ["back"]}),
                ],
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap()
        .workflow_id;
    let result = client
        .get_workflow_result(
            &GetResultRequest::new(id),
            &CallOptions::with_timeout(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert_eq!(result.result.unwrap(), json!("back"));
    worker.shutdown();
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the worker stopped")
        .unwrap()
        .unwrap();
    assert_eq!(worker.stats().completed, 1, "{:?}", worker.stats());
    tokio::task::spawn_blocking(move || second.stop())
        .await
        .unwrap();
}
