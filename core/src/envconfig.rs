//! Client configuration as every Temporal SDK and the `temporal` CLI read it:
//! a TOML file of profiles (`TEMPORAL_CONFIG_FILE`, else
//! `<user config dir>/temporalio/temporal.toml`) with `TEMPORAL_*`
//! environment variables on top, resolved into [`ConnectOptions`].
//!
//! ```toml
//! [profile.default]
//! address = "localhost:7233"
//! namespace = "default"
//!
//! [profile.prod]
//! address = "my-ns.a1b2c.tmprl.cloud:7233"
//! namespace = "my-ns.a1b2c"
//! api_key = "..."
//! [profile.prod.tls]
//! client_cert_path = "/certs/client.pem"
//! client_key_path = "/certs/client.key"
//! [profile.prod.grpc_meta]
//! my_header = "value"        # sent as `my-header`
//! ```
//!
//! Errors name the file, the profile and the key (or the environment
//! variable); secrets (API keys, private keys) never appear in errors, in
//! `Debug` output or in [`ClientConfigProfile::to_json`] with redaction.

use crate::error::{Error, Quoted, Result};
use crate::options::{ConnectOptions, TlsOptions, TlsSetting};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The address used when neither the file nor the environment gives one.
pub const DEFAULT_ADDRESS: &str = "localhost:7233";
const REDACTED: &str = "<redacted>";

/// Where configuration comes from (every field optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadConfigOptions {
    /// The profile; else `TEMPORAL_PROFILE`, else `default`.
    #[serde(default)]
    pub profile: Option<String>,
    /// The file; else `TEMPORAL_CONFIG_FILE`, else the user's config dir.
    #[serde(default)]
    pub config_file: Option<String>,
    /// Reject keys the format does not know.
    #[serde(default)]
    pub config_strict: bool,
    /// Ignore the file.
    #[serde(default)]
    pub disable_file: bool,
    /// Ignore the environment.
    #[serde(default)]
    pub disable_env: bool,
    /// These variables instead of the process environment.
    #[serde(default)]
    pub env: Option<BTreeMap<String, String>>,
}

/// Where a certificate or key comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum DataSource {
    /// A file to read.
    Path(String),
    /// The PEM text itself.
    Data(String),
}

impl DataSource {
    fn read(&self, what: &str) -> Result<String> {
        match self {
            DataSource::Data(text) => Ok(text.clone()),
            DataSource::Path(path) => std::fs::read_to_string(path).map_err(|e| {
                Error::invalid_argument(format!(
                    "client configuration: cannot read {what} from {}: {e}",
                    Quoted(path)
                ))
                .with_detail("field", what)
            }),
        }
    }

    fn to_json(&self, secret: bool, redact: bool) -> Value {
        match self {
            DataSource::Path(path) => json!({ "path": path }),
            DataSource::Data(_) if secret && redact => json!({ "data": REDACTED }),
            DataSource::Data(data) => json!({ "data": data }),
        }
    }
}

impl fmt::Debug for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSource::Path(path) => write!(f, "Path({path:?})"),
            DataSource::Data(_) => f.write_str("Data(..)"),
        }
    }
}

/// A profile's `tls` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConfigTls {
    /// Explicitly off (`disabled = true`) or on (`false`).
    pub disabled: Option<bool>,
    /// mTLS client certificate.
    pub client_cert: Option<DataSource>,
    /// mTLS client private key.
    pub client_key: Option<DataSource>,
    /// CA certificate(s) to trust instead of the system roots.
    pub server_ca_cert: Option<DataSource>,
    /// Server name to verify (SNI).
    pub server_name: Option<String>,
    /// Check the chain but not the host name.
    pub disable_host_verification: bool,
}

/// A profile's `codec` section (a remote codec server).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ClientConfigCodec {
    /// The codec server's URL.
    pub endpoint: Option<String>,
    /// Its `Authorization` header value.
    pub auth: Option<String>,
}

