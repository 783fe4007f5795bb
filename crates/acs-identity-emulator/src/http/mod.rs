//! The HTTP layer: hyper server, responses, the per-request pipeline.

pub(crate) mod body;
pub(crate) mod limits;
pub(crate) mod request_body;
pub(crate) mod response;
pub(crate) mod server;
pub(crate) mod service;
