//! [`Playback`]: a queued prompt that can be waited for, stopped, or broken by DTMF.

use super::stream::MediaStream;
use std::time::Duration;

/// A prompt queued with [`MediaStream::play`].
///
/// Positions count samples since the stream started, so a playback knows when the last of
/// its samples has gone out even if more audio was queued after it. Stopping it drops its
/// unsent samples and anything queued before them (a caller who barged in wants none of
/// it); audio queued after the prompt stays.
///
/// ```
/// # use voip::media::{MediaConfig, MediaEngine};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let engine = MediaEngine::new(MediaConfig::new(30200, 30300))?;
/// # let stream = engine.open_stream("127.0.0.1".parse()?)?;
/// // An IVR menu: play the prompt; a key pressed meanwhile stops it at once.
/// let prompt = vec![0x80u8; 8000]; // 1 s (silence here)
/// # stream.stop(); // not connected in this example: end at once
/// match stream.play(&prompt).until_dtmf().await {
///     Some(digit) => println!("caller pressed {digit}"),
///     None => println!("prompt finished without a key"),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Playback {
    stream: MediaStream,
    end: u64,
}

impl Playback {
    pub(crate) fn new(stream: MediaStream, end: u64) -> Self {
        Playback { stream, end }
    }

    /// Samples of this prompt (and of audio queued before it) not yet sent.
    pub fn remaining_samples(&self) -> u64 {
        let (_, consumed, _) = self.stream.queue_position();
        self.end.saturating_sub(consumed)
    }

    /// True once every sample was sent, or the playback or stream was stopped.
    pub fn is_finished(&self) -> bool {
        let (_, consumed, stopped) = self.stream.queue_position();
        stopped || consumed >= self.end
    }

    /// Drops what is left of the prompt (and anything queued before it).
    pub fn stop(&self) {
        self.stream.drop_queued_until(self.end);
    }

    /// How long to sleep before checking again: until the prompt would end, at least
    /// one packet time (it pauses while we cannot send, e.g. on hold).
    fn check_interval(&self) -> Duration {
        let remaining = self.remaining_samples();
        Duration::from_millis(remaining / 8 + 1).max(Duration::from_millis(20))
    }

    /// Waits until the prompt has been sent (or stopped, or the stream stopped).
    pub async fn finished(&self) {
        while !self.is_finished() {
            tokio::time::sleep(self.check_interval()).await;
        }
    }

    /// Plays until the prompt ends or a DTMF digit arrives, whichever is first. On a digit
    /// the rest of the prompt is dropped at once (barge-in) and the digit is returned
    /// (taken from the DTMF buffer). A digit pressed before the call (type-ahead, still
    /// in the buffer) stops the prompt immediately. `None` when the prompt ended without
    /// a digit or the stream stopped.
    pub async fn until_dtmf(self) -> Option<char> {
        loop {
            let notify = self.stream.dtmf_notify();
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(digit) = self.stream.pop_dtmf() {
                self.stop();
                return Some(digit);
            }
            if self.is_finished() {
                return None;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(self.check_interval()) => {}
            }
        }
    }
}