impl fmt::Debug for ClientConfigCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfigCodec")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth.as_ref().map(|_| REDACTED))
            .finish()
    }
}

/// One resolved profile: the file's, with the environment on top.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ClientConfigProfile {
    /// `host:port` of the frontend.
    pub address: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// API key (turns TLS on unless TLS is disabled).
    pub api_key: Option<String>,
    /// TLS settings, when the profile has a TLS section (or `TEMPORAL_TLS*`).
    pub tls: Option<ClientConfigTls>,
    /// Remote codec settings.
    pub codec: Option<ClientConfigCodec>,
    /// gRPC metadata (names lower case, `-` for `_`).
    pub grpc_meta: BTreeMap<String, String>,
    /// The file read, if any.
    pub source_file: Option<String>,
    /// The profile's name.
    pub profile: String,
}

impl fmt::Debug for ClientConfigProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json(true).to_string())
    }
}

/// Metadata whose values are credentials by their name.
fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "authorization"
        || name.contains("key")
        || name.contains("token")
        || name.contains("secret")
}

impl ClientConfigProfile {
    /// The profile as JSON; with `redact`, every secret (API key, key data,
    /// codec auth, credential-looking metadata) reads `<redacted>`.
    pub fn to_json(&self, redact: bool) -> Value {
        let secret = |value: &Option<String>| match value {
            Some(_) if redact => Value::from(REDACTED),
            Some(v) => Value::from(v.clone()),
            None => Value::Null,
        };
        let tls = self.tls.as_ref().map(|t| {
            json!({
                "disabled": t.disabled,
                "client_cert": t.client_cert.as_ref().map(|d| d.to_json(false, redact)),
                "client_key": t.client_key.as_ref().map(|d| d.to_json(true, redact)),
                "server_ca_cert": t.server_ca_cert.as_ref().map(|d| d.to_json(false, redact)),
                "server_name": t.server_name,
                "disable_host_verification": t.disable_host_verification,
            })
        });
        let codec = self
            .codec
            .as_ref()
            .map(|c| json!({"endpoint": c.endpoint, "auth": secret(&c.auth)}));
        let meta: serde_json::Map<String, Value> = self
            .grpc_meta
            .iter()
            .map(|(k, v)| {
                let v = if redact && is_secret_header(k) {
                    REDACTED.to_owned()
                } else {
                    v.clone()
                };
                (k.clone(), Value::from(v))
            })
            .collect();
        json!({
            "profile": self.profile,
            "source_file": self.source_file,
            "address": self.address,
            "namespace": self.namespace,
            "api_key": secret(&self.api_key),
            "tls": tls,
            "codec": codec,
            "grpc_meta": meta,
            "tls_enabled": self.tls_enabled(),
        })
    }

    /// TLS is on when the profile has a TLS section that is not disabled,
    /// or an API key and TLS not disabled.
    pub fn tls_enabled(&self) -> bool {
        let disabled = self.tls.as_ref().and_then(|t| t.disabled);
        match disabled {
            Some(true) => false,
            Some(false) => true,
            None => self.tls.is_some() || self.api_key.is_some(),
        }
    }

    /// Connect options for this profile (certificates and keys read now).
    pub fn to_connect_options(&self) -> Result<ConnectOptions> {
        let mut options = ConnectOptions::new(
            self.address
                .clone()
                .unwrap_or_else(|| DEFAULT_ADDRESS.into()),
        );
        if let Some(namespace) = &self.namespace {
            options.namespace = namespace.clone();
        }
        options.api_key = self.api_key.clone();
        options.headers = self.grpc_meta.clone();
        options.tls = if self.tls_enabled() {
            let tls = self.tls.clone().unwrap_or_default();
            let read = |source: &Option<DataSource>, what: &str| {
                source.as_ref().map(|s| s.read(what)).transpose()
            };
            Some(TlsSetting::Options(TlsOptions {
                server_root_ca_cert: read(&tls.server_ca_cert, "tls.server_ca_cert")?,
                domain: tls.server_name.clone(),
                client_cert: read(&tls.client_cert, "tls.client_cert")?,
                client_private_key: read(&tls.client_key, "tls.client_key")?,
                disable_host_verification: tls.disable_host_verification,
            }))
        } else if self.tls.as_ref().and_then(|t| t.disabled) == Some(true) {
            Some(TlsSetting::Enabled(false))
        } else {
            // Nothing said: an API key given later still turns TLS on.
            None
        };
        if let Some(codec) = self.codec.as_ref().filter(|c| c.endpoint.is_some()) {
            options.codec = Some(crate::codec::CodecOptions {
                endpoint: codec.endpoint.clone(),
                auth: codec.auth.clone(),
                ..Default::default()
            });
        }
        Ok(options)
    }

