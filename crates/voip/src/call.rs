//! [`VoipCall`]: one call of a [`VoipPhone`](crate::VoipPhone) (pyVoIP's `VoIPCall`).
//!
//! A `VoipCall` is a cheap handle (clone it freely, send it to other tasks). Signalling
//! operations ([`answer`](VoipCall::answer), [`deny`](VoipCall::deny),
//! [`hangup`](VoipCall::hangup), [`cancel`](VoipCall::cancel),
//! [`transfer`](VoipCall::transfer)) go to the phone's driver task and check the call
//! state there, failing with [`Error::InvalidState`] as pyVoIP's `InvalidStateError`:
//!
//! | operation | allowed in |
//! |---|---|
//! | `answer`, `deny`, `early_media` | [`CallState::Ringing`] |
//! | `cancel` | [`CallState::Dialing`], [`CallState::Progress`] |
//! | `hangup`, `transfer`, `hold`/`resume` | [`CallState::Answered`] |
//!
//! Audio and DTMF go straight to the call's media stream ([`crate::media`]): pyVoIP's
//! 8-bit unsigned format for [`read_audio`](VoipCall::read_audio) /
//! [`write_audio`](VoipCall::write_audio) (8 kHz mono, 160 bytes per 20 ms, silence
//! `0x80`), 16-bit variants, RFC 4733 DTMF both ways, and [`play`](VoipCall::play) with
//! [`Playback::until_dtmf`] for IVR prompts that stop when a key is pressed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use rtp_core::TransmitType;
use sip_message::SipMessage;
use tokio::sync::{Notify, mpsc, oneshot, watch};

use crate::core::{CallDirection, CallKey, EndReason};
use crate::driver::Command;
use crate::error::{Error, Result};
use crate::media::{MediaStats, MediaStream, Playback};
use crate::sdp_negotiation::NegotiatedMedia;

pub use crate::core::CallState;

/// Shared between the driver and every handle of a call.
#[derive(Debug)]
pub(crate) struct CallShared {
    pub(crate) key: CallKey,
    pub(crate) direction: CallDirection,
    pub(crate) state: watch::Sender<CallState>,
    /// Every state the call has been in, in order (the first is its initial state).
    /// Pushed before `state` is sent, so a receiver woken by `state` finds it here.
    history: Mutex<Vec<CallState>>,
    pub(crate) request: SipMessage,
    pub(crate) stream: OnceLock<MediaStream>,
    pub(crate) info: Mutex<CallInfo>,
    pub(crate) commands: mpsc::Sender<Command>,
    /// Keys received in SIP INFO requests while the call had no media stream (with one,
    /// they go into its DTMF buffer; most PBXs use RFC 4733 anyway).
    pub(crate) info_dtmf: Mutex<VecDeque<char>>,
    pub(crate) info_dtmf_ready: Notify,
}

/// Most SIP INFO keys kept; the oldest are dropped beyond it.
const MAX_INFO_DTMF: usize = 64;

/// Most states kept in a call's history.
const MAX_HISTORY: usize = 32;

#[derive(Debug, Default)]
pub(crate) struct CallInfo {
    pub(crate) end_reason: Option<EndReason>,
    pub(crate) last_message: Option<SipMessage>,
    pub(crate) media: Option<NegotiatedMedia>,
}

impl CallShared {
    pub(crate) fn new(
        key: CallKey,
        direction: CallDirection,
        state: CallState,
        request: SipMessage,
        commands: mpsc::Sender<Command>,
    ) -> Arc<Self> {
        Arc::new(CallShared {
            key,
            direction,
            state: watch::Sender::new(state),
            history: Mutex::new(vec![state]),
            request,
            stream: OnceLock::new(),
            info: Mutex::new(CallInfo::default()),
            commands,
            info_dtmf: Mutex::new(VecDeque::new()),
            info_dtmf_ready: Notify::new(),
        })
    }

    /// Moves the call to `state` (recorded in the history, then published); `false` when
    /// it already was in it or had ended.
    pub(crate) fn set_state(&self, state: CallState) -> bool {
        {
            let mut h = self.history();
            let last = h.last().copied();
            if last == Some(state) || last == Some(CallState::Ended) {
                return false;
            }
            // Each of the six states is entered once at most, but the history stays
            // bounded whatever the core reports (the end is always recorded).
            if h.len() < MAX_HISTORY || state == CallState::Ended {
                h.push(state);
            }
        }
        self.state.send_replace(state);
        true
    }

