//! The RTP fixed header, CSRC list, header extension, payload and padding (RFC 3550 §5.1).
//!
//! [`RtpPacket`] is a borrowed view: parsing copies the 12 fixed-header fields into the
//! struct and keeps the CSRC list, extension data and payload as slices of the input.
//! Serializing writes into a caller buffer ([`RtpPacket::marshal_to`]) without allocating.

use crate::extension::Extension;
use crate::{Error, PayloadMap, PayloadType};
use std::fmt;

/// Length of the fixed RTP header.
pub const FIXED_HEADER_LEN: usize = 12;
/// The only RTP version this crate accepts and writes.
pub const VERSION: u8 = 2;
/// The largest CSRC count the 4-bit CC field can carry.
pub const MAX_CSRC: usize = 15;

/// True when `datagram` is an RTCP packet rather than RTP, by the RFC 5761 §4 rule for
/// RTP and RTCP multiplexed on one port: RTCP packet types 192-223 fill the second byte,
/// where RTP would have payload types 64-95 with the marker bit (never used, to keep that
/// rule working).
pub fn is_rtcp(datagram: &[u8]) -> bool {
    datagram.len() >= 2 && datagram[0] >> 6 == VERSION && (192..=223).contains(&datagram[1])
}

/// One RTP packet, borrowing its variable parts from a buffer.
///
/// Build one with a struct literal (or [`RtpPacket::new`]) to send, or get one from
/// [`RtpPacket::parse`]. The version is always 2; the P, X and CC bits are derived from
/// `padding`, `extension` and `csrc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The M bit (for audio: first packet of a talk spurt, RFC 3551 §4.1).
    pub marker: bool,
    /// The 7-bit payload type number.
    pub payload_type: u8,
    /// Sequence number (wraps at 2^16).
    pub sequence_number: u16,
    /// Media timestamp in clock-rate units (wraps at 2^32).
    pub timestamp: u32,
    /// Synchronization source identifier.
    pub ssrc: u32,
    /// Contributing sources (at most 15).
    pub csrc: Csrcs<'a>,
    /// The header extension, if the X bit is set.
    pub extension: Option<Extension<'a>>,
    /// The payload, without padding.
    pub payload: &'a [u8],
    /// Number of padding bytes after the payload, including the count byte itself;
    /// 0 means no padding (P bit clear). The padding bytes are written as zeros.
    pub padding: u8,
}

impl<'a> RtpPacket<'a> {
    /// A packet with no CSRCs, no extension and no padding.
    pub fn new(
        payload_type: u8,
        sequence_number: u16,
        timestamp: u32,
        ssrc: u32,
        payload: &'a [u8],
    ) -> Self {
        RtpPacket {
            marker: false,
            payload_type,
            sequence_number,
            timestamp,
            ssrc,
            csrc: Csrcs::EMPTY,
            extension: None,
            payload,
            padding: 0,
        }
    }

    /// Parses one packet (one UDP datagram).
    ///
    /// Rejects versions other than 2, a CSRC list or extension that runs past the end, and a
    /// pad count of zero or one that reaches into the header. Never panics.
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        let Some(fixed) = buf.first_chunk::<FIXED_HEADER_LEN>() else {
            return Err(Error::Truncated {
                offset: buf.len(),
                expected: "the 12-byte RTP fixed header",
            });
        };
        let b0 = fixed[0];
        if b0 >> 6 != VERSION {
            return Err(Error::UnsupportedVersion { version: b0 >> 6 });
        }
        let b1 = fixed[1];
        let cc = (b0 & 0x0F) as usize;
        let mut offset = FIXED_HEADER_LEN + cc * 4;
        if buf.len() < offset {
            return Err(Error::Truncated {
                offset: FIXED_HEADER_LEN,
                expected: "the CSRC list announced by the CC field",
            });
        }
        let csrc = Csrcs(Repr::Wire(&buf[FIXED_HEADER_LEN..offset]));

        let extension = if b0 & 0x10 != 0 {
            let Some(ext_header) = buf.get(offset..offset + 4) else {
                return Err(Error::Truncated {
                    offset,
                    expected: "the 4-byte header-extension header",
                });
            };
            let profile = u16::from_be_bytes([ext_header[0], ext_header[1]]);
            let words = u16::from_be_bytes([ext_header[2], ext_header[3]]) as usize;
            let start = offset + 4;
            let end = start + words * 4;
            let Some(data) = buf.get(start..end) else {
                return Err(Error::Truncated {
                    offset: start,
                    expected: "the header-extension data announced by its length field",
                });
            };
            offset = end;
            Some(Extension::new(profile, data))
        } else {
            None
        };

