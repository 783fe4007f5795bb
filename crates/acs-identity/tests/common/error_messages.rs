//! Errors that say what to do: a wrong access key, an unreachable endpoint.
//!
//! Included by `tests/error_messages.rs` of both clients, whose `tests/support` defines the seam (`sdk`,
//! `client_test!`, `aw!`, `start_emulator`). Written once.

use std::time::Duration;

use acs_identity_emulator::Emulator;

use crate::sdk::{
    AccessKey, ClientOptions, CommunicationIdentityClient, ConnectionString, Endpoint, ErrorKind,
    RetryOptions,
};
use crate::support::start_emulator;

client_test!(a_wrong_access_key_says_where_to_copy_the_right_one {
    let emulator = aw!(start_emulator(Emulator::builder()));
    let real = ConnectionString::parse(&emulator.connection_string()).unwrap();
    let wrong = AccessKey::from_bytes(vec![1; 32]);
    let client = CommunicationIdentityClient::with_access_key(
        real.endpoint().clone(),
        wrong,
        ClientOptions::default(),
    );
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Service, "{error}");
    let message = error.to_string();
    assert!(message.contains("401"), "{message}");
    assert!(
        message.contains("access key does not match this resource")
            && message.contains("Settings > Keys"),
        "{message}"
    );
});

client_test!(a_network_failure_names_the_endpoint_attempts_and_time {
    // Nothing listens on the discard port of loopback: every attempt is refused at once.
    let endpoint = Endpoint::parse("http://127.0.0.1:9").unwrap();
    let options = ClientOptions::default().retry(
        RetryOptions::default()
            .max_retries(2)
            .initial_delay(Duration::from_millis(1)),
    );
    let client = CommunicationIdentityClient::with_access_key(
        endpoint,
        AccessKey::from_bytes(vec![7; 32]),
        options,
    );
    let error = aw!(client.create_user()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    let message = error.to_string();
    assert!(
        message.contains("at http://127.0.0.1:9 (3 attempts over "),
        "{message}"
    );
    assert!(message.contains("check the endpoint"), "{message}");
});