    /// [`ClientConfigProfile::to_connect_options`] as the JSON of the
    /// `connect` request (secrets included: this is what connects).
    pub fn to_connect_json(&self) -> Result<Value> {
        let options = self.to_connect_options()?;
        let tls = match &options.tls {
            None => Value::Null,
            Some(TlsSetting::Enabled(on)) => Value::Bool(*on),
            Some(TlsSetting::Options(t)) => json!({
                "server_root_ca_cert": t.server_root_ca_cert,
                "domain": t.domain,
                "client_cert": t.client_cert,
                "client_private_key": t.client_private_key,
                "disable_host_verification": t.disable_host_verification,
            }),
        };
        let codec = options.codec.as_ref().map(|c| {
            json!({
                "endpoint": c.endpoint,
                "auth": c.auth,
            })
        });
        Ok(json!({
            "target": options.target,
            "namespace": options.namespace,
            "api_key": options.api_key,
            "headers": options.headers,
            "tls": tls,
            "codec": codec,
        }))
    }
}

/// The user's configuration directory, as the SDKs find it.
fn user_config_dir(env: &BTreeMap<String, String>) -> Option<PathBuf> {
    let get = |name: &str| env.get(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if cfg!(windows) {
        get("APPDATA")
    } else if cfg!(target_os = "macos") {
        get("HOME").map(|h| h.join("Library").join("Application Support"))
    } else {
        get("XDG_CONFIG_HOME").or_else(|| get("HOME").map(|h| h.join(".config")))
    }
}

/// Loads one profile: the file's (if any), with the environment on top.
pub fn load_client_config(options: &LoadConfigOptions) -> Result<ClientConfigProfile> {
    let env: BTreeMap<String, String> = match &options.env {
        Some(env) => env.clone(),
        None => std::env::vars().collect(),
    };
    let var = |name: &str| {
        if options.disable_env {
            None
        } else {
            env.get(name).cloned()
        }
    };
    let asked_profile = options.profile.clone().or_else(|| var("TEMPORAL_PROFILE"));
    let profile_name = asked_profile.clone().unwrap_or_else(|| "default".into());
    let mut profile = ClientConfigProfile {
        profile: profile_name.clone(),
        ..Default::default()
    };
    if !options.disable_file {
        let explicit = options
            .config_file
            .clone()
            .or_else(|| var("TEMPORAL_CONFIG_FILE").filter(|f| !f.is_empty()));
        let path = match &explicit {
            Some(file) => Some(PathBuf::from(file)),
            None => user_config_dir(&env).map(|d| d.join("temporalio").join("temporal.toml")),
        };
        if let Some(path) = path {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let file = FileContext {
                        path: &path,
                        strict: options.config_strict,
                    };
                    file.read_profile(&text, &profile_name, asked_profile.is_some(), &mut profile)?;
                    profile.source_file = Some(path.display().to_string());
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {}
                Err(e) => {
                    return Err(Error::invalid_argument(format!(
                        "client configuration file {}: {e}",
                        path.display()
                    ))
                    .with_detail("config_file", path.display().to_string()))
                }
            }
        }
        if profile.source_file.is_none() && asked_profile.is_some() && profile_name != "default" {
            return Err(Error::invalid_argument(format!(
                "client configuration: profile {} was asked for, but there is no configuration file",
                Quoted(&profile_name)
            ))
            .with_detail("profile", profile_name));
        }
    }
    if !options.disable_env {
        apply_env(&env, &mut profile)?;
    }
    Ok(profile)
}