        let mut end = buf.len();
        let padding = if b0 & 0x20 != 0 {
            // The packet is at least 12 bytes long here, so `end - 1` is in bounds.
            let count = buf[end - 1];
            let max = end - offset;
            if count == 0 || count as usize > max {
                return Err(Error::InvalidPadding {
                    offset: end - 1,
                    count,
                    max,
                });
            }
            end -= count as usize;
            count
        } else {
            0
        };

        Ok(RtpPacket {
            marker: b1 & 0x80 != 0,
            payload_type: b1 & 0x7F,
            sequence_number: u16::from_be_bytes([fixed[2], fixed[3]]),
            timestamp: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
            csrc,
            extension,
            payload: &buf[offset..end],
            padding,
        })
    }

    /// Length of the header: fixed part, CSRC list and extension.
    #[inline]
    pub fn header_len(&self) -> usize {
        FIXED_HEADER_LEN + self.csrc.len() * 4 + self.extension.map_or(0, |e| 4 + e.data().len())
    }

    /// Number of bytes [`marshal_to`](Self::marshal_to) writes.
    #[inline]
    pub fn marshal_size(&self) -> usize {
        self.header_len() + self.payload.len() + self.padding as usize
    }

    /// Writes the packet into `buf` and returns the number of bytes written. Never allocates.
    ///
    /// Errors when the buffer is too small, the payload type exceeds 127, there are more
    /// than 15 CSRCs, or the extension data is not a whole number of 32-bit words (or
    /// longer than 65,535 words).
    #[inline]
    pub fn marshal_to(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.payload_type > 0x7F {
            return Err(Error::InvalidField {
                field: "payload type",
                reason: "must be at most 127 (7 bits)",
            });
        }
        let cc = self.csrc.len();
        if cc > MAX_CSRC {
            return Err(Error::InvalidField {
                field: "CSRC list",
                reason: "at most 15 entries fit the 4-bit CC field",
            });
        }
        let fixed = self.fixed_header(cc);
        if cc == 0 && self.extension.is_none() && self.padding == 0 {
            // The common case (every packet this crate sends): header and payload only.
            let size = FIXED_HEADER_LEN + self.payload.len();
            let Some(out) = buf.get_mut(..size) else {
                return Err(Error::BufferTooSmall {
                    needed: size,
                    available: buf.len(),
                });
            };
            let (head, rest) = out.split_at_mut(FIXED_HEADER_LEN);
            head.copy_from_slice(&fixed);
            rest.copy_from_slice(self.payload);
            return Ok(size);
        }

        let size = self.marshal_size();
        if buf.len() < size {
            return Err(Error::BufferTooSmall {
                needed: size,
                available: buf.len(),
            });
        }
        let (head, rest) = buf[..size].split_at_mut(FIXED_HEADER_LEN);
        head.copy_from_slice(&fixed);
        for (i, id) in self.csrc.iter().enumerate() {
            rest[i * 4..i * 4 + 4].copy_from_slice(&id.to_be_bytes());
        }
        let mut at = cc * 4;
        if let Some(ext) = self.extension {
            let data = ext.data();
            if data.len() % 4 != 0 || data.len() / 4 > u16::MAX as usize {
                return Err(Error::InvalidField {
                    field: "header-extension data",
                    reason: "must be a whole number of 32-bit words, at most 65,535",
                });
            }
            rest[at..at + 2].copy_from_slice(&ext.profile().to_be_bytes());
            rest[at + 2..at + 4].copy_from_slice(&((data.len() / 4) as u16).to_be_bytes());
            rest[at + 4..at + 4 + data.len()].copy_from_slice(data);
            at += 4 + data.len();
        }
        let payload_end = at + self.payload.len();
        rest[at..payload_end].copy_from_slice(self.payload);
        if self.padding != 0 {
            let pad = &mut rest[payload_end..];
            pad.fill(0);
            pad[pad.len() - 1] = self.padding;
        }
        Ok(size)
    }

    /// The 12 fixed-header bytes, with the P, X and CC bits derived from the packet.
    #[inline]
    fn fixed_header(&self, cc: usize) -> [u8; FIXED_HEADER_LEN] {
        let mut b0 = (VERSION << 6) | cc as u8;
        if self.padding != 0 {
            b0 |= 0x20;
        }
        if self.extension.is_some() {
            b0 |= 0x10;
        }
        let seq = self.sequence_number.to_be_bytes();
        let ts = self.timestamp.to_be_bytes();
        let ssrc = self.ssrc.to_be_bytes();
        [
            b0,
            (u8::from(self.marker) << 7) | self.payload_type,
            seq[0],
            seq[1],
            ts[0],
            ts[1],
            ts[2],
            ts[3],
            ssrc[0],
            ssrc[1],
            ssrc[2],
            ssrc[3],
        ]
    }

    /// Serializes into a new `Vec` (convenience over [`marshal_to`](Self::marshal_to)).
    pub fn to_vec(&self) -> Result<Vec<u8>, Error> {
        let mut out = vec![0; self.marshal_size()];
        self.marshal_to(&mut out)?;
        Ok(out)
    }

    /// The payload as a zero-copy [`bytes::Bytes`], when this packet was parsed from
    /// `source` (or from a slice of it). Returns `None` when the payload does not lie
    /// inside `source`.
    pub fn payload_bytes(&self, source: &bytes::Bytes) -> Option<bytes::Bytes> {
        let base = source.as_ptr() as usize;
        let start = self.payload.as_ptr() as usize;
        if start < base || start + self.payload.len() > base + source.len() {
            return None;
        }
        let from = start - base;
        Some(source.slice(from..from + self.payload.len()))
    }

    /// The static payload type for this packet's number, if RFC 3551 assigns one.
    pub fn static_payload_type(&self) -> Option<PayloadType> {
        PayloadType::from_static(self.payload_type)
    }

    /// A multi-line description of the header, without the payload, with the same lines
    /// as pyVoIP's `RTPMessage.summary()`. Payload types are named from the static table;
    /// see [`summary_with`](Self::summary_with) for negotiated ones.
    pub fn summary(&self) -> String {
        self.summary_with(&PayloadMap::new())
    }

    /// As [`summary`](Self::summary), naming the payload type through `map` (pyVoIP's
    /// `assoc`).
    pub fn summary_with(&self, map: &PayloadMap) -> String {
        fn py(b: bool) -> &'static str {
            if b { "True" } else { "False" }
        }
        let name = match map.get(self.payload_type) {
            Some(pt) => pt.encoding_name(),
            None if self.payload_type >= 96 => "dynamic",
            None => "unassigned",
        };
        format!(
            "Version: {VERSION}\nPadding: {}\nExtension: {}\nCC: {}\nMarker: {}\n\
             Payload Type: {name} ({})\nSequence Number: {}\nTimestamp: {}\nSSRC: {}\n",
            py(self.padding != 0),
            py(self.extension.is_some()),
            self.csrc.len(),
            py(self.marker),
            self.payload_type,
            self.sequence_number,
            self.timestamp,
            self.ssrc,
        )
    }
}