    fn history(&self) -> std::sync::MutexGuard<'_, Vec<CallState>> {
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn info(&self) -> std::sync::MutexGuard<'_, CallInfo> {
        self.info.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn info_keys(&self) -> std::sync::MutexGuard<'_, VecDeque<char>> {
        self.info_dtmf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A key from a SIP INFO: into the media stream's DTMF buffer when the call has one
    /// (so [`Playback::until_dtmf`] barges in on it too), else kept here.
    pub(crate) fn push_info_dtmf(&self, digit: char) {
        if let Some(stream) = self.stream.get()
            && stream.push_received_dtmf(digit).is_ok()
        {
            return;
        }
        let mut q = self.info_keys();
        if q.len() >= MAX_INFO_DTMF {
            q.pop_front();
        }
        q.push_back(digit);
        drop(q);
        self.info_dtmf_ready.notify_one();
    }
}

/// The states of a call, replayed from the first, then live; see
/// [`VoipCall::state_events`].
#[derive(Debug)]
pub struct CallStates {
    shared: Arc<CallShared>,
    rx: watch::Receiver<CallState>,
    next: usize,
}

impl CallStates {
    /// The next state the call entered (at once when it is in the history already, else
    /// when the call changes state); `None` after [`CallState::Ended`] was returned.
    pub async fn next(&mut self) -> Option<CallState> {
        loop {
            // Mark the current version seen before reading the history: a state pushed
            // after this read is published after it too, and wakes `changed()`.
            self.rx.borrow_and_update();
            {
                let h = self.shared.history();
                if let Some(state) = h.get(self.next) {
                    self.next += 1;
                    return Some(*state);
                }
                if h.last() == Some(&CallState::Ended) {
                    return None;
                }
            }
            if self.rx.changed().await.is_err() {
                // The phone is gone; whatever was recorded last is all there will be.
                let h = self.shared.history();
                let state = h.get(self.next).copied();
                self.next += usize::from(state.is_some());
                return state;
            }
        }
    }
}

/// One call; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct VoipCall {
    pub(crate) shared: Arc<CallShared>,
}

impl PartialEq for VoipCall {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for VoipCall {}

impl VoipCall {
    pub(crate) fn from_shared(shared: Arc<CallShared>) -> Self {
        VoipCall { shared }
    }

    /// A number identifying the call within its phone.
    pub fn id(&self) -> u64 {
        self.shared.key.id()
    }

    /// The current state (pyVoIP's `call.state`).
    pub fn state(&self) -> CallState {
        *self.shared.state.borrow()
    }

    /// Who called.
    pub fn direction(&self) -> CallDirection {
        self.shared.direction
    }

    /// A receiver of the current state (`changed().await`, `borrow()`). A `watch`
    /// keeps only the latest value: a state that is replaced before the receiver looks
    /// is skipped (a caller subscribing after `call()` returned may never see
    /// [`CallState::Dialing`]). To see every transition use
    /// [`state_events`](Self::state_events) or [`state_history`](Self::state_history).
    pub fn state_changes(&self) -> watch::Receiver<CallState> {
        self.shared.state.subscribe()
    }

    /// Every state the call has been in so far, in order, starting with its first
    /// ([`CallState::Dialing`] for ours, [`CallState::Ringing`] for theirs).
    pub fn state_history(&self) -> Vec<CallState> {
        self.shared.history().clone()
    }

    /// Every state of the call, from its first, then each change as it happens: nothing
    /// is skipped however late this is called or however slowly it is read. Ends after
    /// [`CallState::Ended`].
    ///
    /// ```no_run
    /// # async fn f(call: voip::VoipCall) {
    /// let mut states = call.state_events();
    /// while let Some(state) = states.next().await {
    ///     println!("{state}"); // DIALING, PROGRESS, ANSWERED, ENDED
    /// }
    /// # }
    /// ```
    pub fn state_events(&self) -> CallStates {
        CallStates {
            shared: self.shared.clone(),
            rx: self.shared.state.subscribe(),
            next: 0,
        }
    }

    /// Waits until the call is in `state` (or ended: then
    /// [`Error::InvalidState`] unless `state` is [`CallState::Ended`]).
    ///
    /// # Errors
    /// The call ended before reaching `state`.
    pub async fn wait_for_state(&self, state: CallState) -> Result<()> {
        let mut rx = self.shared.state.subscribe();
        let got = rx
            .wait_for(|s| *s == state || *s == CallState::Ended)
            .await
            .map(|s| *s)
            .unwrap_or(CallState::Ended);
        if got == state {
            Ok(())
        } else {
            Err(Error::InvalidState {
                state: got,
                action: "wait for that state",
            })
        }
    }

    /// [`wait_for_state`](Self::wait_for_state) with a time limit.
    ///
    /// # Errors
    /// [`Error::Timeout`] when the time passes, or as `wait_for_state`.
    pub async fn wait_for_state_timeout(&self, state: CallState, limit: Duration) -> Result<()> {
        tokio::time::timeout(limit, self.wait_for_state(state))
            .await
            .map_err(|_| Error::Timeout("waiting for a call state"))?
    }

