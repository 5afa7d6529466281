//! The voip transaction layer (RFC 3261 §17) driven by arbitrary input: the bytes are a
//! little program of operations (clock jumps, received messages from templates or raw
//! bytes, requests sent, TU responses, ACKs, CANCELs, transport errors). Nothing may
//! panic, the layer stays within its bound, no timer stays overdue after
//! `handle_timeout`, and everything it sends parses.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sip_message::{SipMessage, SipStatus};
use std::time::{Duration, Instant};
use voip::transaction::{
    Received, Target, TransactionConfig, TransactionEvent, TransactionKey, TransactionLayer,
};

const MAX: usize = 8;
const METHODS: [&str; 6] = ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "REGISTER"];

fn template(b: &[u8; 4], response_code: Option<u16>) -> Option<SipMessage> {
    let m = METHODS[b[0] as usize % METHODS.len()];
    let branch = if b[1] & 0x80 == 0 {
        format!("z9hG4bK{}", b[1] % 5)
    } else {
        format!("old{}", b[1] % 5)
    };
    let to = if b[2] & 1 == 1 {
        format!(";tag=t{}", b[2] % 3)
    } else {
        String::new()
    };
    let seq = u32::from(b[3] % 3) + 1;
    let wire = format!(
        "{m} sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=f\r\nTo: <sip:bob@127.0.0.1>{to}\r\n\
         Call-ID: c{}\r\nCSeq: {seq} {m}\r\nContent-Length: 0\r\n\r\n",
        b[1] % 5
    );
    let req = SipMessage::parse(Bytes::from(wire)).ok()?;
    match response_code {
        None => Some(req),
        Some(code) => req
            .response(SipStatus::new(code).ok()?)
            .to_tag(&format!("t{}", b[2] % 3))
            .build()
            .ok(),
    }
}

fn target(bit: u8) -> Target {
    let addr = "127.0.0.1:5070".parse().unwrap();
    if bit & 1 == 0 {
        Target::udp(addr)
    } else {
        Target::tcp(addr)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut l = TransactionLayer::new(TransactionConfig {
        max_transactions: MAX,
        max_queued: 64,
        ..TransactionConfig::default()
    });
    let mut now = Instant::now();
    let mut keys: Vec<TransactionKey> = Vec::new();
    let mut i = 0;
    while i + 5 <= data.len() {
        let op = data[i];
        let arg: [u8; 4] = data[i + 1..i + 5].try_into().unwrap();
        i += 5;
        let pick = |keys: &[TransactionKey]| {
            (!keys.is_empty()).then(|| keys[arg[0] as usize % keys.len()])
        };
        match op % 9 {
            0 => {
                now += Duration::from_millis(u64::from(u16::from_le_bytes([arg[0], arg[1]])) * 4);
                l.handle_timeout(now);
                assert!(l.poll_timeout().is_none_or(|t| t > now));
            }
            1 => {
                let n = (arg[0] as usize).min(data.len() - i);
                if let Ok(m) = SipMessage::parse(Bytes::copy_from_slice(&data[i..i + n])) {
                    if let Received::NewRequest { key, .. } = l.receive(now, m, target(arg[1])) {
                        keys.push(key);
                    }
                }
                i += n;
            }
            2 => {
                if let Some(m) = template(&arg, None)
                    && let Received::NewRequest { key, .. } = l.receive(now, m, target(arg[3]))
                {
                    keys.push(key);
                }
            }
            3 => {
                let code = 100 + u16::from_le_bytes([arg[3], arg[2]]) % 600;
                if let Some(m) = template(&arg, Some(code)) {
                    let _ = l.receive(now, m, target(0));
                }
            }
            4 => {
                if let Some(m) = template(&arg, None)
                    && let Ok(k) = l.send_request(now, m, target(arg[3]))
                {
                    keys.push(k);
                }
            }
            5 => {
                let code = 100 + u16::from_le_bytes([arg[1], arg[2]]) % 600;
                if let Some(k) = pick(&keys)
                    && let Some(req) = l.request(k).cloned()
                    && let Ok(r) = req
                        .response(SipStatus::new(code).unwrap())
                        .to_tag(&format!("t{}", arg[3] % 3))
                        .build()
                {
                    let _ = l.respond(now, k, r);
                }
            }
            6 => {
                if let Some(k) = pick(&keys) {
                    if arg[1] & 1 == 0 {
                        if let Ok(Some(ck)) = l.cancel(now, k) {
                            keys.push(ck);
                        }
                    } else if let Ok(c) = l.cancel_request(k)
                        && let Some(t) = l.target(k)
                        && let Ok(ck) = l.send_request(now, c, t)
                    {
                        keys.push(ck);
                    }
                }
            }
            7 => {
                if let Some(k) = pick(&keys) {
                    l.transport_error(k);
                }
            }
            _ => {
                let mut a = arg;
                a[0] = 1; // ACK
                if let Some(k) = pick(&keys)
                    && let Some(ack) = template(&a, None)
                {
                    let _ = l.send_ack(now, k, ack, target(0));
                }
            }
        }
        assert!(l.len() <= MAX);
        while let Some(t) = l.poll_transmit() {
            assert!(SipMessage::parse(t.bytes).is_ok());
        }
        while let Some(e) = l.poll_event() {
            if let TransactionEvent::CancelSent { cancel, .. } = e {
                keys.push(cancel);
            }
        }
        if keys.len() > 4 * MAX {
            keys.retain(|k| l.state(*k).is_some());
        }
    }
    // Every timer runs out eventually; nothing is left overdue.
    now += Duration::from_secs(3600);
    l.handle_timeout(now);
    assert!(l.poll_timeout().is_none());
});