/// The CSRC list: either the big-endian words of a parsed packet, or `u32` values to send.
#[derive(Clone, Copy)]
pub struct Csrcs<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// Big-endian 32-bit words; the length is a multiple of 4.
    Wire(&'a [u8]),
    Values(&'a [u32]),
}

impl<'a> Csrcs<'a> {
    /// No contributing sources.
    pub const EMPTY: Csrcs<'static> = Csrcs(Repr::Values(&[]));

    /// A list of CSRC values to send (at most 15 are accepted by the serializer).
    pub const fn from_values(values: &'a [u32]) -> Self {
        Csrcs(Repr::Values(values))
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        match self.0 {
            Repr::Wire(b) => b.len() / 4,
            Repr::Values(v) => v.len(),
        }
    }

    /// True when there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry at `index`.
    pub fn get(&self, index: usize) -> Option<u32> {
        match self.0 {
            Repr::Wire(b) => b
                .get(index * 4..index * 4 + 4)
                .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]])),
            Repr::Values(v) => v.get(index).copied(),
        }
    }

    /// The entries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let this = *self;
        (0..this.len()).map(move |i| this.get(i).unwrap_or(0))
    }
}

impl Default for Csrcs<'_> {
    fn default() -> Self {
        Csrcs::EMPTY
    }
}

impl PartialEq for Csrcs<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Csrcs<'_> {}