struct FileContext<'a> {
    path: &'a Path,
    strict: bool,
}

impl FileContext<'_> {
    fn error(&self, profile: Option<&str>, key: Option<&str>, what: impl fmt::Display) -> Error {
        let mut message = format!("client configuration file {}", self.path.display());
        if let Some(profile) = profile {
            message.push_str(&format!(", profile {}", Quoted(profile)));
        }
        if let Some(key) = key {
            message.push_str(&format!(", key `{key}`"));
        }
        let mut error = Error::invalid_argument(format!("{message}: {what}"))
            .with_detail("config_file", self.path.display().to_string());
        if let Some(profile) = profile {
            error = error.with_detail("profile", profile);
        }
        if let Some(key) = key {
            error = error.with_detail("key", key);
        }
        error
    }

    fn read_profile(
        &self,
        text: &str,
        name: &str,
        asked: bool,
        out: &mut ClientConfigProfile,
    ) -> Result<()> {
        let document: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            self.error(None, None, format!("not valid TOML: {}", e.message()))
        })?;
        for key in document.keys() {
            if key != "profile" && self.strict {
                return Err(self.error(None, Some(key), "unknown key"));
            }
        }
        let profiles = match document.get("profile") {
            None => toml::Table::new(),
            Some(toml::Value::Table(t)) => t.clone(),
            Some(other) => {
                return Err(self.error(
                    None,
                    Some("profile"),
                    format!("must be a table, not {}", other.type_str()),
                ))
            }
        };
        let Some(section) = profiles.get(name) else {
            if asked && name != "default" {
                let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
                return Err(self.error(
                    Some(name),
                    None,
                    format!(
                        "no such profile; the file has: {}",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
            return Ok(());
        };
        let toml::Value::Table(section) = section else {
            return Err(self.error(
                Some(name),
                None,
                format!("must be a table, not {}", section.type_str()),
            ));
        };
        let p = Some(name);
        for (key, value) in section {
            match key.as_str() {
                "address" => out.address = Some(self.string(p, key, value)?),
                "namespace" => out.namespace = Some(self.string(p, key, value)?),
                "api_key" => out.api_key = Some(self.string(p, key, value)?),
                "tls" => out.tls = Some(self.tls(p, self.table(p, key, value)?)?),
                "codec" => {
                    let table = self.table(p, key, value)?;
                    let mut codec = ClientConfigCodec::default();
                    for (k, v) in table {
                        let full = format!("codec.{k}");
                        match k.as_str() {
                            "endpoint" => codec.endpoint = Some(self.string(p, &full, v)?),
                            "auth" => codec.auth = Some(self.string(p, &full, v)?),
                            _ if self.strict => {
                                return Err(self.error(p, Some(&full), "unknown key"))
                            }
                            _ => {}
                        }
                    }
                    out.codec = Some(codec);
                }
                "grpc_meta" => {
                    for (k, v) in self.table(p, key, value)? {
                        let full = format!("grpc_meta.{k}");
                        out.grpc_meta
                            .insert(normalize_header(k), self.string(p, &full, v)?);
                    }
                }
                _ if self.strict => return Err(self.error(p, Some(key), "unknown key")),
                _ => {}
            }
        }
        Ok(())
    }

    fn tls(&self, p: Option<&str>, table: &toml::Table) -> Result<ClientConfigTls> {
        let mut tls = ClientConfigTls::default();
        let mut sources: BTreeMap<&str, (Option<String>, Option<String>)> = BTreeMap::new();
        for (k, v) in table {
            let full = format!("tls.{k}");
            match k.as_str() {
                "disabled" => tls.disabled = Some(self.boolean(p, &full, v)?),
                "disable_host_verification" => {
                    tls.disable_host_verification = self.boolean(p, &full, v)?
                }
                "server_name" => tls.server_name = Some(self.string(p, &full, v)?),
                other => {
                    let item = ["client_cert", "client_key", "server_ca_cert"]
                        .into_iter()
                        .find(|item| {
                            other == format!("{item}_path") || other == format!("{item}_data")
                        });
                    match item {
                        Some(item) => {
                            let entry = sources.entry(item).or_default();
                            if other.ends_with("_path") {
                                entry.0 = Some(self.string(p, &full, v)?);
                            } else {
                                entry.1 = Some(self.string(p, &full, v)?);
                            }
                        }
                        None if self.strict => {
                            return Err(self.error(p, Some(&full), "unknown key"))
                        }
                        None => {}
                    }
                }
            }
        }
        for (item, (path, data)) in sources {
            let source = match (path, data) {
                (Some(_), Some(_)) => {
                    return Err(self.error(
                        p,
                        Some(&format!("tls.{item}_path")),
                        format!("give tls.{item}_path or tls.{item}_data, not both"),
                    ))
                }
                (Some(path), None) => DataSource::Path(path),
                (None, Some(data)) => DataSource::Data(data),
                (None, None) => continue,
            };
            match item {
                "client_cert" => tls.client_cert = Some(source),
                "client_key" => tls.client_key = Some(source),
                _ => tls.server_ca_cert = Some(source),
            }
        }
        Ok(tls)
    }

    fn string(&self, p: Option<&str>, key: &str, value: &toml::Value) -> Result<String> {
        value.as_str().map(str::to_owned).ok_or_else(|| {
            self.error(
                p,
                Some(key),
                format!("must be a string, not {}", value.type_str()),
            )
        })
    }

    fn boolean(&self, p: Option<&str>, key: &str, value: &toml::Value) -> Result<bool> {
        value.as_bool().ok_or_else(|| {
            self.error(
                p,
                Some(key),
                format!("must be true or false, not {}", value.type_str()),
            )
        })
    }

    fn table<'v>(
        &self,
        p: Option<&str>,
        key: &str,
        value: &'v toml::Value,
    ) -> Result<&'v toml::Table> {
        value.as_table().ok_or_else(|| {
            self.error(
                p,
                Some(key),
                format!("must be a table, not {}", value.type_str()),
            )
        })
    }
}

