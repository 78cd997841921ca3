//! Configuration from environment variables, optionally layered over a `parley.toml` file.
//!
//! Every value is parsed once at start-up into a typed field; a bad value stops start-up with
//! a message naming the variable. Secrets are wrapped in [`Secret`] so they never print.

use crate::whatsapp::ids::{AppId, WabaId};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A value that must never appear in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call sites name what they do with it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Which database Parley talks to, chosen once from `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(Secret),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(Secret::new(raw)))
        } else if raw.starts_with("sqlite:") {
            Ok(DatabaseUrl::Sqlite(raw.to_owned()))
        } else {
            Err("must start with sqlite: or postgres://".into())
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(url) => write!(f, "Sqlite({url:?})"),
            // The URL may carry a password.
            DatabaseUrl::Postgres(_) => f.write_str("Postgres([redacted])"),
        }
    }
}

/// Credentials and endpoints for Meta's WhatsApp Cloud API.
#[derive(Clone, Debug)]
pub struct WhatsAppConfig {
    pub app_secret: Option<Secret>,
    pub verify_token: Option<Secret>,
    pub access_token: Option<Secret>,
    pub waba_id: Option<WabaId>,
    /// The Meta app's id: template media samples go through its resumable upload.
    pub app_id: Option<AppId>,
    pub graph_url: String,
    pub api_version: String,
}

/// How sign-in sessions behave.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// A session unused for this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    pub absolute_timeout: Duration,
    /// Send cookies with `Secure` (set when Parley is served over HTTPS).
    pub secure_cookies: bool,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    /// Where the built site (WASM, JS, CSS, public files) is served from.
    pub site_root: PathBuf,
    /// The origin browsers use to reach Parley (scheme://host[:port]), for the CSRF origin
    /// check; when unset, the request's `Host` header is trusted.
    pub public_origin: Option<String>,
    /// How many trusted proxies stand in front of Parley (0: none). With N, the client's
    /// address is the one the outermost proxy appended to `X-Forwarded-For`: the Nth from the
    /// right. Entries left of it are whatever the client sent.
    pub trusted_proxies: usize,
    pub session: SessionConfig,
    pub whatsapp: WhatsAppConfig,
    /// Pace of the built-in simulator's customers (1.0 lifelike; higher is faster).
    pub sandbox_speed: f64,
    /// Messages per second per business number the sender may start, for every number
    /// (`None`: each number's throughput level sets it, 80 or 1,000).
    pub send_rate: Option<u32>,
    /// Show customers the typing indicator while an agent writes a reply.
    pub typing_indicator: bool,
    /// A member whose event streams have all been closed this long goes offline (routing
    /// stops giving them conversations).
    pub offline_after: Duration,
    /// Sends accepted this long ago with no webhook since raise the subscription warning.
    pub webhook_silence: Duration,
    /// Message content older than this is forgotten (`None`: kept).
    pub message_retention: Option<Duration>,
    /// Bytes of media (downloads and uploads) kept in `data_dir/`.
    pub media_quota_bytes: u64,
    /// Most marketing messages a contact is sent per rolling 30 days (0: no cap).
    pub marketing_frequency_cap: i64,
    pub metrics: MetricsConfig,
}

/// Prometheus metrics (see `crate::telemetry`): off unless one of these is set.
#[derive(Clone, Debug, Default)]
pub struct MetricsConfig {
    /// `PARLEY_METRICS_TOKEN`: `/metrics` on Parley's own address, for this bearer token.
    pub token: Option<Secret>,
    /// `PARLEY_METRICS_BIND`: `/metrics` on an address of its own, without a token.
    pub bind: Option<SocketAddr>,
}

impl MetricsConfig {
    pub fn enabled(&self) -> bool {
        self.token.is_some() || self.bind.is_some()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is invalid: {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error("cannot read config file {path}: {problem}")]
    File { path: String, problem: String },
}

/// Where values come from: environment variables over an optional `parley.toml`, whose keys
/// are the variable names in lower case (`database_url = "…"`).
pub struct Sources {
    values: HashMap<String, String>,
}

impl Sources {
    /// The process environment, over `PARLEY_CONFIG` (default `./parley.toml`, if present).
    pub fn from_environment() -> Result<Self, ConfigError> {
        let explicit = std::env::var("PARLEY_CONFIG").ok();
        let path = explicit.clone().unwrap_or_else(|| "parley.toml".into());
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => None,
            Err(e) => {
                return Err(ConfigError::File {
                    path,
                    problem: e.to_string(),
                });
            }
        };
        let mut values = match file {
            Some(text) => {
                parse_toml(&text).map_err(|problem| ConfigError::File { path, problem })?
            }
            None => HashMap::new(),
        };
        values.extend(std::env::vars());
        Ok(Sources { values })
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Sources {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn parsed<T>(
        &self,
        name: &'static str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => {
                parse(raw.trim()).map_err(|problem| ConfigError::Invalid { name, problem })
            }
        }
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        self.get(name).map(Secret::new)
    }
}

fn parse_toml(text: &str) -> Result<HashMap<String, String>, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    table
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(format!(
                        "{key}: expected a string, number or boolean, got {other}"
                    ));
                }
            };
            Ok((key.to_uppercase(), value))
        })
        .collect()
}

fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("expected true or false, got {raw:?}")),
    }
}

fn parse_minutes(raw: &str) -> Result<Duration, String> {
    match raw.parse::<u64>() {
        Ok(minutes) if minutes > 0 => Ok(Duration::from_secs(minutes * 60)),
        _ => Err(format!(
            "expected a whole number of minutes above 0, got {raw:?}"
        )),
    }
}

fn parse_http_url(raw: &str) -> Result<String, String> {
    if (raw.starts_with("http://") || raw.starts_with("https://")) && raw.len() > "https://".len() {
        Ok(raw.trim_end_matches('/').to_owned())
    } else {
        Err(format!("expected an http:// or https:// URL, got {raw:?}"))
    }
}

/// Media kept on disk unless `PARLEY_MEDIA_QUOTA_MB` says otherwise: 10 GiB.
const DEFAULT_MEDIA_QUOTA_MB: u64 = 10 * 1024;

/// The Graph API receives the access token: https only, or http to this machine (tests and
/// the sandbox's simulator).
fn parse_graph_url(raw: &str) -> Result<String, String> {
    let url = parse_http_url(raw)?;
    let parsed = reqwest::Url::parse(&url).map_err(|e| format!("{e}: {raw:?}"))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "expected an origin without query or fragment, got {raw:?}"
        ));
    }
    if crate::graph::is_secure_origin(&parsed) {
        Ok(url)
    } else {
        Err(format!(
            "the access token is sent there: use https (http only to 127.0.0.1 or localhost), got {raw:?}"
        ))
    }
}

impl Config {
    /// Where media is kept, and how much of it.
    pub fn media_storage(&self) -> crate::media::MediaStorage {
        crate::media::MediaStorage {
            data_dir: self.data_dir.clone(),
            quota_bytes: self.media_quota_bytes,
        }
    }

    pub fn from_environment() -> Result<Self, ConfigError> {
        Config::from_sources(&Sources::from_environment()?)
    }

    pub fn from_sources(sources: &Sources) -> Result<Self, ConfigError> {
        let bind = sources.parsed(
            "PARLEY_BIND",
            SocketAddr::from(([127, 0, 0, 1], 3000)),
            |raw| {
                raw.parse()
                    .map_err(|_| format!("expected host:port such as 127.0.0.1:3000, got {raw:?}"))
            },
        )?;
        let database_url = sources.parsed(
            "DATABASE_URL",
            DatabaseUrl::Sqlite("sqlite:parley.db".into()),
            DatabaseUrl::parse,
        )?;
        let data_dir = sources.parsed("PARLEY_DATA_DIR", PathBuf::from("data"), |raw| {
            Ok(raw.into())
        })?;
        let site_root =
            sources.parsed("LEPTOS_SITE_ROOT", PathBuf::from("target/site"), |raw| {
                Ok(raw.into())
            })?;
        let public_origin = sources.parsed("PARLEY_PUBLIC_URL", None, |raw| {
            parse_http_url(raw).map(Some)
        })?;
        let secure_default = public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"));
        let session = SessionConfig {
            idle_timeout: sources.parsed(
                "PARLEY_SESSION_IDLE_MINUTES",
                Duration::from_secs(12 * 3600),
                parse_minutes,
            )?,
            absolute_timeout: sources.parsed(
                "PARLEY_SESSION_MAX_MINUTES",
                Duration::from_secs(7 * 24 * 3600),
                parse_minutes,
            )?,
            secure_cookies: sources.parsed("PARLEY_SECURE_COOKIES", secure_default, parse_bool)?,
        };
        let whatsapp = WhatsAppConfig {
            app_secret: sources.secret("WA_APP_SECRET"),
            verify_token: sources.secret("WA_VERIFY_TOKEN"),
            access_token: sources.secret("WA_ACCESS_TOKEN"),
            waba_id: sources.parsed("WA_WABA_ID", None, |raw| {
                WabaId::parse(raw).map(Some).map_err(|e| e.to_string())
            })?,
            app_id: sources.parsed("WA_APP_ID", None, |raw| {
                AppId::parse(raw).map(Some).map_err(|e| e.to_string())
            })?,
            graph_url: sources.parsed(
                "WA_GRAPH_URL",
                "https://graph.facebook.com".into(),
                parse_graph_url,
            )?,
            api_version: sources.parsed("WA_API_VERSION", "v23.0".into(), |raw| {
                let valid = raw.strip_prefix('v').is_some_and(|rest| {
                    rest.split('.').count() == 2
                        && rest
                            .split('.')
                            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
                });
                if valid {
                    Ok(raw.to_owned())
                } else {
                    Err(format!(
                        "expected a Graph API version such as v23.0, got {raw:?}"
                    ))
                }
            })?,
        };
        Ok(Config {
            bind,
            database_url,
            data_dir,
            site_root,
            public_origin,
            trusted_proxies: sources.parsed("PARLEY_TRUST_PROXY", 0, |raw| {
                match (parse_bool(raw), raw.parse::<usize>()) {
                    (_, Ok(count)) if count <= 16 => Ok(count),
                    (Ok(trusted), _) => Ok(usize::from(trusted)),
                    _ => Err(format!(
                        "expected false, true (one proxy) or the number of proxies, got {raw:?}"
                    )),
                }
            })?,
            sandbox_speed: sources.parsed("PARLEY_SANDBOX_SPEED", 1.0, |raw| {
                match raw.parse::<f64>() {
                    Ok(speed) if speed > 0.0 && speed <= 1000.0 => Ok(speed),
                    _ => Err(format!(
                        "expected a number above 0 and at most 1000, got {raw:?}"
                    )),
                }
            })?,
            send_rate: sources.parsed("PARLEY_SEND_RATE", None, |raw| {
                match raw.parse::<u32>() {
                    Ok(rate) if (1..=1000).contains(&rate) => Ok(Some(rate)),
                    _ => Err(format!(
                        "expected messages per second from 1 to 1000, got {raw:?}"
                    )),
                }
            })?,
            typing_indicator: sources.parsed("PARLEY_TYPING_INDICATOR", true, parse_bool)?,
            offline_after: sources.parsed(
                "PARLEY_OFFLINE_AFTER_MINUTES",
                Duration::from_secs(10 * 60),
                |raw| match raw.parse::<u64>() {
                    Ok(minutes) if (1..=24 * 60).contains(&minutes) => {
                        Ok(Duration::from_secs(minutes * 60))
                    }
                    _ => Err(format!("expected minutes from 1 to 1440, got {raw:?}")),
                },
            )?,
            webhook_silence: sources.parsed(
                "PARLEY_WEBHOOK_SILENCE_MINUTES",
                Duration::from_secs(10 * 60),
                |raw| match raw.parse::<u64>() {
                    Ok(minutes) if (1..=24 * 60).contains(&minutes) => {
                        Ok(Duration::from_secs(minutes * 60))
                    }
                    _ => Err(format!("expected minutes from 1 to 1440, got {raw:?}")),
                },
            )?,
            metrics: MetricsConfig {
                token: sources.secret("PARLEY_METRICS_TOKEN"),
                bind: sources.parsed("PARLEY_METRICS_BIND", None, |raw| {
                    raw.parse::<SocketAddr>().map(Some).map_err(|_| {
                        format!("expected an address such as 127.0.0.1:9100, got {raw:?}")
                    })
                })?,
            },
            marketing_frequency_cap: sources.parsed("PARLEY_MARKETING_CAP", 4, |raw| match raw
                .parse::<i64>()
            {
                Ok(cap) if (0..=1000).contains(&cap) => Ok(cap),
                _ => Err(format!(
                    "expected a count from 0 (no cap) to 1000, got {raw:?}"
                )),
            })?,
            message_retention: sources.parsed("PARLEY_RETENTION_DAYS", None, |raw| {
                match raw.parse::<u64>() {
                    Ok(days) if (1..=36_500).contains(&days) => {
                        Ok(Some(Duration::from_secs(days * 86_400)))
                    }
                    _ => Err(format!("expected days from 1 to 36500, got {raw:?}")),
                }
            })?,
            media_quota_bytes: sources.parsed(
                "PARLEY_MEDIA_QUOTA_MB",
                DEFAULT_MEDIA_QUOTA_MB * 1024 * 1024,
                |raw| match raw.parse::<u64>() {
                    Ok(megabytes) if (1..=u64::MAX / (1024 * 1024)).contains(&megabytes) => {
                        Ok(megabytes * 1024 * 1024)
                    }
                    _ => Err(format!(
                        "expected a whole number of MiB above 0, got {raw:?}"
                    )),
                },
            )?,
            session,
            whatsapp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_variables() {
        let config = Config::from_sources(&Sources::from_pairs([])).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(
            config.database_url,
            DatabaseUrl::Sqlite("sqlite:parley.db".into())
        );
        assert_eq!(config.whatsapp.graph_url, "https://graph.facebook.com");
        assert_eq!(config.whatsapp.api_version, "v23.0");
        assert!(!config.session.secure_cookies);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("PARLEY_BIND", "nowhere"),
            ("DATABASE_URL", "mysql://x"),
            ("WA_GRAPH_URL", "ftp://x"),
            ("WA_GRAPH_URL", "http://graph.example.com"),
            ("WA_API_VERSION", "23"),
            ("WA_WABA_ID", "abc"),
            ("PARLEY_SESSION_IDLE_MINUTES", "0"),
            ("PARLEY_SECURE_COOKIES", "maybe"),
        ] {
            let error = Config::from_sources(&Sources::from_pairs([(name, value)])).unwrap_err();
            assert!(error.to_string().starts_with(name), "{error}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let config = Config::from_sources(&Sources::from_pairs([
            ("WA_APP_SECRET", "app-secret-value"),
            ("WA_ACCESS_TOKEN", "EAAG-token-value"),
            (
                "DATABASE_URL",
                "postgres://parley:db-password@localhost/parley",
            ),
        ]))
        .unwrap();
        let printed = format!("{config:?}");
        for secret in ["app-secret-value", "EAAG-token-value", "db-password"] {
            assert!(!printed.contains(secret), "{secret} leaked: {printed}");
        }
    }

    #[test]
    fn toml_layers_under_environment() {
        let mut values =
            parse_toml("parley_bind = \"0.0.0.0:8080\"\nwa_api_version = \"v22.0\"").unwrap();
        values.insert("WA_API_VERSION".into(), "v24.0".into());
        let config = Config::from_sources(&Sources { values }).unwrap();
        assert_eq!(config.bind.to_string(), "0.0.0.0:8080");
        assert_eq!(config.whatsapp.api_version, "v24.0");
    }

    #[test]
    fn trusted_proxies_are_counted() {
        for (raw, count) in [("false", 0), ("true", 1), ("2", 2), ("0", 0)] {
            let config =
                Config::from_sources(&Sources::from_pairs([("PARLEY_TRUST_PROXY", raw)])).unwrap();
            assert_eq!(config.trusted_proxies, count, "{raw}");
        }
        assert!(
            Config::from_sources(&Sources::from_pairs([("PARLEY_TRUST_PROXY", "many")])).is_err()
        );
    }

    #[test]
    fn https_public_url_turns_on_secure_cookies() {
        let config = Config::from_sources(&Sources::from_pairs([(
            "PARLEY_PUBLIC_URL",
            "https://inbox.example.com/",
        )]))
        .unwrap();
        assert!(config.session.secure_cookies);
        assert_eq!(
            config.public_origin.as_deref(),
            Some("https://inbox.example.com")
        );
    }
}