impl fmt::Debug for Csrcs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcmu_packet() -> Vec<u8> {
        let mut p = vec![
            0x80, 0x00, 0x12, 0x34, 0, 0, 0x03, 0x20, 0xde, 0xad, 0xbe, 0xef,
        ];
        p.extend(std::iter::repeat_n(0xFF, 160));
        p
    }

    #[test]
    fn parses_fixed_header_fields() {
        let raw = pcmu_packet();
        let p = RtpPacket::parse(&raw).unwrap();
        assert!(!p.marker);
        assert_eq!(p.payload_type, 0);
        assert_eq!(p.sequence_number, 0x1234);
        assert_eq!(p.timestamp, 800);
        assert_eq!(p.ssrc, 0xdeadbeef);
        assert!(p.csrc.is_empty());
        assert_eq!(p.extension, None);
        assert_eq!(p.payload.len(), 160);
        assert_eq!(p.padding, 0);
        assert_eq!(p.static_payload_type(), Some(PayloadType::Pcmu));
    }

    #[test]
    fn marker_and_payload_type_share_a_byte() {
        let mut raw = pcmu_packet();
        raw[1] = 0x80 | 101;
        let p = RtpPacket::parse(&raw).unwrap();
        assert!(p.marker);
        assert_eq!(p.payload_type, 101);
    }

    #[test]
    fn rejects_short_header_with_offset() {
        for len in 0..12 {
            let err = RtpPacket::parse(&pcmu_packet()[..len]).unwrap_err();
            assert!(
                matches!(err, Error::Truncated { offset, .. } if offset == len),
                "{err}"
            );
        }
    }

    #[test]
    fn rejects_other_versions() {
        for version in [0u8, 1, 3] {
            let mut raw = pcmu_packet();
            raw[0] = (version << 6) | (raw[0] & 0x3F);
            assert_eq!(
                RtpPacket::parse(&raw),
                Err(Error::UnsupportedVersion { version })
            );
        }
    }

    #[test]
    fn csrc_count_beyond_length_is_an_error() {
        let mut raw = pcmu_packet()[..20].to_vec();
        raw[0] |= 3; // three CSRCs need 12 bytes, only 8 follow the header
        assert_eq!(
            RtpPacket::parse(&raw),
            Err(Error::Truncated {
                offset: 12,
                expected: "the CSRC list announced by the CC field"
            })
        );
        raw[0] = (raw[0] & 0xF0) | 2;
        let p = RtpPacket::parse(&raw).unwrap();
        assert_eq!(p.csrc.iter().collect::<Vec<_>>(), vec![0xFFFF_FFFF; 2]);
        assert!(p.payload.is_empty());
    }

    #[test]
    fn padding_is_removed_and_checked() {
        let mut raw = pcmu_packet();
        raw[0] |= 0x20;
        raw.extend([0, 0, 0, 4]);
        let p = RtpPacket::parse(&raw).unwrap();
        assert_eq!(p.padding, 4);
        assert_eq!(p.payload.len(), 160);

        let last = raw.len() - 1;
        raw[last] = 0;
        assert!(matches!(
            RtpPacket::parse(&raw),
            Err(Error::InvalidPadding { count: 0, offset, .. }) if offset == last
        ));
        raw[last] = 165; // reaches into the fixed header (160 + 4 bytes follow it)
        assert!(matches!(
            RtpPacket::parse(&raw),
            Err(Error::InvalidPadding {
                count: 165,
                max: 164,
                ..
            })
        ));
        raw[last] = 164; // everything after the header is padding: valid, empty payload
        assert_eq!(RtpPacket::parse(&raw).unwrap().payload.len(), 0);
    }

    #[test]
    fn padding_bit_on_bare_header_counts_from_header_end() {
        let mut raw = pcmu_packet()[..12].to_vec();
        raw[0] |= 0x20;
        // The pad count would be the SSRC's last byte, which lies inside the header.
        assert!(matches!(
            RtpPacket::parse(&raw),
            Err(Error::InvalidPadding { max: 0, .. })
        ));
    }

    #[test]
    fn extension_is_parsed_and_truncation_detected() {
        let mut raw = vec![0x90, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        raw.extend([0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x00, 0x00]);
        raw.extend([1, 2, 3]);
        let p = RtpPacket::parse(&raw).unwrap();
        let ext = p.extension.unwrap();
        assert_eq!(ext.profile(), 0xBEDE);
        assert_eq!(ext.data(), &[0x10, 0xAA, 0, 0]);
        assert_eq!(p.payload, &[1, 2, 3]);
        assert_eq!(p.header_len(), 20);

        assert!(matches!(
            RtpPacket::parse(&raw[..14]),
            Err(Error::Truncated { offset: 12, .. })
        ));
        assert!(matches!(
            RtpPacket::parse(&raw[..18]),
            Err(Error::Truncated { offset: 16, .. })
        ));
    }

    #[test]
    fn rtcp_is_told_apart() {
        // An RTCP receiver report header (PT 201) and sender report (PT 200).
        assert!(is_rtcp(&[0x81, 201, 0, 7]));
        assert!(is_rtcp(&[0x80, 200, 0, 6]));
        assert!(!is_rtcp(&pcmu_packet()));
        let mut marked_event = pcmu_packet();
        marked_event[1] = 0x80 | 101;
        assert!(!is_rtcp(&marked_event));
        assert!(!is_rtcp(&[0x80]));
    }

    #[test]
    fn serializes_byte_exact() {
        let raw = pcmu_packet();
        let p = RtpPacket::parse(&raw).unwrap();
        assert_eq!(p.marshal_size(), 172);
        let mut out = [0u8; 200];
        assert_eq!(p.marshal_to(&mut out), Ok(172));
        assert_eq!(&out[..172], &raw[..]);
        assert_eq!(p.to_vec().unwrap(), raw);
    }

    #[test]
    fn serializer_reports_bad_fields_and_small_buffers() {
        let payload = [0u8; 4];
        let mut p = RtpPacket::new(0, 1, 2, 3, &payload);
        let mut small = [0u8; 15];
        assert_eq!(
            p.marshal_to(&mut small),
            Err(Error::BufferTooSmall {
                needed: 16,
                available: 15
            })
        );
        p.payload_type = 128;
        assert!(matches!(p.to_vec(), Err(Error::InvalidField { .. })));
        p.payload_type = 0;
        let many = [7u32; 16];
        p.csrc = Csrcs::from_values(&many);
        assert!(matches!(p.to_vec(), Err(Error::InvalidField { .. })));
        p.csrc = Csrcs::from_values(&many[..15]);
        let wire = p.to_vec().unwrap();
        assert_eq!(wire[0], 0x80 | 15);
        assert_eq!(RtpPacket::parse(&wire).unwrap(), p);
        p.extension = Some(Extension::new(1, &[1, 2, 3]));
        assert!(matches!(p.to_vec(), Err(Error::InvalidField { .. })));
    }

    #[test]
    fn padding_round_trips() {
        let payload = [9u8; 3];
        let mut p = RtpPacket::new(8, 65535, u32::MAX, 1, &payload);
        p.padding = 5;
        p.marker = true;
        let wire = p.to_vec().unwrap();
        assert_eq!(wire.len(), 12 + 3 + 5);
        assert_eq!(&wire[15..], &[0, 0, 0, 0, 5]);
        assert_eq!(RtpPacket::parse(&wire).unwrap(), p);
    }

    #[test]
    fn payload_bytes_is_zero_copy() {
        let raw = bytes::Bytes::from(pcmu_packet());
        let p = RtpPacket::parse(&raw).unwrap();
        let payload = p.payload_bytes(&raw).unwrap();
        assert_eq!(payload.as_ptr(), raw[12..].as_ptr());
        assert_eq!(payload.len(), 160);
        let other = bytes::Bytes::from_static(&[0u8; 4]);
        assert_eq!(p.payload_bytes(&other), None);
    }

    #[test]
    fn summary_matches_pyvoip_layout() {
        let mut raw = pcmu_packet();
        raw[1] = 0x88;
        let p = RtpPacket::parse(&raw).unwrap();
        assert_eq!(
            p.summary(),
            "Version: 2\nPadding: False\nExtension: False\nCC: 0\nMarker: True\n\
             Payload Type: PCMA (8)\nSequence Number: 4660\nTimestamp: 800\nSSRC: 3735928559\n"
        );
        raw[1] = 101;
        let p = RtpPacket::parse(&raw).unwrap();
        assert!(p.summary().contains("Payload Type: dynamic (101)\n"));
        let mut map = PayloadMap::new();
        map.insert(101, PayloadType::TelephoneEvent).unwrap();
        assert!(
            p.summary_with(&map)
                .contains("Payload Type: telephone-event (101)\n")
        );
        raw[1] = 20;
        assert!(
            RtpPacket::parse(&raw)
                .unwrap()
                .summary()
                .contains("unassigned (20)")
        );
    }
}
