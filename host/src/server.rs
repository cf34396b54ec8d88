//! Binding and serving.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;
use tokio::time::MissedTickBehavior;

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

/// A non-blocking listener on `addr` with `SO_REUSEPORT`, so that several
/// can share the address and the kernel spreads connections among them.
/// It listens at once, not when its worker starts: connections that arrive
/// earlier wait in the backlog instead of being refused.
pub fn reuse_port_listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Listeners for worker threads: one `SO_REUSEPORT` socket per worker, all
/// bound to the same address.
///
/// Each worker runs its own single-threaded runtime, so a connection, its
/// plugin calls and its upstream connection all stay on one thread (the way
/// nginx runs workers).
#[derive(Debug)]
pub struct Workers {
    listeners: Vec<std::net::TcpListener>,
    addr: SocketAddr,
    housekeeping: Option<(Duration, fn())>,
}

impl Workers {
    /// Bind `count` sockets to `addr` (port 0 resolves once, then every
    /// socket takes that port).
    ///
    /// An address already in use is refused, even by another process's
    /// `SO_REUSEPORT` sockets (a second gateway on the same port would
    /// otherwise share its connections silently).
    pub fn bind(addr: SocketAddr, count: usize) -> std::io::Result<Self> {
        let mut listeners = Vec::with_capacity(count.max(1));
        // A plain bind fails on any listener there, `SO_REUSEPORT` or not.
        let mut addr = std::net::TcpListener::bind(addr)?.local_addr()?;
        for _ in 0..count.max(1) {
            let listener = reuse_port_listener(addr)?;
            addr = listener.local_addr()?;
            listeners.push(listener);
        }
        Ok(Self {
            listeners,
            addr,
            housekeeping: None,
        })
    }

    /// Run `task` on every worker thread every `period`, for work that must
    /// happen on the thread itself (such as giving back what its allocator
    /// heap holds).
    pub fn housekeeping(mut self, period: Duration, task: fn()) -> Self {
        self.housekeeping = Some((period, task));
        self
    }

    /// The address every worker listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve `gw` on every worker until `shutdown` completes, then let the
    /// workers finish their connections and return.
    pub fn run(
        self,
        gw: Arc<Gateway>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(addr = %self.addr, workers = self.listeners.len(), "wasmgate listening");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut threads = Vec::new();
        let housekeeping = self.housekeeping;
        for (i, listener) in self.listeners.into_iter().enumerate() {
            let gw = gw.clone();
            let mut stopped = stopped.clone();
            let thread = std::thread::Builder::new()
                .name(format!("wasmgate-worker-{i}"))
                .spawn(move || -> std::io::Result<()> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async move {
                        if let Some((period, task)) = housekeeping {
                            tokio::spawn(async move {
                                let mut ticks = tokio::time::interval(period);
                                ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
                                loop {
                                    ticks.tick().await;
                                    task();
                                }
                            });
                        }
                        let listener = TcpListener::from_std(listener)?;
                        serve(listener, gw, async move {
                            let _ = stopped.wait_for(|stop| *stop).await;
                        })
                        .await
                    })
                })?;
            threads.push(thread);
        }
        let signal = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        signal.block_on(shutdown);
        let _ = stop.send(true);
        for thread in threads {
            match thread.join() {
                Ok(result) => result?,
                Err(_) => tracing::error!("a worker thread panicked"),
            }
        }
        Ok(())
    }
}
