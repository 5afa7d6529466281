//! Stream framing (sip-transport's `StreamFramer`): arbitrary bytes fed in arbitrary chunks
//! never panic, keep the buffer bounded, and give the same events as feeding them at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_message::ParseLimits;
use sip_transport::{StreamEvent, StreamFramer};

const LIMITS: ParseLimits = ParseLimits {
    max_message_size: 4096,
    max_headers: 32,
    max_header_len: 1024,
};

/// Feeds `data` in chunks of the given sizes (cycled); returns the events before the first
/// error and whether an error happened.
fn run(data: &[u8], sizes: &[usize]) -> (Vec<StreamEvent>, bool) {
    let mut f = StreamFramer::new(LIMITS);
    let mut events = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < data.len() {
        let n = sizes[i % sizes.len()].clamp(1, data.len() - pos);
        i += 1;
        f.push(&data[pos..pos + n]);
        pos += n;
        loop {
            match f.next_event() {
                Ok(Some(e)) => {
                    if let StreamEvent::Message(m) = &e {
                        assert!(!m.is_empty() && m.len() <= LIMITS.max_message_size);
                        assert!(
                            !matches!(m[0], b'\r' | b'\n'),
                            "keep-alive bytes are not part of a message"
                        );
                    }
                    events.push(e);
                }
                Ok(None) => break,
                Err(_) => return (events, true),
            }
        }
        // Bounded: at most one partial message (plus the last chunk) is buffered.
        assert!(
            f.buffered() <= LIMITS.max_message_size + n + 4,
            "buffered {}",
            f.buffered()
        );
    }
    (events, false)
}

fuzz_target!(|data: &[u8]| {
    let Some((&pattern, data)) = data.split_first() else {
        return;
    };
    let sizes = [
        1 + usize::from(pattern & 0x0f),
        1 + usize::from(pattern >> 4) * 37,
        1,
    ];
    let (chunked, _) = run(data, &sizes);
    let (whole, _) = run(data, &[data.len().max(1)]);
    let n = chunked.len().min(whole.len());
    assert_eq!(chunked[..n], whole[..n], "chunking changed the events");
});
