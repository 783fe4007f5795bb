//! `cargo xtask fixtures`: the protocol snapshots of `acs-identity-core`.

pub(crate) fn run(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("fixtures are not wired yet")
}
