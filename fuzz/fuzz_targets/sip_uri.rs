//! `sip-message` URIs and addresses: parse; a parsed value's Display form parses back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_message::{NameAddr, Uri, Via};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(u) = Uri::parse(s) {
        let text = u.to_string();
        let back = Uri::parse(&text).expect("a URI's Display form parses");
        assert_eq!(back, u, "{s:?} -> {text:?}");
    }
    if let Ok(a) = NameAddr::parse(s) {
        let text = a.to_string();
        let back = NameAddr::parse(&text).expect("an address's Display form parses");
        assert_eq!(back.uri, a.uri);
        assert_eq!(back.display_name, a.display_name);
        assert_eq!(back.params.iter().collect::<Vec<_>>(), a.params.iter().collect::<Vec<_>>());
    }
    if let Ok(v) = Via::parse(s) {
        let text = v.to_string();
        let back = Via::parse(&text).expect("a Via's Display form parses");
        assert_eq!(back.host, v.host);
        assert_eq!(back.port, v.port);
        assert_eq!(back.branch(), v.branch());
    }
});
