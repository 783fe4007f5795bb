//! The configuration: the documented example is valid, every mistake is named by its key, and no secret
//! ever appears in an error.

use acs_token_service::Config;
use acs_token_service::config::{AcsCredential, ConfigError};

const CONNECTION_STRING: &str =
    "endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0LWtleS1zZWNyZXQ=";

fn with_connection_string(name: &str) -> Option<String> {
    (name == "COMMUNICATION_SERVICES_CONNECTION_STRING").then(|| CONNECTION_STRING.to_owned())
}

fn problems(toml: &str) -> String {
    match Config::from_toml(toml, with_connection_string) {
        Ok(_) => panic!("accepted:\n{toml}"),
        Err(error) => error.to_string(),
    }
}

const MINIMAL: &str = r#"
[[issuers]]
issuer = "https://login.example.com"
audiences = ["api://tokens"]
"#;

#[test]
fn the_documented_example_is_valid() {
    let text = include_str!("../token-service.example.toml");
    let config = Config::from_toml(text, with_connection_string).expect("valid");
    assert_eq!(config.issuers.len(), 4);
    assert_eq!(config.server.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(config.policy.rules.len(), 2);
    assert!(config.teams.is_some());
    // The README shows the same file.
    let readme = include_str!("../README.md");
    assert!(readme.contains(text.split_once("\n\n").unwrap().1.trim()));
}

#[test]
fn defaults_are_safe() {
    let config = Config::from_toml(MINIMAL, with_connection_string).expect("valid");
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    assert!(config.server.allowed_origins.is_empty());
    assert_eq!(
        config.policy.default.scopes,
        [acs_identity::TokenScope::Chat]
    );
    assert_eq!(config.policy.default.max_lifetime.as_minutes(), 60);
    let issuer = &config.issuers[0];
    assert_eq!(
        issuer.discovery_url,
        "https://login.example.com/.well-known/openid-configuration"
    );
    assert_eq!(issuer.leeway.as_secs(), 60);
    assert!(matches!(
        config.acs.credential,
        AcsCredential::ConnectionString(_)
    ));
    assert!(config.teams.is_none());
    let server = &config.server;
    assert_eq!(server.header_timeout.as_secs(), 10);
    assert_eq!(server.body_timeout.as_secs(), 10);
    assert_eq!(server.idle_timeout.as_secs(), 60);
    assert_eq!(server.max_connections, 10_000);
    assert_eq!(server.max_concurrent_requests, 1024);
    assert_eq!(server.max_body_bytes, 16 * 1024);
}

#[test]
fn the_environment_wins_over_the_file() {
    let toml = format!(
        "[acs]\nconnection_string = \"endpoint=https://other.communication.azure.com/;accesskey=b3RoZXI=\"\n{MINIMAL}"
    );
    let config = Config::from_toml(&toml, with_connection_string).expect("valid");
    let AcsCredential::ConnectionString(connection_string) = &config.acs.credential else {
        panic!("not a connection string");
    };
    assert_eq!(
        connection_string.endpoint().host(),
        "contoso.communication.azure.com"
    );
    let from_file = Config::from_toml(&toml, |_| None).expect("valid");
    let AcsCredential::ConnectionString(connection_string) = &from_file.acs.credential else {
        panic!("not a connection string");
    };
    assert_eq!(
        connection_string.endpoint().host(),
        "other.communication.azure.com"
    );
}

#[test]
fn every_problem_is_named_by_its_key() {
    let text = problems(
        r#"
[server]
listen = "localhost"
allowed_origins = ["https://app.contoso.com/path"]
request_timeout = "forever"
body_timeout = "10ms"
idle_timeout = "2h"
max_connections = 0

[[issuers]]
issuer = "http://login.example.com"
audiences = []
algorithms = ["HS256", "none"]
leeway = "1h"

[identity]
custom_id = "{sub"

[policy.default]
scopes = ["Chat"]
max_lifetime_minutes = 30

[[policy.rules]]
scopes = ["voip"]

[rate_limits]
per_user = { requests = 0 }

[teams]
"#,
    );
    for expected in [
        "server.listen: \"localhost\" is not an address",
        "server.allowed_origins[0]",
        "server.request_timeout: \"forever\" is not a duration",
        "server.body_timeout: \"10ms\" is shorter than 100ms",
        "server.idle_timeout: \"2h\" is longer than 1h",
        "server.max_connections: must be at least 1",
        "issuers[0].issuer: \"http://login.example.com\" is not an https:// URL (http:// only on loopback)",
        "issuers[0].audiences",
        "issuers[0].algorithms: \"HS256\" is not accepted",
        "issuers[0].algorithms: \"none\" is not accepted",
        "issuers[0].leeway: \"1h\" is longer than 5m",
        "identity.custom_id",
        "policy.default.scopes: unknown scope \"Chat\" (did you mean \"chat\"?)",
        "policy.default.max_lifetime_minutes: 30 is not a token lifetime",
        "policy.rules[0]: a rule needs a condition",
        "rate_limits.per_user.requests",
        "teams.client_id: required",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn two_issuers_need_the_issuer_in_the_custom_id() {
    let text = problems(
        r#"
[identity]
custom_id = "{sub}"
[[issuers]]
issuer = "https://a.example.com"
audiences = ["x"]
[[issuers]]
issuer = "https://b.example.com"
audiences = ["x"]
"#,
    );
    assert!(
        text.contains("identity.custom_id: with more than one issuer"),
        "{text}"
    );
}

#[test]
fn no_credential_is_a_problem_that_says_what_to_set() {
    let error = Config::from_toml(MINIMAL, |_| None)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "acs: set acs.connection_string (or COMMUNICATION_SERVICES_CONNECTION_STRING)"
        ),
        "{error}"
    );
}

#[test]
fn errors_never_show_a_secret() {
    // A broken connection string: its key is not in the error.
    let secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";
    let toml =
        format!("[acs]\nconnection_string = \"endpoint=not a url;accesskey={secret}\"\n{MINIMAL}");
    let error = Config::from_toml(&toml, |_| None).unwrap_err().to_string();
    assert!(error.contains("acs.connection_string"), "{error}");
    assert!(!error.contains(secret), "{error}");
    // A TOML type error on the line of a secret: toml would quote the line; we give only its number.
    let toml = format!("[acs]\nconnection_string = \"accesskey={secret}\"\ntimeout = 5\n{MINIMAL}");
    let error = Config::from_toml(&toml, |_| None).unwrap_err();
    assert!(
        matches!(error, ConfigError::Syntax { line: Some(3), .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains(secret));
    let toml = format!("[acs]\nconnection_string = \"accesskey={secret}\ntimeout = 5\n{MINIMAL}");
    let error = Config::from_toml(&toml, |_| None).unwrap_err().to_string();
    assert!(!error.contains(secret), "{error}");
    // Nor does the Debug of a valid configuration.
    let config = Config::from_toml(MINIMAL, with_connection_string).unwrap();
    assert!(!format!("{config:?}").contains("c2VjcmV0LWtleS1zZWNyZXQ="));
}

#[test]
fn unknown_keys_are_refused_with_their_line() {
    let error =
        Config::from_toml("[server]\nlisten = \"127.0.0.1:1\"\nlisen = 1\n", |_| None).unwrap_err();
    let ConfigError::Syntax { line, message } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*line, Some(3));
    assert!(message.contains("lisen"), "{message}");
}

fn several_instances_block() -> &'static str {
    let readme = include_str!("../README.md");
    let section = readme
        .split_once("## Running several instances")
        .expect("the README's section")
        .1;
    section
        .split_once("```toml\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a toml block")
        .0
}

#[test]
fn the_several_instances_example_is_valid_and_keeps_its_secrets() {
    let key = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    let env = |name: &str| match name {
        "ACS_TOKEN_SERVICE_REDIS_URL" => Some("redis://:hunter2@10.0.0.5:6379/0".to_owned()),
        "TOKEN_CACHE_KEY_2025_06" | "TOKEN_CACHE_KEY_2025_01" => Some(key.to_owned()),
        other => with_connection_string(other),
    };
    let text = format!("{MINIMAL}\n{}", several_instances_block());
    let config = Config::from_toml(&text, env).expect("valid");
    let redis = config.redis.as_ref().expect("redis");
    assert_eq!(redis.url.to_string(), "redis://10.0.0.5:6379/0");
    let cache = config.token_cache.as_ref().expect("cache");
    assert_eq!(cache.keys.len(), 2);
    assert_eq!(cache.current_key, "2025-06");
    let debug = format!("{config:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains("AQIDBAUG"), "{debug}");
}

#[test]
fn redis_and_cache_mistakes_are_named_by_key_without_secrets() {
    let text = format!(
        "{MINIMAL}\n[redis]\nurl = \"http://:hunter2@host\"\ntimeout = \"1ms\"\nrate_limit_fail = \"maybe\"\n\n\
         [token_cache]\nmin_remaining = \"2h\"\ncurrent_key = \"nope\"\n\
         [[token_cache.keys]]\nid = \"a\"\nkey = \"c2hvcnQ=\"\n\
         [[token_cache.keys]]\nid = \"b c\"\nkey_env = \"UNSET\"\n"
    );
    let errors = problems(&text);
    for expected in [
        "redis.url",
        "redis.timeout",
        "redis.rate_limit_fail",
        "token_cache.min_remaining",
        "token_cache.keys[0].key",
        "token_cache.keys[1].id",
        "token_cache.current_key",
    ] {
        assert!(errors.contains(expected), "missing {expected} in {errors}");
    }
    assert!(
        !errors.contains("hunter2") && !errors.contains("c2hvcnQ"),
        "{errors}"
    );
    // With Redis, the cache needs keys that every instance shares.
    let errors = problems(&format!(
        "{MINIMAL}\n[redis]\nurl = \"redis://127.0.0.1:6379\"\n[token_cache]\n"
    ));
    assert!(errors.contains("token_cache.keys"), "{errors}");
    // Without Redis, a cache needs no key (one is made for the process).
    let config = Config::from_toml(
        &format!("{MINIMAL}\n[token_cache]\n"),
        with_connection_string,
    )
    .expect("valid");
    assert!(config.redis.is_none() && config.token_cache.is_some());
}
