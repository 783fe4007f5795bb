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
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = acs_identity_emulator::Emulator::builder().start_in_background()?;
    /// # let connection_string = emulator.connection_string();
    /// use acs_identity_blocking::{CommunicationIdentityClient, TokenScope};
    ///
    /// let client = CommunicationIdentityClient::from_connection_string(&connection_string)?;
    /// let user = client.create_user()?;
    /// let token = client.get_token(&user, &[TokenScope::Chat], Default::default())?;
    /// assert!(!token.token().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub struct CommunicationIdentityClient;
    sdk: acs_identity_blocking,
}