    /// Waits until the call has ended.
    pub async fn ended(&self) {
        let _ = self.wait_for_state(CallState::Ended).await;
    }

    /// Why the call ended, once it has.
    pub fn end_reason(&self) -> Option<EndReason> {
        self.shared.info().end_reason.clone()
    }

    /// The INVITE that started the call (received, or as we first sent it).
    pub fn request(&self) -> &SipMessage {
        &self.shared.request
    }

    /// The last message that changed the call's state (the 180/183, the 200, the failure
    /// response, the BYE).
    pub fn last_message(&self) -> Option<SipMessage> {
        self.shared.info().last_message.clone()
    }

    /// The peer's URI: From of an incoming call, To of an outgoing one.
    pub fn remote_uri(&self) -> String {
        let r = &self.shared.request;
        let na = match self.shared.direction {
            CallDirection::Incoming => r.from(),
            CallDirection::Outgoing => r.to(),
        };
        na.map(|n| n.uri.to_string()).unwrap_or_default()
    }

    /// The SIP Call-ID.
    pub fn call_id(&self) -> String {
        self.shared
            .request
            .call_id()
            .map(str::to_owned)
            .unwrap_or_default()
    }

    /// The media in force (codec, remote address, direction), once negotiated.
    pub fn media(&self) -> Option<NegotiatedMedia> {
        self.shared.info().media.clone()
    }

    /// The call's RTP stream, once it has one (outgoing: at once; incoming: when
    /// answered).
    pub fn media_stream(&self) -> Option<MediaStream> {
        self.shared.stream.get().cloned()
    }

