//! Binding and serving.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::gateway::{Gateway, router};

/// Why the gateway will not listen where it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// A public address with no access keys.
    #[error(
        "refusing to listen on {0} without access keys: set server.api_keys, \
         listen on a loopback address, or set server.allow_unauthenticated_remote = true"
    )]
    Unprotected(SocketAddr),
}

/// With no access keys, only loopback addresses are allowed unless the config
/// says otherwise explicitly.
pub fn check_bind(config: &Config) -> Result<(), BindError> {
    let addr = config.server.listen;
    if config.server.api_keys.is_empty()
        && !addr.ip().is_loopback()
        && !config.server.allow_unauthenticated_remote
    {
        return Err(BindError::Unprotected(addr));
    }
    Ok(())
}

/// Serve `gw` on `listener` (with `TCP_NODELAY` on every connection) until
/// `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    gw: Arc<Gateway>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, router(gw))
        .with_graceful_shutdown(shutdown)
        .await
}
