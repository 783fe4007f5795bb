//! The client: how it is built and what it holds.

// The client, its constructors and `Debug` are written once in the core, over this crate's transport and
// token cache.
acs_identity_core::communication_identity_client! {
    /// The client of the ACS Identity service: creates users, issues, exchanges and revokes their tokens, and
    /// manages Teams extension and Entra ID assignments.
    ///
    /// Cheap to clone (the connection pool and token cache are shared) and `Send + Sync`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = acs_identity_emulator::Emulator::builder().start().await?;
    /// # let connection_string = emulator.connection_string();
    /// use acs_identity::{CommunicationIdentityClient, TokenScope};
    ///
    /// let client = CommunicationIdentityClient::from_connection_string(&connection_string)?;
    /// let user = client.create_user().await?;
    /// let token = client.get_token(&user, &[TokenScope::Chat], Default::default()).await?;
    /// assert!(!token.token().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub struct CommunicationIdentityClient;
    sdk: acs_identity,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CommunicationUserIdentifier, TokenOptions, TokenScope};

    fn assert_send<T: Send>(_: &T) {}

    /// The rest of what a client must be is in the shared suite (`tests/common/scenarios.rs`).
    #[test]
    fn the_futures_of_a_client_can_cross_threads() {
        let connection_string =
            "endpoint=https://contoso.communication.azure.com/;accesskey=c2VjcmV0";
        let client =
            CommunicationIdentityClient::from_connection_string(connection_string).unwrap();
        let user = CommunicationUserIdentifier::new("8:acs:someone");
        assert_send(&client.create_user());
        assert_send(&client.get_token(&user, &[TokenScope::Chat], TokenOptions::default()));
        assert_send(&client.update_entra_assignments([]));
    }
}