    async fn command<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T>>) -> Command,
    ) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.shared
            .commands
            .send(make(tx))
            .await
            .map_err(|_| Error::NotRunning)?;
        rx.await.map_err(|_| Error::NotRunning)?
    }

    /// Answers a ringing call (200 OK with our SDP answer).
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless ringing; [`Error::NoPortsAvailable`]; a negotiation
    /// error when no codec matches (the caller got 488).
    pub async fn answer(&self) -> Result<()> {
        let call = self.shared.key;
        self.command(|reply| Command::Answer { call, reply }).await
    }

    /// Early media: sends `183 Session Progress` with our SDP so the caller hears what we
    /// write (an announcement, a ringback) before we answer. The call keeps ringing;
    /// [`answer`](Self::answer) or [`deny`](Self::deny) later.
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless ringing with an SDP offer; no RTP port.
    pub async fn early_media(&self) -> Result<()> {
        let call = self.shared.key;
        self.command(|reply| Command::EarlyMedia { call, reply })
            .await
    }

    /// Refuses a ringing call (486 Busy Here).
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless ringing.
    pub async fn deny(&self) -> Result<()> {
        let call = self.shared.key;
        self.command(|reply| Command::Deny { call, reply }).await
    }

    /// Hangs up an answered call (BYE).
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless answered.
    pub async fn hangup(&self) -> Result<()> {
        let call = self.shared.key;
        self.command(|reply| Command::Hangup { call, reply }).await
    }

    /// Cancels our call before it is answered (CANCEL).
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless dialing or in progress.
    pub async fn cancel(&self) -> Result<()> {
        let call = self.shared.key;
        self.command(|reply| Command::Cancel { call, reply }).await
    }

    /// Transfers the call with REFER to `target` (a user at our server, or a SIP URI,
    /// with or without `<>`). Blind (`true`, pyVoIP's default): returns `true` once the
    /// peer accepted the REFER, and the call ends. Attended: waits for the peer's report
    /// of the new call; returns `false` and keeps this call when it failed.
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless answered; an invalid target.
    pub async fn transfer(&self, target: &str, blind: bool) -> Result<bool> {
        let call = self.shared.key;
        let target = target.to_owned();
        self.command(|reply| Command::Transfer {
            call,
            target,
            blind,
            reply,
        })
        .await
    }

    /// Puts the peer on hold (re-INVITE with `sendonly`). Returns once the peer's
    /// answer is applied: [`media`](Self::media) shows the new direction then.
    ///
    /// # Errors
    /// [`Error::InvalidState`] unless answered (or when the call ends meanwhile);
    /// [`Error::Refused`] when the peer refuses the re-INVITE, [`Error::Timeout`] when it
    /// does not answer: the call goes on as before.
    pub async fn hold(&self) -> Result<()> {
        self.reinvite(TransmitType::SendOnly).await
    }

    /// Resumes a held call (re-INVITE with `sendrecv`), like [`hold`](Self::hold).
    ///
    /// # Errors
    /// As [`hold`](Self::hold).
    pub async fn resume(&self) -> Result<()> {
        self.reinvite(TransmitType::SendRecv).await
    }

    async fn reinvite(&self, direction: TransmitType) -> Result<()> {
        let call = self.shared.key;
        self.command(|reply| Command::Reinvite {
            call,
            direction,
            reply,
        })
        .await
    }

    fn stream(&self) -> Result<&MediaStream> {
        self.shared.stream.get().ok_or(Error::InvalidState {
            state: self.state(),
            action: "use the media of",
        })
    }

    /// Reads `length` bytes of received audio in pyVoIP's format (8-bit unsigned, 8 kHz);
    /// silence (`0x80`) where nothing arrived. Blocking: waits for the audio (at most
    /// real time); non-blocking: returns at once. Without media yet: silence.
    pub async fn read_audio(&self, length: usize, blocking: bool) -> Vec<u8> {
        match self.shared.stream.get() {
            Some(s) => s.read_audio(length, blocking).await,
            None => vec![g711::linear8::SILENCE; length],
        }
    }

    /// [`read_audio`](Self::read_audio) as 16-bit linear samples.
    pub async fn read_i16(&self, length: usize, blocking: bool) -> Vec<i16> {
        match self.shared.stream.get() {
            Some(s) => s.read_i16(length, blocking).await,
            None => vec![0; length],
        }
    }

    /// Queues audio to send (pyVoIP's format); returns how many bytes were taken.
    ///
    /// # Errors
    /// [`Error::InvalidState`] when the call has no media stream.
    pub fn write_audio(&self, data: &[u8]) -> Result<usize> {
        Ok(self.stream()?.write_audio(data))
    }

    /// Queues 16-bit linear audio to send; returns how many samples were taken.
    ///
    /// # Errors
    /// [`Error::InvalidState`] when the call has no media stream.
    pub fn write_i16(&self, data: &[i16]) -> Result<usize> {
        Ok(self.stream()?.write_i16(data))
    }

    /// Drops audio queued for sending (barge-in).
    pub fn flush_audio(&self) {
        if let Some(s) = self.shared.stream.get() {
            s.flush_audio();
        }
    }

    /// Plays `audio` (pyVoIP's format): the returned [`Playback`] tells when it is done,
    /// stops it, or waits for a DTMF key and stops it then ([`Playback::until_dtmf`]).
    ///
    /// # Errors
    /// [`Error::InvalidState`] when the call has no media stream.
    pub fn play(&self, audio: &[u8]) -> Result<Playback> {
        Ok(self.stream()?.play(audio))
    }

    /// Takes up to `length` received DTMF keys (`None`: all); `""` when none (pyVoIP's
    /// `get_dtmf`).
    ///
    /// Keys come from RFC 4733 events and, for PBXs that send them so, from SIP INFO
    /// (`application/dtmf-relay`); the RFC 4733 ones first.
    pub fn get_dtmf(&self, length: Option<usize>) -> String {
        let mut keys = self
            .shared
            .stream
            .get()
            .map(|s| s.get_dtmf(length))
            .unwrap_or_default();
        let want = length.unwrap_or(usize::MAX);
        let mut info = self.shared.info_keys();
        while keys.chars().count() < want {
            match info.pop_front() {
                Some(k) => keys.push(k),
                None => break,
            }
        }
        keys
    }

    /// Waits for the next DTMF key, RFC 4733 or SIP INFO (`None` once the call ended).
    pub async fn next_dtmf(&self) -> Option<char> {
        let mut state = self.shared.state.subscribe();
        loop {
            let ready = self.shared.info_dtmf_ready.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            if let Some(k) = self.shared.info_keys().pop_front() {
                return Some(k);
            }
            if *state.borrow_and_update() == CallState::Ended {
                return None;
            }
            match self.shared.stream.get() {
                Some(s) => tokio::select! {
                    k = s.next_dtmf() => return k,
                    () = &mut ready => {}
                    _ = state.changed() => {}
                },
                None => tokio::select! {
                    () = &mut ready => {}
                    r = state.changed() => if r.is_err() { return None },
                },
            }
        }
    }

    /// Sends DTMF keys as RFC 4733 events.
    ///
    /// # Errors
    /// No media, an invalid key, or telephone-event not negotiated.
    pub fn send_dtmf(&self, digits: &str) -> Result<()> {
        Ok(self.stream()?.send_dtmf(digits)?)
    }

    /// RTP statistics (jitter, loss, ...), when the call has media.
    pub fn stats(&self) -> Option<MediaStats> {
        self.shared.stream.get().map(MediaStream::stats)
    }
}
