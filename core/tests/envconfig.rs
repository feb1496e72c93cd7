//! Client configuration profiles against the real dev server: a profile file
//! and environment variables (given explicitly, since the process
//! environment is shared by parallel tests), in precedence order, including
//! a profile that reaches the server through a TLS terminator with a custom
//! CA and an mTLS client certificate (see `tls.rs`'s proxy).

mod common;

use common::pki::TestCa;
use common::tls_proxy::{Forward, TlsProxy};
use common::{devenv, namespace_of, unique_id};
use std::collections::BTreeMap;
use std::path::PathBuf;
use temporal_bridge_core::{load_client_config, Client, ErrorKind, LoadConfigOptions};

struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let path = std::env::temp_dir().join(unique_id("tb-envconfig"));
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn connect(
    file: &str,
    profile: Option<&str>,
    env: &[(&str, &str)],
) -> temporal_bridge_core::Result<Client> {
    let profile = load_client_config(&LoadConfigOptions {
        profile: profile.map(str::to_owned),
        config_file: Some(file.to_owned()),
        env: Some(
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        ),
        ..Default::default()
    })?;
    let mut options = profile.to_connect_options()?;
    options.connect_timeout = Some(std::time::Duration::from_secs(5).into());
    Client::connect(options).await
}

#[tokio::test]
async fn profiles_and_environment_in_precedence_order() {
    let env = devenv();
    let dir = Dir::new();
    let file = dir.write(
        "temporal.toml",
        &format!(
            r#"
[profile.default]
address = "127.0.0.1:1"

[profile.dev]
address = "{}"
namespace = "{}"

[profile.elsewhere]
address = "127.0.0.1:1"
namespace = "no-such-namespace"
"#,
            env.target, env.namespace
        ),
    );
    // The named profile.
    let client = connect(&file, Some("dev"), &[]).await.unwrap();
    assert_eq!(namespace_of(&client).await, env.namespace);
    // TEMPORAL_PROFILE picks it when none is named.
    let client = connect(&file, None, &[("TEMPORAL_PROFILE", "dev")])
        .await
        .unwrap();
    assert_eq!(client.namespace(), env.namespace);
    // The environment over the file: address and namespace.
    let client = connect(
        &file,
        Some("elsewhere"),
        &[
            ("TEMPORAL_ADDRESS", &env.target),
            ("TEMPORAL_NAMESPACE", &env.namespace),
        ],
    )
    .await
    .unwrap();
    assert_eq!(namespace_of(&client).await, env.namespace);
    // The default profile points nowhere: connecting says where it tried.
    let err = connect(&file, None, &[]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains("127.0.0.1:1"), "{err}");

    // The JSON contract: the file and profile, and explicit fields over them.
    let request = serde_json::json!({"config_file": file, "profile": "elsewhere",
        "target": env.target, "namespace": env.namespace});
    let client = Client::connect_json(&request.to_string()).await.unwrap();
    assert_eq!(namespace_of(&client).await, env.namespace);
    let err = Client::connect_json(
        &serde_json::json!({"config_file": file, "profile": "prod"}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("default, dev, elsewhere"), "{err}");
}

#[tokio::test]
async fn a_profile_reaches_a_tls_terminator_with_a_custom_ca_and_mtls() {
    let ca = TestCa::new("envconfig test CA");
    let proxy = TlsProxy::start(&ca.server_cert(), Some(&ca), Forward::Bytes).await;
    let client_cert = ca.client_cert();
    let dir = Dir::new();
    let ca_path = dir.write("ca.pem", &ca.cert_pem);
    let cert_path = dir.write("client.pem", &client_cert.cert_pem);
    let key_path = dir.write("client.key", &client_cert.key_pem);
    let file = dir.write(
        "temporal.toml",
        &format!(
            r#"
[profile.secure]
address = "{}"
namespace = "{}"
[profile.secure.tls]
server_ca_cert_path = "{ca_path}"
client_cert_path = "{cert_path}"
client_key_path = "{key_path}"
server_name = "localhost"
"#,
            proxy.target(),
            devenv().namespace
        ),
    );
    let client = connect(&file, Some("secure"), &[]).await.unwrap();
    assert_eq!(namespace_of(&client).await, devenv().namespace);

    // The key as data from the environment instead of the file's path.
    let client = connect(
        &file,
        Some("secure"),
        &[("TEMPORAL_TLS_CLIENT_KEY_DATA", &client_cert.key_pem)],
    )
    .await;
    // PATH (file) and DATA (env) of the same item: the environment's replaces it.
    assert!(client.is_ok(), "{:?}", client.err());

    // A server name the certificate does not carry fails, unless host
    // verification is off (the chain is still checked).
    let wrong = [("TEMPORAL_TLS_SERVER_NAME", "wrong.example")];
    let err = connect(&file, Some("secure"), &wrong).await.unwrap_err();
    assert!(
        err.message().to_lowercase().contains("certificate"),
        "{err}"
    );
    let client = connect(
        &file,
        Some("secure"),
        &[
            ("TEMPORAL_TLS_SERVER_NAME", "wrong.example"),
            ("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "true"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(namespace_of(&client).await, devenv().namespace);
    // TLS turned off by the environment: the terminator refuses plaintext.
    let err = connect(&file, Some("secure"), &[("TEMPORAL_TLS", "false")])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");

    // The resolved profile shows paths, never key data.
    let shown = load_client_config(&LoadConfigOptions {
        profile: Some("secure".into()),
        config_file: Some(file.clone()),
        env: Some(
            [(
                "TEMPORAL_TLS_CLIENT_KEY_DATA".to_owned(),
                client_cert.key_pem.clone(),
            )]
            .into(),
        ),
        ..Default::default()
    })
    .unwrap()
    .to_json(true)
    .to_string();
    assert!(
        shown.contains(&ca_path) && !shown.contains("PRIVATE KEY"),
        "{shown}"
    );
}
