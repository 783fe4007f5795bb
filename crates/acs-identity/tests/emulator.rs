//! The shared scenario suites (`tests/common/scenarios.rs`, `tests/common/responses.rs`) against the embedded
//! emulator, async; and what only the async client has: cancellation by dropping the future.

#[macro_use]
mod support;

use support::{Env, sdk};

#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/responses.rs"]
mod responses;
#[path = "common/scenarios.rs"]
mod scenarios;

mod cancellation {
    use std::time::Duration;

    use acs_identity_emulator::{Fault, FaultRule, Operation, RetryAfter};

    use crate::sdk::{CallOptions, ClientOptions, RetryOptions};

    fn retrying() -> ClientOptions {
        let retry = RetryOptions::default().initial_delay(Duration::from_millis(5));
        ClientOptions::default().retry(retry)
    }

    // Dropped while it waits to retry: the retry never happens.
    scenario!(a_call_dropped_between_attempts_makes_no_late_attempt(env) {
        let client = env.client_with(retrying());
        let user = client.create_user().await.unwrap();
        let unavailable = Fault::Status { status: 503, retry_after: Some(RetryAfter::Milliseconds(1000)) };
        env.emulator.faults().push(FaultRule::next(1, unavailable).only(Operation::GetIdentity));
        let options = CallOptions::default();
        let call = client.get_user_detail_with_response(&user, &options);
        assert!(tokio::time::timeout(Duration::from_millis(150), call).await.is_err(), "still waiting to retry");
        assert_eq!(env.emulator.requests().count(Operation::GetIdentity), 1);
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert_eq!(env.emulator.requests().count(Operation::GetIdentity), 1, "no attempt after the drop");
        // The client is as good as before.
        client.get_user_detail(&user).await.unwrap();
    });

    // Dropped while its attempt is in flight: the connection is let go, and nothing is sent again.
    scenario!(a_call_dropped_during_an_attempt_makes_no_late_attempt(env) {
        let client = env.client_with(retrying());
        let user = client.create_user().await.unwrap();
        env.emulator.faults().push(FaultRule::next(1, Fault::Latency(Duration::from_millis(400))).only(Operation::GetIdentity));
        let call = client.get_user_detail(&user);
        assert!(tokio::time::timeout(Duration::from_millis(100), call).await.is_err(), "the answer is 400 ms away");
        tokio::time::sleep(Duration::from_millis(900)).await;
        let records = env.emulator.requests().records_of(Operation::GetIdentity);
        assert_eq!(records.len(), 1, "no attempt after the drop: {records:?}");
        assert_eq!(records[0].status, None, "the emulator saw the client hang up");
    });
}
