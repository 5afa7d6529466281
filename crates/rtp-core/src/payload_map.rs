//! The payload type numbers of one session, as negotiated in SDP (pyVoIP's `assoc` dict).

use crate::{Error, PayloadType};

/// Maps payload type numbers to formats for one RTP session.
///
/// Numbers given explicitly (from SDP `a=rtpmap` or the `m=` line) win; other numbers
/// fall back to the RFC 3551 static table. Dynamic types such as telephone-event only
/// resolve once inserted.
///
/// ```
/// use rtp_core::{PayloadMap, PayloadType};
///
/// let mut map = PayloadMap::new();
/// map.insert(101, PayloadType::TelephoneEvent)?;
/// assert_eq!(map.get(101), Some(PayloadType::TelephoneEvent));
/// assert_eq!(map.get(8), Some(PayloadType::Pcma)); // static
/// assert_eq!(map.number_of(PayloadType::TelephoneEvent), Some(101));
/// assert_eq!(map.get(96), None);
/// # Ok::<(), rtp_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayloadMap {
    entries: Vec<(u8, PayloadType)>,
}

impl PayloadMap {
    /// An empty map: only static numbers resolve.
    pub fn new() -> Self {
        PayloadMap::default()
    }

    /// Associates `number` (0-127) with `payload_type`, replacing an earlier entry.
    pub fn insert(&mut self, number: u8, payload_type: PayloadType) -> Result<(), Error> {
        if number > 127 {
            return Err(Error::InvalidField {
                field: "payload type",
                reason: "must be at most 127 (7 bits)",
            });
        }
        match self.entries.iter_mut().find(|(n, _)| *n == number) {
            Some(entry) => entry.1 = payload_type,
            None => self.entries.push((number, payload_type)),
        }
        Ok(())
    }

    /// The format for a number: the explicit entry, else the static one.
    pub fn get(&self, number: u8) -> Option<PayloadType> {
        self.entries
            .iter()
            .find(|(n, _)| *n == number)
            .map(|&(_, pt)| pt)
            .or_else(|| PayloadType::from_static(number))
    }

    /// The number for a format: the first explicit entry, else its static number.
    pub fn number_of(&self, payload_type: PayloadType) -> Option<u8> {
        self.entries
            .iter()
            .find(|(_, pt)| *pt == payload_type)
            .map(|&(n, _)| n)
            .or_else(|| payload_type.static_number())
    }

    /// The explicit entries, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, PayloadType)> + '_ {
        self.entries.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_entries_override_the_static_table() {
        let mut map = PayloadMap::new();
        map.insert(0, PayloadType::Pcma).unwrap();
        map.insert(0, PayloadType::Pcmu).unwrap();
        map.insert(9, PayloadType::TelephoneEvent).unwrap();
        assert_eq!(map.get(0), Some(PayloadType::Pcmu));
        assert_eq!(map.get(9), Some(PayloadType::TelephoneEvent));
        assert_eq!(map.number_of(PayloadType::G722), Some(9), "static fallback");
        assert_eq!(map.number_of(PayloadType::G726_32), None);
        assert_eq!(map.iter().count(), 2);
        assert!(map.insert(128, PayloadType::Pcmu).is_err());
    }
}
