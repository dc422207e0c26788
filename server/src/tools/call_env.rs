//! What a long-running tool may use of the MCP request it serves: a way to
//! send progress notifications (when the client gave a progress token) and
//! a signal that the client cancelled the call. The MCP layer sets it around
//! a tool call ([`scope`]); a call made any other way (the docs generator,
//! tests calling a tool directly) has neither, and never reads as cancelled.
//! A task-local rather than a handler argument, so the tools that do not
//! wait (all but a few) keep their plain `(Ctx, Args)` signature.

use std::sync::Arc;

use futures::future::{BoxFuture, Shared};

/// Sends one progress notification: (done so far, total if known, message).
pub type ProgressFn = Arc<dyn Fn(f64, Option<f64>, String) -> BoxFuture<'static, ()> + Send + Sync>;

#[derive(Clone, Default)]
pub struct CallEnv {
    pub progress: Option<ProgressFn>,
    /// Completes when the client cancels the call.
    pub cancelled: Option<Shared<BoxFuture<'static, ()>>>,
}

impl std::fmt::Debug for CallEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallEnv")
            .field("progress", &self.progress.is_some())
            .field("cancellable", &self.cancelled.is_some())
            .finish()
    }
}

tokio::task_local! {
    static ENV: CallEnv;
}

/// Runs a tool call with `env` available to it through [`current`].
pub async fn scope<F: Future>(env: CallEnv, f: F) -> F::Output {
    ENV.scope(env, f).await
}

/// The environment of the tool call being served (empty outside [`scope`]).
pub fn current() -> CallEnv {
    ENV.try_with(Clone::clone).unwrap_or_default()
}

impl CallEnv {
    /// Whether the client asked for progress notifications.
    pub fn wants_progress(&self) -> bool {
        self.progress.is_some()
    }

    /// Sends a progress notification if the client asked for them.
    pub async fn progress(&self, done: f64, total: Option<f64>, message: String) {
        if let Some(p) = &self.progress {
            p(done, total, message).await;
        }
    }

    /// Completes when the call is cancelled; never, if it cannot be.
    pub async fn cancelled(&self) {
        match &self.cancelled {
            Some(c) => c.clone().await,
            None => std::future::pending().await,
        }
    }
}
