//! [`CallHandler`]: what the phone runs when a call rings, progresses, is answered, is
//! busy or ends, and when a MESSAGE arrives; it replaces subclassing pyVoIP's `VoIPCall`.
//! [`SipLayer`] replaces pyVoIP's `sip_class`: a hook on every SIP message in and out.
//!
//! Every callback runs on a task of its own, never on the SIP driver or the media task:
//! an IVR that keeps `ringing` busy for minutes does not delay any other call's
//! signalling or audio.
//!
//! ```
//! use voip::{CallHandler, VoipCall};
//!
//! struct AnswerAndHangUp;
//!
//! impl CallHandler for AnswerAndHangUp {
//!     async fn ringing(&self, call: VoipCall) {
//!         if call.answer().await.is_ok() {
//!             let _ = call.hangup().await;
//!         }
//!     }
//! }
//! ```

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use sip_message::SipMessage;

use crate::call::VoipCall;
use crate::core::IncomingMessage;

/// Callbacks of a phone's calls (pyVoIP's overridable `VoIPCall` methods). Every method has
/// a default that does nothing, so implement only what you need.
pub trait CallHandler: Send + Sync + 'static {
    /// A call arrived and is ringing ([`CallState::Ringing`](crate::CallState::Ringing)):
    /// answer it, deny it, or let it ring. The INVITE is [`VoipCall::request`].
    fn ringing(&self, call: VoipCall) -> impl Future<Output = ()> + Send {
        let _ = call;
        async {}
    }

    /// Our outgoing call got a provisional response (180/183): `response`.
    fn progress(&self, call: VoipCall, response: SipMessage) -> impl Future<Output = ()> + Send {
        let _ = (call, response);
        async {}
    }

    /// Our outgoing call was answered with `response` (the 200 OK).
    fn answered(&self, call: VoipCall, response: SipMessage) -> impl Future<Output = ()> + Send {
        let _ = (call, response);
        async {}
    }

    /// Our outgoing call was refused as busy (486, 600, 603): `response`.
    fn busy(&self, call: VoipCall, response: SipMessage) -> impl Future<Output = ()> + Send {
        let _ = (call, response);
        async {}
    }

    /// The peer hung up (BYE received).
    fn bye(&self, call: VoipCall) -> impl Future<Output = ()> + Send {
        let _ = call;
        async {}
    }

    /// A MESSAGE arrived (it was answered 200 OK already).
    fn message(&self, message: IncomingMessage) -> impl Future<Output = ()> + Send {
        let _ = message;
        async {}
    }
}

/// A boxed future, the return type of [`DynCallHandler`].
pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The object-safe form of [`CallHandler`], implemented for every `CallHandler`; the
/// phone stores handlers as `Arc<dyn DynCallHandler>`. You never implement it yourself.
pub trait DynCallHandler: Send + Sync + 'static {
    /// [`CallHandler::ringing`].
    fn ringing_dyn(&self, call: VoipCall) -> BoxFuture<'_>;
    /// [`CallHandler::progress`].
    fn progress_dyn(&self, call: VoipCall, response: SipMessage) -> BoxFuture<'_>;
    /// [`CallHandler::answered`].
    fn answered_dyn(&self, call: VoipCall, response: SipMessage) -> BoxFuture<'_>;
    /// [`CallHandler::busy`].
    fn busy_dyn(&self, call: VoipCall, response: SipMessage) -> BoxFuture<'_>;
    /// [`CallHandler::bye`].
    fn bye_dyn(&self, call: VoipCall) -> BoxFuture<'_>;
    /// [`CallHandler::message`].
    fn message_dyn(&self, message: IncomingMessage) -> BoxFuture<'_>;
}

impl<T: CallHandler> DynCallHandler for T {
    fn ringing_dyn(&self, call: VoipCall) -> BoxFuture<'_> {
        Box::pin(self.ringing(call))
    }
    fn progress_dyn(&self, call: VoipCall, response: SipMessage) -> BoxFuture<'_> {
        Box::pin(self.progress(call, response))
    }
    fn answered_dyn(&self, call: VoipCall, response: SipMessage) -> BoxFuture<'_> {
        Box::pin(self.answered(call, response))
    }
    fn busy_dyn(&self, call: VoipCall, response: SipMessage) -> BoxFuture<'_> {
        Box::pin(self.busy(call, response))
    }
    fn bye_dyn(&self, call: VoipCall) -> BoxFuture<'_> {
        Box::pin(self.bye(call))
    }
    fn message_dyn(&self, message: IncomingMessage) -> BoxFuture<'_> {
        Box::pin(self.message(message))
    }
}

/// A hook on the SIP traffic (pyVoIP's `sip_class`): inspect, rewrite or drop messages.
/// Runs on the driver task, so keep it quick.
pub trait SipLayer: Send + Sync + 'static {
    /// A message arrived; return it (possibly changed) to process it, `None` to drop it.
    fn on_receive(&self, message: SipMessage) -> Option<SipMessage> {
        Some(message)
    }

    /// A message is about to be sent; return the bytes to send.
    fn on_send(&self, bytes: Bytes) -> Bytes {
        bytes
    }
}
