//! Shared test harness: one real Temporal dev server and one real Python SDK
//! worker per test binary, started by `tests/harness/devenv.py`. The harness
//! stops both when our end of its stdin pipe closes, i.e. when this test
//! process exits, however it exits. `pki` holds the throwaway CA that the
//! TLS tests share, `tls_proxy` the TLS terminator they put in front of a
//! dev server.

#![allow(dead_code, unreachable_pub)]

pub mod pki;
pub mod scenarios;
pub mod tls_proxy;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use temporal_bridge_core::{
    CallOptions, Client, ConnectOptions, DescribeWorkflowRequest, Error, ErrorKind,
    GetResultRequest, StartWorkflowRequest,
};

pub struct DevEnv {
    pub target: String,
    pub namespace: String,
    pub task_queue: String,
    pub cleanup_dir: PathBuf,
}

static PROCESS: Mutex<Option<DevEnvProcess>> = Mutex::new(None);
static DEVENV: OnceLock<DevEnv> = OnceLock::new();

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn from_json(info: &Value) -> DevEnv {
    DevEnv {
        target: info["target"].as_str().unwrap().to_owned(),
        namespace: info["namespace"].as_str().unwrap().to_owned(),
        task_queue: info["task_queue"].as_str().unwrap().to_owned(),
        cleanup_dir: PathBuf::from(info["cleanup_dir"].as_str().unwrap()),
    }
}

/// A devenv process; dropping it closes its stdin, which stops it.
pub struct DevEnvProcess {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub info: Value,
}

impl DevEnvProcess {
    /// Stops the server (and worker) and waits until they are gone.
    pub fn stop(mut self) {
        self.stdin.take();
        let _ = self.child.wait();
    }
}

/// Starts `tests/harness/devenv.py` with `args` and waits for its JSON line.
pub fn spawn_devenv(args: &[&str]) -> DevEnvProcess {
    let root = repo_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash tests/setup.sh` first (the README test command does)",
        python.display()
    );
    let mut child = Command::new(python)
        .arg(root.join("tests/harness/devenv.py"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("could not start tests/harness/devenv.py");
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reading devenv output");
    let info: Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("devenv printed {line:?}, not its JSON line: {e}"));
    DevEnvProcess {
        child,
        stdin: Some(stdin),
        info,
    }
}

fn start() -> DevEnv {
    // For debugging against a devenv started by hand: TB_DEVENV_JSON='{...}'.
    if let Ok(line) = std::env::var("TB_DEVENV_JSON") {
        return from_json(
            &serde_json::from_str(&line).expect("TB_DEVENV_JSON is the devenv's JSON line"),
        );
    }
    let queue = format!("rust-tests-{}", std::process::id());
    let process = spawn_devenv(&["--task-queue", &queue]);
    let env = from_json(&process.info);
    *PROCESS.lock().unwrap() = Some(process);
    env
}

pub fn devenv() -> &'static DevEnv {
    DEVENV.get_or_init(start)
}

pub async fn client() -> Client {
    let env = devenv();
    let mut options = ConnectOptions::new(env.target.clone());
    options.namespace = env.namespace.clone();
    Client::connect(options)
        .await
        .expect("connect to the dev server")
}

/// The namespace the server says `client` uses (a call that needs the
/// server to answer).
pub async fn namespace_of(client: &Client) -> String {
    let described = client
        .describe_namespace(&temporal_bridge_core::ProtoRequest::default(), &none())
        .await
        .unwrap();
    described.0["namespaceInfo"]["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn unique_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

pub fn none() -> CallOptions {
    CallOptions::default()
}

/// A start of `workflow_type` on the harness worker's queue, under a fresh ID.
pub fn start_request(workflow_type: &str, args: Vec<Value>) -> StartWorkflowRequest {
    StartWorkflowRequest {
        workflow_type: workflow_type.to_owned(),
        task_queue: devenv().task_queue.clone(),
        args,
        workflow_id: Some(unique_id(workflow_type)),
        ..Default::default()
    }
}

/// Waits (at most a minute, so a stuck test fails rather than hangs) for a
/// workflow's result.
pub async fn result_of(client: &Client, workflow_id: &str) -> temporal_bridge_core::Result<Value> {
    client
        .get_workflow_result(
            &GetResultRequest::new(workflow_id),
            &CallOptions::with_timeout(Duration::from_secs(60)),
        )
        .await
        .map(|r| r.result.unwrap())
}

/// Terminates a workflow the test left running.
pub async fn terminate(client: &Client, workflow_id: &str) {
    client
        .workflow_handle(workflow_id, None)
        .terminate(None, vec![], &none())
        .await
        .unwrap();
}

/// Calls a JSON operation and parses its response.
pub async fn call_json(
    client: &Client,
    operation: &str,
    request: Value,
) -> temporal_bridge_core::Result<Value> {
    client
        .call_json(operation, &request.to_string(), &none())
        .await
        .map(|text| serde_json::from_str(&text).unwrap())
}

/// Calls a JSON operation with a request text it must refuse as
/// `invalid_argument`, naming `needle`; returns the error.
pub async fn call_json_refused(
    client: &Client,
    operation: &str,
    request: &str,
    needle: &str,
) -> Error {
    let err = client
        .call_json(operation, request, &none())
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidArgument,
        "{operation} {request}: {err}"
    );
    assert!(
        err.message().contains(needle),
        "{operation} {request}: {err} should name {needle}"
    );
    err
}

/// Polls `describe` until `check` holds, for at most `limit`.
pub async fn wait_for_description(
    client: &Client,
    workflow_id: &str,
    limit: Duration,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let request = DescribeWorkflowRequest {
            workflow_id: workflow_id.to_owned(),
            ..Default::default()
        };
        let described = client.describe_workflow(&request, &none()).await.unwrap();
        // Checked as the JSON contract answers it.
        let description = serde_json::to_value(described).unwrap();
        if check(&description) {
            return description;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached within {limit:?}; last description: {description:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A dev server that can be stopped and started again on the same port and
/// database: `spawn(args)` starts it with devenv's extra `args`.
pub struct Restartable {
    dir: PathBuf,
    db: String,
    /// The server's port.
    pub port: String,
}

impl Restartable {
    pub fn new(what: &str) -> Restartable {
        let dir = std::env::temp_dir().join(unique_id(what));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("temporal.db").to_str().unwrap().to_owned();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
            .to_string();
        Restartable { dir, db, port }
    }

    /// A function starting the server (blocking: run it off the runtime).
    pub fn spawn(&self, extra: &[&str]) -> impl Fn() -> DevEnvProcess + Send + 'static {
        let mut args = vec!["--port", &self.port, "--db-filename", &self.db];
        args.extend_from_slice(extra);
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        move || spawn_devenv(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

impl Drop for Restartable {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Connect options for the harness's dev server reached through a TLS
/// terminator (as production reaches a server), trusting `ca`; keep the
/// proxy as long as the client.
pub async fn through_tls_terminator(ca: &pki::TestCa) -> (ConnectOptions, tls_proxy::TlsProxy) {
    let proxy =
        tls_proxy::TlsProxy::start(&ca.server_cert(), None, tls_proxy::Forward::Bytes).await;
    let mut options = ConnectOptions::new(proxy.target());
    options.namespace = devenv().namespace.clone();
    options.tls = Some(ca.trusted());
    (options, proxy)
}
