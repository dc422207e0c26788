//! The accept loop and its connections, owned here rather than by
//! `axum::serve` because fault injection needs three things it does not
//! give: a handler closing its own connection without answering (the
//! `drop` actions, through the [`DropConn`] request extension), closing
//! every connection at once, and serving again on the same address after a
//! pause (a restart).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::serve::{Listener, ListenerExt};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::{Mutex, Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::state::Shared;

/// How long in-flight requests may take to finish when the server stops;
/// long polls (`WaitForUpdates`) are cut off after it.
const GRACE: Duration = Duration::from_secs(2);

/// Put in every request: a handler that calls [`DropConn::now`] has its
/// connection closed without an answer.
#[derive(Clone, Debug)]
pub(crate) struct DropConn(Arc<Notify>);

impl DropConn {
    /// Closes the connection; the caller's future is dropped with it, so
    /// it waits forever here.
    pub(crate) async fn now(&self) -> ! {
        self.0.notify_one();
        std::future::pending().await
    }
}

struct Running {
    stop: watch::Sender<bool>,
    join: JoinHandle<()>,
}

pub(crate) struct Server {
    app: Router,
    shared: Arc<Shared>,
    addr: SocketAddr,
    tls: bool,
    running: Mutex<Option<Running>>,
}

impl Server {
    /// The simulator's routes (`http::app`) with the control API wired to
    /// the server it restarts, served on `listen`.
    pub(crate) async fn serve(
        shared: Arc<Shared>,
        listen: SocketAddr,
        tls: bool,
    ) -> anyhow::Result<Arc<Server>> {
        let ctl = Arc::new(crate::faults::control::Ctl {
            shared: shared.clone(),
            server: Default::default(),
        });
        let app = crate::http::app(shared.clone(), ctl.clone());
        let server = Server::start(app, shared, listen, tls).await?;
        // Set once, here, before anything can ask for a restart.
        let _ = ctl.server.set(Arc::downgrade(&server));
        Ok(server)
    }

    /// Binds `listen` and starts serving `app`.
    pub(crate) async fn start(
        app: Router,
        shared: Arc<Shared>,
        listen: SocketAddr,
        tls: bool,
    ) -> anyhow::Result<Arc<Server>> {
        let tcp = bind(listen).await?;
        let addr = tcp.local_addr()?;
        let server = Arc::new(Server {
            app,
            shared,
            addr,
            tls,
            running: Mutex::new(None),
        });
        let running = server.spawn(tcp)?;
        *server.running.lock().await = Some(running);
        tracing::info!(%addr, tls, "vcsim listening");
        Ok(server)
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn spawn(&self, tcp: tokio::net::TcpListener) -> anyhow::Result<Running> {
        let (stop, rx) = watch::channel(false);
        let app = self.app.clone();
        let join = if self.tls {
            let l = crate::tls::TlsListener::new(tcp, self.shared.clone())?;
            tokio::spawn(run(l, app, rx))
        } else {
            let shared = self.shared.clone();
            let l = tcp.tap_io(move |io| crate::http::no_delay(io, &shared.conns));
            tokio::spawn(run(l, app, rx))
        };
        Ok(Running { stop, join })
    }

    /// Stops accepting (the port refuses connections), lets in-flight
    /// requests finish for up to [`GRACE`], then closes every connection.
    pub(crate) async fn stop(&self) {
        let running = self.running.lock().await.take();
        if let Some(r) = running {
            let _ = r.stop.send(true);
            if let Err(e) = r.join.await {
                tracing::error!(error = %e, "the accept loop failed");
            }
        }
    }

    /// A vCenter restart: held requests let go (their connections close),
    /// the server stops, sessions and what belongs to them go, the port
    /// refuses connections for `down`, then the same objects are served on
    /// the same address.
    pub(crate) async fn restart(&self, down: Duration) -> anyhow::Result<()> {
        self.shared.faults.gate.abort_held();
        self.stop().await;
        crate::faults::sessions::restart(&self.shared);
        tokio::time::sleep(down).await;
        let tcp = bind(self.addr).await?;
        let running = self.spawn(tcp)?;
        *self.running.lock().await = Some(running);
        tracing::info!(addr = %self.addr, "vcsim restarted");
        Ok(())
    }
}

/// Binds `listen`. After a restart the old listening socket may take a
/// moment to close (the TLS accept task is aborted, not joined), so an
/// address in use is retried for a short while.
async fn bind(listen: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let mut tries = 0;
    loop {
        match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => return Ok(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 40 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(e) => anyhow::bail!("cannot listen on {listen}: {e}"),
        }
    }
}

/// Accepts until `stop`, then winds the connections down.
async fn run<L>(mut listener: L, app: Router, mut stop: watch::Receiver<bool>)
where
    L: Listener,
{
    let (closing, _) = watch::channel(false);
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            (io, _peer) = listener.accept() => {
                conns.spawn(connection(io, app.clone(), closing.subscribe()));
            }
            // A changed value or a dropped sender: stop either way.
            _ = stop.changed() => break,
            // Reap finished connections so the set does not grow.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let drained =
        tokio::time::timeout(GRACE, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        // Dropping a connection's task closes its socket.
        conns.shutdown().await;
    }
}

/// Serves one connection until it ends, its handler drops it, or the
/// server closes (gracefully: the request under way is answered first).
async fn connection<I>(io: I, app: Router, mut closing: watch::Receiver<bool>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let kill = Arc::new(Notify::new());
    let ext = DropConn(kill.clone());
    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(axum::body::Body::new);
        req.extensions_mut().insert(ext.clone());
        app.clone().oneshot(req)
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let mut graceful = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::trace!(error = %e, "connection ended");
                }
                return;
            }
            () = kill.notified() => return,
            r = closing.wait_for(|c| *c), if !graceful => {
                graceful = true;
                if r.is_err() {
                    return;
                }
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
