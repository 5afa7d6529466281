//! Response status codes: the IANA "Response Codes" registry with phrases and descriptions.

use std::fmt;

/// A SIP response status code (100 to 699).
///
/// Every code registered with IANA has a constant (as pyVoIP's `SIPStatus` has an enum
/// member) with its reason phrase and a one-line description. Other codes in range are
/// valid too (RFC 3261 §21: an unknown code is treated as the x00 code of its class); they
/// have no registered phrase and the reason phrase from the wire is kept by the message.
///
/// ```
/// use sip_message::SipStatus;
/// assert_eq!(SipStatus::OK.code(), 200);
/// assert_eq!(SipStatus::TRYING.phrase(), "Trying");
/// assert_eq!(SipStatus::OK.description(), "Request successful");
/// let odd = SipStatus::new(299).unwrap();
/// assert!(!odd.is_registered() && odd.is_success());
/// assert!(SipStatus::new(700).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SipStatus(u16);

struct Entry {
    code: u16,
    phrase: &'static str,
    description: &'static str,
    reference: &'static str,
}

impl SipStatus {
    /// `100 Trying` (RFC 3261): Extended search being performed, may take a significant time.
    pub const TRYING: SipStatus = SipStatus(100);
    /// `180 Ringing` (RFC 3261): Destination user agent received INVITE, and is alerting user of call.
    pub const RINGING: SipStatus = SipStatus(180);
    /// `181 Call Is Being Forwarded` (RFC 3261): Servers can optionally send this response to indicate a call is being forwarded.
    pub const CALL_IS_BEING_FORWARDED: SipStatus = SipStatus(181);
    /// `182 Queued` (RFC 3261): Indicates that the destination was temporarily unavailable, so the server has queued the call until the destination is available.
    pub const QUEUED: SipStatus = SipStatus(182);
    /// `183 Session Progress` (RFC 3261): Used to send information about the progress of the call, often with early media.
    pub const SESSION_PROGRESS: SipStatus = SipStatus(183);
    /// `199 Early Dialog Terminated` (RFC 6228): Sent when a dialog has been terminated before a final response.
    pub const EARLY_DIALOG_TERMINATED: SipStatus = SipStatus(199);
    /// `200 OK` (RFC 3261): Request successful.
    pub const OK: SipStatus = SipStatus(200);
    /// `202 Accepted` (RFC 6665): Request accepted, processing continues (deprecated).
    pub const ACCEPTED: SipStatus = SipStatus(202);
    /// `204 No Notification` (RFC 5839): Request fulfilled, but no notification will be sent.
    pub const NO_NOTIFICATION: SipStatus = SipStatus(204);
    /// `300 Multiple Choices` (RFC 3261): The address resolved to one of several options for the user or client to choose between.
    pub const MULTIPLE_CHOICES: SipStatus = SipStatus(300);
    /// `301 Moved Permanently` (RFC 3261): The original Request-URI is no longer valid, the new address is given in the Contact header.
    pub const MOVED_PERMANENTLY: SipStatus = SipStatus(301);
    /// `302 Moved Temporarily` (RFC 3261): The client should try at the address in the Contact field.
    pub const MOVED_TEMPORARILY: SipStatus = SipStatus(302);
    /// `305 Use Proxy` (RFC 3261): The Contact field details a proxy that must be used to access the requested destination.
    pub const USE_PROXY: SipStatus = SipStatus(305);
    /// `380 Alternative Service` (RFC 3261): The call failed, but alternatives are detailed in the message body.
    pub const ALTERNATIVE_SERVICE: SipStatus = SipStatus(380);
    /// `400 Bad Request` (RFC 3261): The request could not be understood due to malformed syntax.
    pub const BAD_REQUEST: SipStatus = SipStatus(400);
    /// `401 Unauthorized` (RFC 3261): The request requires user authentication, used by UAS and registrars.
    pub const UNAUTHORIZED: SipStatus = SipStatus(401);
    /// `402 Payment Required` (RFC 3261): Reserved for future use.
    pub const PAYMENT_REQUIRED: SipStatus = SipStatus(402);
    /// `403 Forbidden` (RFC 3261): The server understood the request, but is refusing to fulfill it.
    pub const FORBIDDEN: SipStatus = SipStatus(403);
    /// `404 Not Found` (RFC 3261): The server has definitive information that the user does not exist at the domain specified in the Request-URI.
    pub const NOT_FOUND: SipStatus = SipStatus(404);
    /// `405 Method Not Allowed` (RFC 3261): The method specified in the Request-Line is understood, but not allowed for the address identified by the Request-URI.
    pub const METHOD_NOT_ALLOWED: SipStatus = SipStatus(405);
    /// `406 Not Acceptable` (RFC 3261): The resource can only generate responses with content not acceptable according to the Accept header.
    pub const NOT_ACCEPTABLE: SipStatus = SipStatus(406);
    /// `407 Proxy Authentication Required` (RFC 3261): The request requires user authentication, used by proxies.
    pub const PROXY_AUTHENTICATION_REQUIRED: SipStatus = SipStatus(407);
    /// `408 Request Timeout` (RFC 3261): Could not find the user in time.
    pub const REQUEST_TIMEOUT: SipStatus = SipStatus(408);
    /// `410 Gone` (RFC 3261): The user existed once, but is not available here any more.
    pub const GONE: SipStatus = SipStatus(410);
    /// `412 Conditional Request Failed` (RFC 3903): The given precondition has not been met.
    pub const CONDITIONAL_REQUEST_FAILED: SipStatus = SipStatus(412);
    /// `413 Request Entity Too Large` (RFC 3261): Request body too large.
    pub const REQUEST_ENTITY_TOO_LARGE: SipStatus = SipStatus(413);
    /// `414 Request-URI Too Long` (RFC 3261): The server is refusing to service the request because the Request-URI is longer than the server is willing to interpret.
    pub const REQUEST_URI_TOO_LONG: SipStatus = SipStatus(414);
    /// `415 Unsupported Media Type` (RFC 3261): Request body in a format not supported.
    pub const UNSUPPORTED_MEDIA_TYPE: SipStatus = SipStatus(415);
    /// `416 Unsupported URI Scheme` (RFC 3261): Request-URI is unknown to the server.
    pub const UNSUPPORTED_URI_SCHEME: SipStatus = SipStatus(416);
    /// `417 Unknown Resource-Priority` (RFC 4412): There was a resource-priority option tag, but no Resource-Priority header.
    pub const UNKNOWN_RESOURCE_PRIORITY: SipStatus = SipStatus(417);
    /// `420 Bad Extension` (RFC 3261): Bad SIP protocol extension used, not understood by the server.
    pub const BAD_EXTENSION: SipStatus = SipStatus(420);
    /// `421 Extension Required` (RFC 3261): The server needs a specific extension not listed in the Supported header.
    pub const EXTENSION_REQUIRED: SipStatus = SipStatus(421);
    /// `422 Session Interval Too Small` (RFC 4028): The received request contains a Session-Expires header field with a duration below the minimum timer.
    pub const SESSION_INTERVAL_TOO_SMALL: SipStatus = SipStatus(422);
    /// `423 Interval Too Brief` (RFC 3261): Expiration time of the resource is too short.
    pub const INTERVAL_TOO_BRIEF: SipStatus = SipStatus(423);
    /// `424 Bad Location Information` (RFC 6442): The request's location content was malformed or otherwise unsatisfactory.
    pub const BAD_LOCATION_INFORMATION: SipStatus = SipStatus(424);
    /// `425 Bad Alert Message` (RFC 8876): The server rejected a non-interactive emergency call, indicating that the request was malformed enough that no reasonable emergency response to the alert can be determined.
    pub const BAD_ALERT_MESSAGE: SipStatus = SipStatus(425);
    /// `428 Use Identity Header` (RFC 8224): The server policy requires an Identity header, and one has not been provided.
    pub const USE_IDENTITY_HEADER: SipStatus = SipStatus(428);
    /// `429 Provide Referrer Identity` (RFC 3892): The server did not receive a valid Referred-By token on the request.
    pub const PROVIDE_REFERRER_IDENTITY: SipStatus = SipStatus(429);
    /// `430 Flow Failed` (RFC 5626): A specific flow to a user agent has failed, although other flows may succeed.
    pub const FLOW_FAILED: SipStatus = SipStatus(430);
    /// `433 Anonymity Disallowed` (RFC 5079): The request has been rejected because it was anonymous.
    pub const ANONYMITY_DISALLOWED: SipStatus = SipStatus(433);
    /// `436 Bad Identity Info` (RFC 8224): The request has an Identity-Info header, and the URI scheme in that header cannot be dereferenced.
    pub const BAD_IDENTITY_INFO: SipStatus = SipStatus(436);
    /// `437 Unsupported Credential` (RFC 8224): The server was unable to validate a certificate for the domain that signed the request.
    pub const UNSUPPORTED_CREDENTIAL: SipStatus = SipStatus(437);
    /// `438 Invalid Identity Header` (RFC 8224): The server obtained a valid certificate that the request claimed was used to sign the request, but was unable to verify that signature.
    pub const INVALID_IDENTITY_HEADER: SipStatus = SipStatus(438);
    /// `439 First Hop Lacks Outbound Support` (RFC 5626): The first outbound proxy the user is attempting to register through does not support the outbound feature, although the registrar does.
    pub const FIRST_HOP_LACKS_OUTBOUND_SUPPORT: SipStatus = SipStatus(439);
    /// `440 Max-Breadth Exceeded` (RFC 5393): If a SIP proxy determines a response context has insufficient incoming Max-Breadth to carry out a desired parallel fork.
    pub const MAX_BREADTH_EXCEEDED: SipStatus = SipStatus(440);
    /// `469 Bad Info Package` (RFC 6086): If a SIP UA receives an INFO request associated with an Info Package that the UA has not indicated willingness to receive.
    pub const BAD_INFO_PACKAGE: SipStatus = SipStatus(469);
    /// `470 Consent Needed` (RFC 5360): The source of the request did not have the permission of the recipient to make such a request.
    pub const CONSENT_NEEDED: SipStatus = SipStatus(470);
    /// `480 Temporarily Unavailable` (RFC 3261): Callee currently unavailable.
    pub const TEMPORARILY_UNAVAILABLE: SipStatus = SipStatus(480);
    /// `481 Call/Transaction Does Not Exist` (RFC 3261): Server received a request that does not match any dialog or transaction.
    pub const CALL_TRANSACTION_DOES_NOT_EXIST: SipStatus = SipStatus(481);
    /// `482 Loop Detected` (RFC 3261): Server has detected a loop.
    pub const LOOP_DETECTED: SipStatus = SipStatus(482);
    /// `483 Too Many Hops` (RFC 3261): Max-Forwards header has reached the value '0'.
    pub const TOO_MANY_HOPS: SipStatus = SipStatus(483);
    /// `484 Address Incomplete` (RFC 3261): Request-URI incomplete.
    pub const ADDRESS_INCOMPLETE: SipStatus = SipStatus(484);
    /// `485 Ambiguous` (RFC 3261): Request-URI is ambiguous.
    pub const AMBIGUOUS: SipStatus = SipStatus(485);
    /// `486 Busy Here` (RFC 3261): Callee is busy.
    pub const BUSY_HERE: SipStatus = SipStatus(486);
    /// `487 Request Terminated` (RFC 3261): Request has terminated by bye or cancel.
    pub const REQUEST_TERMINATED: SipStatus = SipStatus(487);
    /// `488 Not Acceptable Here` (RFC 3261): Some aspect of the session description or the Request-URI is not acceptable.
    pub const NOT_ACCEPTABLE_HERE: SipStatus = SipStatus(488);
    /// `489 Bad Event` (RFC 6665): The server did not understand an event package specified in an Event header field.
    pub const BAD_EVENT: SipStatus = SipStatus(489);
    /// `491 Request Pending` (RFC 3261): Server has some pending request from the same dialog.
    pub const REQUEST_PENDING: SipStatus = SipStatus(491);
    /// `493 Undecipherable` (RFC 3261): Request contains an encrypted MIME body, which recipient can not decrypt.
    pub const UNDECIPHERABLE: SipStatus = SipStatus(493);
    /// `494 Security Agreement Required` (RFC 3329): The server has received a request that requires a negotiated security mechanism.
    pub const SECURITY_AGREEMENT_REQUIRED: SipStatus = SipStatus(494);
    /// `500 Server Internal Error` (RFC 3261): The server could not fulfill the request due to some unexpected condition.
    pub const SERVER_INTERNAL_ERROR: SipStatus = SipStatus(500);
    /// `501 Not Implemented` (RFC 3261): The server does not have the ability to fulfill the request, such as because it does not recognize the request method.
    pub const NOT_IMPLEMENTED: SipStatus = SipStatus(501);
    /// `502 Bad Gateway` (RFC 3261): The server is acting as a gateway or proxy, and received an invalid response from a downstream server while attempting to fulfill the request.
    pub const BAD_GATEWAY: SipStatus = SipStatus(502);
    /// `503 Service Unavailable` (RFC 3261): The server is undergoing maintenance or is temporarily overloaded and so cannot process the request.
    pub const SERVICE_UNAVAILABLE: SipStatus = SipStatus(503);
    /// `504 Server Time-out` (RFC 3261): The server attempted to access another server in attempting to process the request, and did not receive a prompt response.
    pub const SERVER_TIMEOUT: SipStatus = SipStatus(504);
    /// `505 Version Not Supported` (RFC 3261): The SIP protocol version in the request is not supported by the server.
    pub const VERSION_NOT_SUPPORTED: SipStatus = SipStatus(505);
    /// `513 Message Too Large` (RFC 3261): The request message length is longer than the server can process.
    pub const MESSAGE_TOO_LARGE: SipStatus = SipStatus(513);
    /// `555 Push Notification Service Not Supported` (RFC 8599): The server does not support the push notification service identified in a 'pn-provider' SIP URI parameter.
    pub const PUSH_NOTIFICATION_SERVICE_NOT_SUPPORTED: SipStatus = SipStatus(555);
    /// `580 Precondition Failure` (RFC 3312): The server is unable or unwilling to meet some constraints specified in the offer.
    pub const PRECONDITION_FAILURE: SipStatus = SipStatus(580);
    /// `600 Busy Everywhere` (RFC 3261): All possible destinations are busy.
    pub const BUSY_EVERYWHERE: SipStatus = SipStatus(600);
    /// `603 Decline` (RFC 3261): Destination cannot/doesn't wish to participate in the call, no alternative destinations.
    pub const DECLINE: SipStatus = SipStatus(603);
    /// `604 Does Not Exist Anywhere` (RFC 3261): The server has authoritative information that the requested user does not exist anywhere.
    pub const DOES_NOT_EXIST_ANYWHERE: SipStatus = SipStatus(604);
    /// `606 Not Acceptable` (RFC 3261): The user's agent was contacted successfully but some aspects of the session description were not acceptable.
    pub const NOT_ACCEPTABLE_606: SipStatus = SipStatus(606);
    /// `607 Unwanted` (RFC 8197): The called party did not want this call from the calling party.
    pub const UNWANTED: SipStatus = SipStatus(607);
    /// `608 Rejected` (RFC 8688): An intermediary machine or process rejected the call attempt.
    pub const REJECTED: SipStatus = SipStatus(608);