/// gRPC metadata names as the SDKs normalise them: lower case, `-` for `_`.
fn normalize_header(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

fn env_error(variable: &str, what: impl fmt::Display) -> Error {
    Error::invalid_argument(format!(
        "client configuration: environment variable {variable}: {what}"
    ))
    .with_detail("env", variable)
}

fn env_bool(variable: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(env_error(variable, "must be true or false")),
    }
}

/// The `TEMPORAL_*` variables over the file's profile.
fn apply_env(env: &BTreeMap<String, String>, profile: &mut ClientConfigProfile) -> Result<()> {
    let get = |name: &str| env.get(name).cloned();
    if let Some(v) = get("TEMPORAL_ADDRESS") {
        profile.address = Some(v);
    }
    if let Some(v) = get("TEMPORAL_NAMESPACE") {
        profile.namespace = Some(v);
    }
    if let Some(v) = get("TEMPORAL_API_KEY") {
        profile.api_key = Some(v);
    }
    if let Some(v) = get("TEMPORAL_TLS") {
        let on = env_bool("TEMPORAL_TLS", &v)?;
        profile.tls.get_or_insert_with(Default::default).disabled = Some(!on);
    }
    for (item, prefix) in [
        ("client_cert", "TEMPORAL_TLS_CLIENT_CERT"),
        ("client_key", "TEMPORAL_TLS_CLIENT_KEY"),
        ("server_ca_cert", "TEMPORAL_TLS_SERVER_CA_CERT"),
    ] {
        let path = get(&format!("{prefix}_PATH"));
        let data = get(&format!("{prefix}_DATA"));
        let source = match (path, data) {
            (Some(_), Some(_)) => {
                return Err(env_error(
                    &format!("{prefix}_PATH"),
                    format!("give {prefix}_PATH or {prefix}_DATA, not both"),
                ))
            }
            (Some(path), None) => DataSource::Path(path),
            (None, Some(data)) => DataSource::Data(data),
            (None, None) => continue,
        };
        let tls = profile.tls.get_or_insert_with(Default::default);
        match item {
            "client_cert" => tls.client_cert = Some(source),
            "client_key" => tls.client_key = Some(source),
            _ => tls.server_ca_cert = Some(source),
        }
    }
    if let Some(v) = get("TEMPORAL_TLS_SERVER_NAME") {
        profile.tls.get_or_insert_with(Default::default).server_name = Some(v);
    }
    if let Some(v) = get("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION") {
        let off = env_bool("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", &v)?;
        profile
            .tls
            .get_or_insert_with(Default::default)
            .disable_host_verification = off;
    }
    if let Some(v) = get("TEMPORAL_CODEC_ENDPOINT") {
        profile.codec.get_or_insert_with(Default::default).endpoint = Some(v);
    }
    if let Some(v) = get("TEMPORAL_CODEC_AUTH") {
        profile.codec.get_or_insert_with(Default::default).auth = Some(v);
    }
    for (name, value) in env {
        if let Some(header) = name.strip_prefix("TEMPORAL_GRPC_META_") {
            let header = normalize_header(header);
            if value.is_empty() {
                profile.grpc_meta.remove(&header);
            } else {
                profile.grpc_meta.insert(header, value.clone());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempdir::Dir, String) {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("temporal.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path.display().to_string())
    }

    mod tempdir {
        pub(super) struct Dir(pub(super) std::path::PathBuf);
        impl Dir {
            pub(super) fn new() -> Dir {
                let path =
                    std::env::temp_dir().join(format!("tb-envconfig-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn load(
        file: &str,
        profile: Option<&str>,
        env: &[(&str, &str)],
    ) -> Result<ClientConfigProfile> {
        load_client_config(&LoadConfigOptions {
            profile: profile.map(str::to_owned),
            config_file: Some(file.to_owned()),
            env: Some(
                env.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        })
    }

    const FILE: &str = r#"
[profile.default]
address = "file-default:7233"
namespace = "file-ns"
[profile.default.grpc_meta]
Some_Header = "a"
Other = "b"

[profile.prod]
address = "prod:7233"
api_key = "file-secret-key"
[profile.prod.tls]
server_name = "prod.example"
server_ca_cert_data = "PEM"
"#;

    #[test]
    fn a_profiles_codec_section_becomes_the_codec_server_option() {
        let (_dir, file) = write(
            "[profile.default]\naddress = \"h:1\"\n[profile.default.codec]\nendpoint = \"https://codec.example\"\nauth = \"Bearer file\"\n",
        );
        let options = load(&file, None, &[])
            .unwrap()
            .to_connect_options()
            .unwrap();
        let codec = options.codec.expect("the codec section is used");
        assert_eq!(codec.endpoint.as_deref(), Some("https://codec.example"));
        assert_eq!(codec.auth.as_deref(), Some("Bearer file"));
        // The environment overrides the file; the JSON form carries it.
        let profile = load(&file, None, &[("TEMPORAL_CODEC_AUTH", "Bearer env")]).unwrap();
        let json = profile.to_connect_json().unwrap();
        assert_eq!(
            json["codec"],
            serde_json::json!({"endpoint": "https://codec.example", "auth": "Bearer env"})
        );
        assert!(
            !format!("{profile:?}").contains("Bearer env"),
            "redacted in Debug"
        );
        // No codec section: no codec.
        let (_dir, bare) = write("[profile.default]\naddress = \"h:1\"\n");
        assert!(load(&bare, None, &[])
            .unwrap()
            .to_connect_options()
            .unwrap()
            .codec
            .is_none());
    }

    #[test]
    fn file_then_environment_then_defaults() {
        let (_dir, file) = write(FILE);
        let p = load(&file, None, &[]).unwrap();
        assert_eq!(p.address.as_deref(), Some("file-default:7233"));
        assert_eq!(p.grpc_meta["some-header"], "a");
        assert!(!p.tls_enabled());
        let p = load(
            &file,
            None,
            &[
                ("TEMPORAL_ADDRESS", "env:1"),
                ("TEMPORAL_GRPC_META_OTHER", ""),
                ("TEMPORAL_GRPC_META_NEW_ONE", "c"),
            ],
        )
        .unwrap();
        assert_eq!(p.address.as_deref(), Some("env:1"));
        assert_eq!(p.namespace.as_deref(), Some("file-ns"));
        assert!(!p.grpc_meta.contains_key("other"));
        assert_eq!(p.grpc_meta["new-one"], "c");
        // The profile by name, then by TEMPORAL_PROFILE; an API key turns TLS on.
        let p = load(&file, None, &[("TEMPORAL_PROFILE", "prod")]).unwrap();
        assert_eq!(p.profile, "prod");
        assert!(p.tls_enabled());
        let options = p.to_connect_options().unwrap();
        assert_eq!(options.target, "prod:7233");
        assert_eq!(options.namespace, "default");
        let p = load(&file, Some("prod"), &[("TEMPORAL_TLS", "false")]).unwrap();
        assert!(!p.tls_enabled());
        let shown = p.to_json(true).to_string();
        assert!(!shown.contains("file-secret-key"), "{shown}");
        assert!(!format!("{p:?}").contains("file-secret-key"));
        // No file at the default place: an empty profile.
        let p = load_client_config(&LoadConfigOptions {
            env: Some([("HOME".to_owned(), "/nonexistent".to_owned())].into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p.to_connect_options().unwrap().target, DEFAULT_ADDRESS);
    }

    #[test]
    fn malformed_files_name_the_file_profile_and_key() {
        let (_dir, file) = write("[profile.default\naddress = 1");
        let err = load(&file, None, &[]).unwrap_err();
        assert!(
            err.message().contains(&file) && err.message().contains("TOML"),
            "{err}"
        );
        let (_dir, file) = write("[profile.x]\naddress = 5");
        let err = load(&file, Some("x"), &[]).unwrap_err();
        assert!(
            err.message()
                .contains("profile \"x\", key `address`: must be a string"),
            "{err}"
        );
        let (_dir, file) =
            write("[profile.x.tls]\nclient_cert_path = \"a\"\nclient_cert_data = \"b\"");
        let err = load(&file, Some("x"), &[]).unwrap_err();
        assert!(err.message().contains("not both"), "{err}");
        let err = load(&file, Some("nope"), &[]).unwrap_err();
        assert!(
            err.message().contains("no such profile; the file has: x"),
            "{err}"
        );
        let (_dir, file) = write("[profile.x]\nadress = \"typo\"");
        assert!(load(&file, Some("x"), &[]).is_ok());
        let err = load_client_config(&LoadConfigOptions {
            profile: Some("x".into()),
            config_file: Some(file.clone()),
            config_strict: true,
            env: Some(BTreeMap::new()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.message().contains("key `adress`: unknown key"), "{err}");
        let err = load(
            &file,
            None,
            &[
                ("TEMPORAL_TLS_CLIENT_KEY_PATH", "a"),
                ("TEMPORAL_TLS_CLIENT_KEY_DATA", "secret"),
            ],
        )
        .unwrap_err();
        assert!(
            err.message().contains("TEMPORAL_TLS_CLIENT_KEY_PATH")
                && !err.message().contains("secret"),
            "{err}"
        );
        let err = load("/nonexistent/temporal.toml", None, &[]).unwrap_err();
        assert!(
            err.message().contains("/nonexistent/temporal.toml"),
            "{err}"
        );
    }
}
