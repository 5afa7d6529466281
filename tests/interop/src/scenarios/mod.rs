//! The scenarios: a registry of named, time-bounded async checks, and the [`Ctx`] each
//! one gets (its log directory, free ports, the capture of its traffic).
//!
//! To add a scenario: write `async fn my_check(ctx: &mut Ctx) -> Result<String>` in a
//! module here (the `String` is the detail shown in the table), and list it in that
//! module's `scenarios()` with [`Scenario::new`]; add the module's list to [`all`].

mod baresip;
mod calls;
mod dispatcher;
mod load;
mod options;
mod pyvoip;
mod register;
mod selftest;
mod transfer;
mod transport;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use anyhow::{Context as _, Result};
use voip::{VoipPhone, VoipPhoneParameterBuilder};

use crate::peers::ports::Ports;
use crate::peers::tshark::{Capture, PortRoles};

/// What a scenario's run returns: a boxed future borrowing the context.
pub(crate) type ScenarioFuture<'a> = Pin<Box<dyn Future<Output = Result<String>> + Send + 'a>>;

/// One scenario of the suite.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// A unique name (`--only` matches it or a prefix of it).
    pub(crate) name: &'static str,
    /// What it checks, in one line.
    pub(crate) description: &'static str,
    /// The time bound: the scenario fails when it runs longer.
    pub(crate) timeout: Duration,
    /// The check itself.
    pub(crate) run: for<'a> fn(&'a mut Ctx) -> ScenarioFuture<'a>,
}

impl Scenario {
    /// A scenario; `run` is usually `|ctx| Box::pin(my_check(ctx))`.
    pub(crate) fn new(
        name: &'static str,
        description: &'static str,
        timeout_secs: u64,
        run: for<'a> fn(&'a mut Ctx) -> ScenarioFuture<'a>,
    ) -> Scenario {
        Scenario {
            name,
            description,
            timeout: Duration::from_secs(timeout_secs),
            run,
        }
    }
}

/// Every scenario, in the order they run.
pub(crate) fn all() -> Vec<Scenario> {
    let mut v = Vec::new();
    v.extend(selftest::scenarios());
    v.extend(register::scenarios());
    v.extend(options::scenarios());
    v.extend(calls::scenarios());
    v.extend(load::scenarios());
    v.extend(dispatcher::scenarios());
    v.extend(transport::scenarios());
    v.extend(baresip::scenarios());
    v.extend(transfer::scenarios());
    v.extend(pyvoip::scenarios());
    v
}

/// A scenario's context.
#[derive(Debug)]
#[allow(dead_code)] // fields for scenario authors; not every one is read yet
pub(crate) struct Ctx {
    /// The scenario's name.
    pub(crate) name: &'static str,
    /// `<work_dir>/logs/<scenario>/`: peer logs, capture, run directories.
    pub(crate) log_dir: PathBuf,
    /// The suite's source directory (`tests/interop`): peer configs, SIPp scenarios.
    pub(crate) suite_dir: PathBuf,
    /// The run's work directory (`target/interop`; the pyVoIP venv is `venv/` in it).
    pub(crate) work_dir: PathBuf,
    /// Free port allocator.
    pub(crate) ports: Ports,
    roles: PortRoles,
    capture: Option<Capture>,
}

impl Ctx {
    /// A fresh context with an empty log directory and a running capture.
    pub(crate) async fn new(
        name: &'static str,
        suite_dir: &Path,
        work_dir: &Path,
        ports: Ports,
    ) -> Result<Ctx> {
        let log_dir = work_dir.join("logs").join(name);
        if log_dir.exists() {
            std::fs::remove_dir_all(&log_dir).context("clearing old logs")?;
        }
        std::fs::create_dir_all(&log_dir).context("creating the log directory")?;
        let capture = Capture::start(&log_dir)
            .await
            .context("starting the capture")?;
        Ok(Ctx {
            name,
            log_dir,
            suite_dir: suite_dir.to_owned(),
            work_dir: work_dir.to_owned(),
            ports,
            roles: PortRoles::default(),
            capture: Some(capture),
        })
    }

    /// Declares a port as our phone's (packets from it are checked strictly).
    pub(crate) fn our_port(&mut self, port: u16) {
        self.roles.ours.insert(port);
    }

    /// Declares a port a peer listens on.
    pub(crate) fn peer_port(&mut self, port: u16) {
        self.roles.peers.insert(port);
    }

    /// Asks tshark to dissect this port as SIP (UDP and TCP).
    pub(crate) fn decode_sip(&mut self, port: u16) {
        self.roles.sip.insert(port);
    }

    /// Asks tshark to dissect this TCP port as TLS (not SIP).
    pub(crate) fn decode_tls(&mut self, port: u16) {
        self.roles.tls.insert(port);
    }