    /// A status from its code; fails outside 100..=699.
    pub fn new(code: u16) -> crate::Result<SipStatus> {
        if (100..=699).contains(&code) {
            Ok(SipStatus(code))
        } else {
            Err(crate::Error::syntax(
                "status code",
                0,
                "a code from 100 to 699",
            ))
        }
    }

    /// The numeric code (pyVoIP's `value`).
    pub fn code(self) -> u16 {
        self.0
    }

    /// The same as [`code`](Self::code), named as pyVoIP names it.
    pub fn value(self) -> u16 {
        self.0
    }

    fn entry(self) -> Option<&'static Entry> {
        TABLE
            .binary_search_by_key(&self.0, |e| e.code)
            .ok()
            .map(|i| &TABLE[i])
    }

    /// Whether IANA registers this code.
    pub fn is_registered(self) -> bool {
        self.entry().is_some()
    }

    /// The registered reason phrase; for an unregistered code, the phrase of its class's x00
    /// code (RFC 3261 §21).
    pub fn phrase(self) -> &'static str {
        match self.entry() {
            Some(e) => e.phrase,
            None => match self.0 / 100 {
                1 => "Trying",
                2 => "OK",
                3 => "Multiple Choices",
                4 => "Bad Request",
                5 => "Server Internal Error",
                _ => "Busy Everywhere",
            },
        }
    }

    /// A one-line description, empty for an unregistered code.
    pub fn description(self) -> &'static str {
        self.entry().map_or("", |e| e.description)
    }

    /// The RFC that defines the code, empty for an unregistered code.
    pub fn reference(self) -> &'static str {
        self.entry().map_or("", |e| e.reference)
    }

    /// 1xx.
    pub fn is_provisional(self) -> bool {
        self.0 < 200
    }

    /// 2xx.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }

    /// 3xx.
    pub fn is_redirection(self) -> bool {
        (300..400).contains(&self.0)
    }

    /// 4xx.
    pub fn is_client_error(self) -> bool {
        (400..500).contains(&self.0)
    }

    /// 5xx.
    pub fn is_server_error(self) -> bool {
        (500..600).contains(&self.0)
    }

    /// 6xx.
    pub fn is_global_failure(self) -> bool {
        self.0 >= 600
    }

    /// 2xx to 6xx.
    pub fn is_final(self) -> bool {
        self.0 >= 200
    }

    /// Every registered status, in code order.
    pub fn all() -> impl Iterator<Item = SipStatus> {
        TABLE.iter().map(|e| SipStatus(e.code))
    }
}

