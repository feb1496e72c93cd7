//! A result wait rides out a server restart: transient failures are retried
//! for as long as the caller's deadline allows, and the wait resumes on the
//! same workflow. Uses its own dev server with a database file, so the
//! workflow survives the restart, and no worker: the workflow is ended by a
//! terminate sent after the restart. Runs over plaintext, and over TLS
//! through a TLS terminator that stays up while the server behind it
//! restarts (as a load balancer would).

mod common;

use common::pki::TestCa;
use common::tls_proxy::{Forward, TlsProxy};
use common::{none, spawn_devenv, unique_id};
use serde_json::json;
use std::time::Duration;
use temporal_bridge_core::{
    CallOptions, Client, ConnectOptions, ErrorKind, GetResultRequest, StartWorkflowRequest,
    TerminateWorkflowRequest, TlsOptions, TlsSetting,
};

async fn connect(target: &str, tls: Option<&TestCa>) -> Client {
    let mut options = ConnectOptions::new(target);
    if let Some(ca) = tls {
        options.tls = Some(TlsSetting::Options(TlsOptions {
            server_root_ca_cert: Some(ca.cert_pem.clone()),
            domain: Some("localhost".into()),
            ..Default::default()
        }));
    }
    Client::connect(options).await.expect("connect")
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
    let dir = std::env::temp_dir().join(unique_id("tb-restart"));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("temporal.db").to_str().unwrap().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let args: Vec<String> = ["--no-worker", "--port", &port, "--db-filename", &db]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let spawn = move || spawn_devenv(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let first = spawn();
    let server_target = first.info["target"].as_str().unwrap().to_owned();
    let ca = TestCa::new("temporal-bridge restart test CA");
    let proxy = match through_tls {
        true => Some(
            TlsProxy::start_for(
                server_target.clone(),
                &ca.server_cert(),
                None,
                Forward::Bytes,
            )
            .await,
        ),
        false => None,
    };
    let target = proxy.as_ref().map_or(server_target, TlsProxy::target);
    let tls = through_tls.then_some(&ca);
    let client = connect(&target, tls).await;
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
    let other = connect(&target, tls).await;
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
    let _ = std::fs::remove_dir_all(&dir);
}