    /// A path in the log directory.
    #[allow(dead_code)]
    pub(crate) fn log_path(&self, file: &str) -> PathBuf {
        self.log_dir.join(file)
    }

    /// Parameters for one of our phones: bound to 127.0.0.1 on a fresh SIP port with a
    /// fresh RTP range of `rtp_ports` ports, all declared ours. Add `.server(..)`,
    /// `.password(..)` etc., then `.build()`.
    pub(crate) fn phone_params(
        &mut self,
        user: &str,
        rtp_ports: u16,
    ) -> Result<VoipPhoneParameterBuilder> {
        let sip = self.ports.port()?;
        let rtp = self.ports.block(rtp_ports.max(2))?;
        self.our_port(sip);
        self.decode_sip(sip);
        for p in rtp..rtp + rtp_ports.max(2) {
            self.our_port(p);
        }
        Ok(voip::VoipPhoneParameter::builder(user)
            .bind(std::net::SocketAddr::from(([127, 0, 0, 1], sip)))
            .rtp_ports(rtp, rtp + rtp_ports.max(2) - 1))
    }

    /// A started phone from `params` (peer to peer, or registered when a server is set).
    pub(crate) async fn start_phone(
        &mut self,
        params: VoipPhoneParameterBuilder,
    ) -> Result<VoipPhone> {
        let phone = VoipPhone::new(params.build()?)?;
        phone.start().await.context("starting our phone")?;
        Ok(phone)
    }

    /// Stops the capture and checks our packets (called by the runner after the
    /// scenario); the returned text goes into the table's detail column.
    pub(crate) async fn finish(&mut self) -> Result<String> {
        match self.capture.take() {
            Some(c) => Ok(c.finish(&self.roles).await?.to_string()),
            None => Ok(String::new()),
        }
    }
}

/// A [`voip::SipLayer`] that keeps a copy of every SIP message our phone sends and
/// receives, for assertions on headers (clone it into the phone's parameters and keep a
/// clone to read).
#[derive(Debug, Clone, Default)]
pub(crate) struct SipRecorder {
    sent: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    received: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl voip::SipLayer for SipRecorder {
    fn on_receive(&self, message: sip_message::SipMessage) -> Option<sip_message::SipMessage> {
        lock(&self.received).push(message.to_string());
        Some(message)
    }

    fn on_send(&self, bytes: bytes::Bytes) -> bytes::Bytes {
        lock(&self.sent).push(String::from_utf8_lossy(&bytes).into_owned());
        bytes
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SipRecorder {
    /// Messages sent so far (raw text).
    pub(crate) fn sent(&self) -> Vec<String> {
        lock(&self.sent).clone()
    }

    /// Messages received so far.
    pub(crate) fn received(&self) -> Vec<String> {
        lock(&self.received).clone()
    }

    /// Sent requests of `method`.
    pub(crate) fn sent_requests(&self, method: &str) -> Vec<String> {
        let prefix = format!("{method} ");
        self.sent()
            .into_iter()
            .filter(|m| m.starts_with(&prefix))
            .collect()
    }

    /// Received responses with `status` whose CSeq method is `method`.
    pub(crate) fn received_responses(&self, status: u16, method: &str) -> Vec<String> {
        let prefix = format!("SIP/2.0 {status} ");
        self.received()
            .into_iter()
            .filter(|m| m.starts_with(&prefix) && cseq_method(m) == Some(method))
            .collect()
    }
}

/// The value of the first header `name` (case-insensitive, no compact forms) in a
/// message's text.
pub(crate) fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .skip(1)
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
}

/// The method in a message's CSeq.
pub(crate) fn cseq_method(message: &str) -> Option<&str> {
    header(message, "CSeq")?.split_whitespace().nth(1)
}

/// A spawned task that is aborted when the guard is dropped (so a failing or timed-out
/// scenario leaves nothing running).
#[derive(Debug)]
pub(crate) struct TaskGuard<T>(Option<tokio::task::JoinHandle<T>>);

impl<T: Send + 'static> TaskGuard<T> {
    /// Spawns `fut`.
    pub(crate) fn spawn(fut: impl Future<Output = T> + Send + 'static) -> Self {
        TaskGuard(Some(tokio::spawn(fut)))
    }

    /// Waits for the task's result.
    pub(crate) async fn join(mut self) -> Result<T> {
        let handle = self.0.take().context("task already joined")?;
        handle.await.context("task panicked or was aborted")
    }

    /// Stops the task now.
    pub(crate) fn abort(&self) {
        if let Some(h) = &self.0 {
            h.abort();
        }
    }
}

impl<T> Drop for TaskGuard<T> {
    fn drop(&mut self) {
        if let Some(h) = &self.0 {
            h.abort();
        }
    }
}