impl fmt::Debug for SipStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SipStatus({} {})", self.0, self.phrase())
    }
}

impl fmt::Display for SipStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.phrase())
    }
}

impl From<SipStatus> for u16 {
    fn from(s: SipStatus) -> u16 {
        s.0
    }
}

impl TryFrom<u16> for SipStatus {
    type Error = crate::Error;
    fn try_from(code: u16) -> crate::Result<SipStatus> {
        SipStatus::new(code)
    }
}

static TABLE: &[Entry] = &[
    Entry {
        code: 100,
        phrase: "Trying",
        description: "Extended search being performed, may take a significant time",
        reference: "RFC 3261",
    },
    Entry {
        code: 180,
        phrase: "Ringing",
        description: "Destination user agent received INVITE, and is alerting user of call",
        reference: "RFC 3261",
    },
    Entry {
        code: 181,
        phrase: "Call Is Being Forwarded",
        description: "Servers can optionally send this response to indicate a call is being forwarded",
        reference: "RFC 3261",
    },
    Entry {
        code: 182,
        phrase: "Queued",
        description: "Indicates that the destination was temporarily unavailable, so the server has queued the call until the destination is available",
        reference: "RFC 3261",
    },
    Entry {
        code: 183,
        phrase: "Session Progress",
        description: "Used to send information about the progress of the call, often with early media",
        reference: "RFC 3261",
    },
    Entry {
        code: 199,
        phrase: "Early Dialog Terminated",
        description: "Sent when a dialog has been terminated before a final response",
        reference: "RFC 6228",
    },
    Entry {
        code: 200,
        phrase: "OK",
        description: "Request successful",
        reference: "RFC 3261",
    },
    Entry {
        code: 202,
        phrase: "Accepted",
        description: "Request accepted, processing continues (deprecated)",
        reference: "RFC 6665",
    },
    Entry {
        code: 204,
        phrase: "No Notification",
        description: "Request fulfilled, but no notification will be sent",
        reference: "RFC 5839",
    },
    Entry {
        code: 300,
        phrase: "Multiple Choices",
        description: "The address resolved to one of several options for the user or client to choose between",
        reference: "RFC 3261",
    },
    Entry {
        code: 301,
        phrase: "Moved Permanently",
        description: "The original Request-URI is no longer valid, the new address is given in the Contact header",
        reference: "RFC 3261",
    },
    Entry {
        code: 302,
        phrase: "Moved Temporarily",
        description: "The client should try at the address in the Contact field",
        reference: "RFC 3261",
    },
    Entry {
        code: 305,
        phrase: "Use Proxy",
        description: "The Contact field details a proxy that must be used to access the requested destination",
        reference: "RFC 3261",
    },
    Entry {
        code: 380,
        phrase: "Alternative Service",
        description: "The call failed, but alternatives are detailed in the message body",
        reference: "RFC 3261",
    },
    Entry {
        code: 400,
        phrase: "Bad Request",
        description: "The request could not be understood due to malformed syntax",
        reference: "RFC 3261",
    },
    Entry {
        code: 401,
        phrase: "Unauthorized",
        description: "The request requires user authentication, used by UAS and registrars",
        reference: "RFC 3261",
    },
    Entry {
        code: 402,
        phrase: "Payment Required",
        description: "Reserved for future use",
        reference: "RFC 3261",
    },
    Entry {
        code: 403,
        phrase: "Forbidden",
        description: "The server understood the request, but is refusing to fulfill it",
        reference: "RFC 3261",
    },
    Entry {
        code: 404,
        phrase: "Not Found",
        description: "The server has definitive information that the user does not exist at the domain specified in the Request-URI",
        reference: "RFC 3261",
    },
    Entry {
        code: 405,
        phrase: "Method Not Allowed",
        description: "The method specified in the Request-Line is understood, but not allowed for the address identified by the Request-URI",
        reference: "RFC 3261",
    },
    Entry {
        code: 406,
        phrase: "Not Acceptable",
        description: "The resource can only generate responses with content not acceptable according to the Accept header",
        reference: "RFC 3261",
    },
    Entry {
        code: 407,
        phrase: "Proxy Authentication Required",
        description: "The request requires user authentication, used by proxies",
        reference: "RFC 3261",
    },
    Entry {
        code: 408,
        phrase: "Request Timeout",
        description: "Could not find the user in time",
        reference: "RFC 3261",
    },
    Entry {
        code: 410,
        phrase: "Gone",
        description: "The user existed once, but is not available here any more",
        reference: "RFC 3261",
    },
    Entry {
        code: 412,
        phrase: "Conditional Request Failed",
        description: "The given precondition has not been met",
        reference: "RFC 3903",
    },
    Entry {
        code: 413,
        phrase: "Request Entity Too Large",
        description: "Request body too large",
        reference: "RFC 3261",
    },
    Entry {
        code: 414,
        phrase: "Request-URI Too Long",
        description: "The server is refusing to service the request because the Request-URI is longer than the server is willing to interpret",
        reference: "RFC 3261",
    },
    Entry {
        code: 415,
        phrase: "Unsupported Media Type",
        description: "Request body in a format not supported",
        reference: "RFC 3261",
    },
    Entry {
        code: 416,
        phrase: "Unsupported URI Scheme",
        description: "Request-URI is unknown to the server",
        reference: "RFC 3261",
    },
    Entry {
        code: 417,
        phrase: "Unknown Resource-Priority",
        description: "There was a resource-priority option tag, but no Resource-Priority header",
        reference: "RFC 4412",
    },
    Entry {
        code: 420,
        phrase: "Bad Extension",
        description: "Bad SIP protocol extension used, not understood by the server",
        reference: "RFC 3261",
    },
    Entry {
        code: 421,
        phrase: "Extension Required",
        description: "The server needs a specific extension not listed in the Supported header",
        reference: "RFC 3261",
    },
    Entry {
        code: 422,
        phrase: "Session Interval Too Small",
        description: "The received request contains a Session-Expires header field with a duration below the minimum timer",
        reference: "RFC 4028",
    },
    Entry {
        code: 423,
        phrase: "Interval Too Brief",
        description: "Expiration time of the resource is too short",
        reference: "RFC 3261",
    },
    Entry {
        code: 424,
        phrase: "Bad Location Information",
        description: "The request's location content was malformed or otherwise unsatisfactory",
        reference: "RFC 6442",
    },
    Entry {
        code: 425,
        phrase: "Bad Alert Message",
        description: "The server rejected a non-interactive emergency call, indicating that the request was malformed enough that no reasonable emergency response to the alert can be determined",
        reference: "RFC 8876",
    },
    Entry {
        code: 428,
        phrase: "Use Identity Header",
        description: "The server policy requires an Identity header, and one has not been provided",
        reference: "RFC 8224",
    },
    Entry {
        code: 429,
        phrase: "Provide Referrer Identity",
        description: "The server did not receive a valid Referred-By token on the request",
        reference: "RFC 3892",
    },
    Entry {
        code: 430,
        phrase: "Flow Failed",
        description: "A specific flow to a user agent has failed, although other flows may succeed",
        reference: "RFC 5626",
    },
    Entry {
        code: 433,
        phrase: "Anonymity Disallowed",
        description: "The request has been rejected because it was anonymous",
        reference: "RFC 5079",
    },
    Entry {
        code: 436,
        phrase: "Bad Identity Info",
        description: "The request has an Identity-Info header, and the URI scheme in that header cannot be dereferenced",
        reference: "RFC 8224",
    },
    Entry {
        code: 437,
        phrase: "Unsupported Credential",
        description: "The server was unable to validate a certificate for the domain that signed the request",
        reference: "RFC 8224",
    },
    Entry {
        code: 438,
        phrase: "Invalid Identity Header",
        description: "The server obtained a valid certificate that the request claimed was used to sign the request, but was unable to verify that signature",
        reference: "RFC 8224",
    },
    Entry {
        code: 439,
        phrase: "First Hop Lacks Outbound Support",
        description: "The first outbound proxy the user is attempting to register through does not support the outbound feature, although the registrar does",
        reference: "RFC 5626",
    },
    Entry {
        code: 440,
        phrase: "Max-Breadth Exceeded",
        description: "If a SIP proxy determines a response context has insufficient incoming Max-Breadth to carry out a desired parallel fork",
        reference: "RFC 5393",
    },
    Entry {
        code: 469,
        phrase: "Bad Info Package",
        description: "If a SIP UA receives an INFO request associated with an Info Package that the UA has not indicated willingness to receive",
        reference: "RFC 6086",
    },
    Entry {
        code: 470,
        phrase: "Consent Needed",
        description: "The source of the request did not have the permission of the recipient to make such a request",
        reference: "RFC 5360",
    },
    Entry {
        code: 480,
        phrase: "Temporarily Unavailable",
        description: "Callee currently unavailable",
        reference: "RFC 3261",
    },
    Entry {
        code: 481,
        phrase: "Call/Transaction Does Not Exist",
        description: "Server received a request that does not match any dialog or transaction",
        reference: "RFC 3261",
    },
    Entry {
        code: 482,
        phrase: "Loop Detected",
        description: "Server has detected a loop",
        reference: "RFC 3261",
    },
    Entry {
        code: 483,
        phrase: "Too Many Hops",
        description: "Max-Forwards header has reached the value '0'",
        reference: "RFC 3261",
    },
    Entry {
        code: 484,
        phrase: "Address Incomplete",
        description: "Request-URI incomplete",
        reference: "RFC 3261",
    },
    Entry {
        code: 485,
        phrase: "Ambiguous",
        description: "Request-URI is ambiguous",
        reference: "RFC 3261",
    },
    Entry {
        code: 486,
        phrase: "Busy Here",
        description: "Callee is busy",
        reference: "RFC 3261",
    },
    Entry {
        code: 487,
        phrase: "Request Terminated",
        description: "Request has terminated by bye or cancel",
        reference: "RFC 3261",
    },
    Entry {
        code: 488,
        phrase: "Not Acceptable Here",
        description: "Some aspect of the session description or the Request-URI is not acceptable",
        reference: "RFC 3261",
    },
    Entry {
        code: 489,
        phrase: "Bad Event",
        description: "The server did not understand an event package specified in an Event header field",
        reference: "RFC 6665",
    },
    Entry {
        code: 491,
        phrase: "Request Pending",
        description: "Server has some pending request from the same dialog",
        reference: "RFC 3261",
    },
    Entry {
        code: 493,
        phrase: "Undecipherable",
        description: "Request contains an encrypted MIME body, which recipient can not decrypt",
        reference: "RFC 3261",
    },
    Entry {
        code: 494,
        phrase: "Security Agreement Required",
        description: "The server has received a request that requires a negotiated security mechanism",
        reference: "RFC 3329",
    },
    Entry {
        code: 500,
        phrase: "Server Internal Error",
        description: "The server could not fulfill the request due to some unexpected condition",
        reference: "RFC 3261",
    },
    Entry {
        code: 501,
        phrase: "Not Implemented",
        description: "The server does not have the ability to fulfill the request, such as because it does not recognize the request method",
        reference: "RFC 3261",
    },
    Entry {
        code: 502,
        phrase: "Bad Gateway",
        description: "The server is acting as a gateway or proxy, and received an invalid response from a downstream server while attempting to fulfill the request",
        reference: "RFC 3261",
    },
    Entry {
        code: 503,
        phrase: "Service Unavailable",
        description: "The server is undergoing maintenance or is temporarily overloaded and so cannot process the request",
        reference: "RFC 3261",
    },
    Entry {
        code: 504,
        phrase: "Server Time-out",
        description: "The server attempted to access another server in attempting to process the request, and did not receive a prompt response",
        reference: "RFC 3261",
    },
    Entry {
        code: 505,
        phrase: "Version Not Supported",
        description: "The SIP protocol version in the request is not supported by the server",
        reference: "RFC 3261",
    },
    Entry {
        code: 513,
        phrase: "Message Too Large",
        description: "The request message length is longer than the server can process",
        reference: "RFC 3261",
    },
    Entry {
        code: 555,
        phrase: "Push Notification Service Not Supported",
        description: "The server does not support the push notification service identified in a 'pn-provider' SIP URI parameter",
        reference: "RFC 8599",
    },
    Entry {
        code: 580,
        phrase: "Precondition Failure",
        description: "The server is unable or unwilling to meet some constraints specified in the offer",
        reference: "RFC 3312",
    },
    Entry {
        code: 600,
        phrase: "Busy Everywhere",
        description: "All possible destinations are busy",
        reference: "RFC 3261",
    },
    Entry {
        code: 603,
        phrase: "Decline",
        description: "Destination cannot/doesn't wish to participate in the call, no alternative destinations",
        reference: "RFC 3261",
    },
    Entry {
        code: 604,
        phrase: "Does Not Exist Anywhere",
        description: "The server has authoritative information that the requested user does not exist anywhere",
        reference: "RFC 3261",
    },
    Entry {
        code: 606,
        phrase: "Not Acceptable",
        description: "The user's agent was contacted successfully but some aspects of the session description were not acceptable",
        reference: "RFC 3261",
    },
    Entry {
        code: 607,
        phrase: "Unwanted",
        description: "The called party did not want this call from the calling party",
        reference: "RFC 8197",
    },
    Entry {
        code: 608,
        phrase: "Rejected",
        description: "An intermediary machine or process rejected the call attempt",
        reference: "RFC 8688",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_in_range() {
        assert!(TABLE.windows(2).all(|w| w[0].code < w[1].code));
        assert!(TABLE.iter().all(|e| (100..=699).contains(&e.code)));
        assert_eq!(SipStatus::all().count(), TABLE.len());
    }

    #[test]
    fn pyvoip_examples() {
        assert_eq!(SipStatus::TRYING.value(), 100);
        assert_eq!(
            SipStatus::TRYING.description(),
            "Extended search being performed, may take a significant time"
        );
        assert_eq!(SipStatus::RINGING.phrase(), "Ringing");
        assert_eq!(SipStatus::BUSY_HERE.description(), "Callee is busy");
        assert_eq!(SipStatus::BUSY_HERE.to_string(), "486 Busy Here");
    }

    #[test]
    fn unknown_codes_fall_back_to_their_class() {
        let s = SipStatus::new(499).unwrap();
        assert!(!s.is_registered());
        assert_eq!(s.phrase(), "Bad Request");
        assert!(s.is_client_error() && s.is_final());
        assert!(SipStatus::new(99).is_err());
    }
}
