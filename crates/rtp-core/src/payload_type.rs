//! Payload types: every entry of RFC 3551 §6 tables 4 (audio) and 5 (video), plus
//! telephone-event (RFC 4733), as pyVoIP's `PayloadType`.

use crate::Error;
use std::fmt;

/// Whether a payload type carries audio, video or both (RFC 3551 §6, "media type").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// "A" in RFC 3551 table 4.
    Audio,
    /// "V" in RFC 3551 table 5.
    Video,
    /// "AV" (MP2T).
    AudioVideo,
}

macro_rules! payload_types {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $number:expr, $name:literal, $rate:expr, $channels:expr, $media:ident;
    )*) => {
        /// A payload format from RFC 3551 §6 (tables 4 and 5) or RFC 4733.
        ///
        /// Static types have a fixed number ([`PayloadType::number`]); dynamic ones
        /// (marked "dyn" in the RFC, and telephone-event) get theirs from SDP, so asking for
        /// their number is [`Error::DynamicPayloadType`], as pyVoIP raises
        /// `DynamicPayloadType` on `int()`. `Display` gives the encoding name, as `str()`
        /// does in pyVoIP.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum PayloadType {
            $($(#[$doc])* $variant,)*
        }

        impl PayloadType {
            /// Every payload type, static ones first in number order, then the dynamic ones.
            pub const ALL: &'static [PayloadType] = &[$(PayloadType::$variant,)*];

            /// The static number, or `None` for a dynamic type.
            pub const fn static_number(self) -> Option<u8> {
                match self { $(PayloadType::$variant => $number,)* }
            }

            /// The encoding name as written in SDP `a=rtpmap` (e.g. `PCMU`, `telephone-event`).
            pub const fn encoding_name(self) -> &'static str {
                match self { $(PayloadType::$variant => $name,)* }
            }

            /// The RTP clock rate in Hz, or `None` where RFC 3551 says "var." or gives none.
            pub const fn clock_rate(self) -> Option<u32> {
                match self { $(PayloadType::$variant => $rate,)* }
            }

            /// The channel count, or `None` where it is not fixed or does not apply (video,
            /// MPA "see text", telephone-event). pyVoIP reports 0 in those cases.
            pub const fn channels(self) -> Option<u8> {
                match self { $(PayloadType::$variant => $channels,)* }
            }

            /// Audio, video or both.
            pub const fn media(self) -> MediaKind {
                match self { $(PayloadType::$variant => MediaKind::$media,)* }
            }
        }
    };
}

payload_types! {
    /// ITU-T G.711 mu-law.
    Pcmu = Some(0), "PCMU", Some(8000), Some(1), Audio;
    /// GSM 06.10 full rate.
    Gsm = Some(3), "GSM", Some(8000), Some(1), Audio;
    /// ITU-T G.723.1.
    G723 = Some(4), "G723", Some(8000), Some(1), Audio;
    /// IMA ADPCM at 8 kHz (pyVoIP `DVI4_8000`).
    Dvi4_8000 = Some(5), "DVI4", Some(8000), Some(1), Audio;
    /// IMA ADPCM at 16 kHz (pyVoIP `DVI4_16000`).
    Dvi4_16000 = Some(6), "DVI4", Some(16000), Some(1), Audio;
    /// Linear predictive coding.
    Lpc = Some(7), "LPC", Some(8000), Some(1), Audio;
    /// ITU-T G.711 A-law.
    Pcma = Some(8), "PCMA", Some(8000), Some(1), Audio;
    /// ITU-T G.722 (the RTP clock rate is 8000 although it samples at 16 kHz).
    G722 = Some(9), "G722", Some(8000), Some(1), Audio;
    /// 16-bit linear, 44.1 kHz stereo (pyVoIP `L16_2`).
    L16Stereo = Some(10), "L16", Some(44100), Some(2), Audio;
    /// 16-bit linear, 44.1 kHz mono (pyVoIP `L16`).
    L16 = Some(11), "L16", Some(44100), Some(1), Audio;
    /// QCELP.
    Qcelp = Some(12), "QCELP", Some(8000), Some(1), Audio;
    /// Comfort noise (RFC 3389).
    Cn = Some(13), "CN", Some(8000), Some(1), Audio;
    /// MPEG-1/-2 audio (channels "see text").
    Mpa = Some(14), "MPA", Some(90000), None, Audio;
    /// ITU-T G.728.
    G728 = Some(15), "G728", Some(8000), Some(1), Audio;
    /// IMA ADPCM at 11.025 kHz (pyVoIP `DVI4_11025`).
    Dvi4_11025 = Some(16), "DVI4", Some(11025), Some(1), Audio;
    /// IMA ADPCM at 22.05 kHz (pyVoIP `DVI4_22050`).
    Dvi4_22050 = Some(17), "DVI4", Some(22050), Some(1), Audio;
    /// ITU-T G.729 (and Annex A).
    G729 = Some(18), "G729", Some(8000), Some(1), Audio;
    /// Sun CellB video.
    CelB = Some(25), "CelB", Some(90000), None, Video;
    /// JPEG video.
    Jpeg = Some(26), "JPEG", Some(90000), None, Video;
    /// nv video.
    Nv = Some(28), "nv", Some(90000), None, Video;
    /// ITU-T H.261.
    H261 = Some(31), "H261", Some(90000), None, Video;
    /// MPEG-1/-2 video.
    Mpv = Some(32), "MPV", Some(90000), None, Video;
    /// MPEG-2 transport stream (audio and video).
    Mp2t = Some(33), "MP2T", Some(90000), None, AudioVideo;
    /// ITU-T H.263 (1996).
    H263 = Some(34), "H263", Some(90000), None, Video;
    /// G.726 at 40 kbit/s (dynamic).
    G726_40 = None, "G726-40", Some(8000), Some(1), Audio;
    /// G.726 at 32 kbit/s (dynamic).
    G726_32 = None, "G726-32", Some(8000), Some(1), Audio;
    /// G.726 at 24 kbit/s (dynamic).
    G726_24 = None, "G726-24", Some(8000), Some(1), Audio;
    /// G.726 at 16 kbit/s (dynamic).
    G726_16 = None, "G726-16", Some(8000), Some(1), Audio;
    /// G.729 Annex D (dynamic).
    G729D = None, "G729D", Some(8000), Some(1), Audio;
    /// G.729 Annex E (dynamic).
    G729E = None, "G729E", Some(8000), Some(1), Audio;
    /// GSM enhanced full rate (dynamic).
    GsmEfr = None, "GSM-EFR", Some(8000), Some(1), Audio;
    /// 8-bit linear, variable rate and channels (dynamic).
    L8 = None, "L8", None, None, Audio;
    /// Redundant audio, RFC 2198 (dynamic; clock rate of the carried format).
    Red = None, "RED", None, None, Audio;
    /// Variable-rate DVI4 (dynamic).
    Vdvi = None, "VDVI", None, Some(1), Audio;
    /// H.263 1998 version (dynamic).
    H263_1998 = None, "H263-1998", Some(90000), None, Video;
    /// RFC 4733 named telephone events, e.g. DTMF (dynamic; pyVoIP `EVENT`).
    TelephoneEvent = None, "telephone-event", Some(8000), None, Audio;
}

impl PayloadType {
    /// The static number, or [`Error::DynamicPayloadType`] for a dynamic type.
    pub fn number(self) -> Result<u8, Error> {
        self.static_number().ok_or(Error::DynamicPayloadType(self))
    }

    /// True for types whose number is negotiated (no static number).
    pub const fn is_dynamic(self) -> bool {
        self.static_number().is_none()
    }

    /// The type RFC 3551 assigns to a static number (0-34), if any.
    pub fn from_static(number: u8) -> Option<Self> {
        Some(match number {
            0 => PayloadType::Pcmu,
            3 => PayloadType::Gsm,
            4 => PayloadType::G723,
            5 => PayloadType::Dvi4_8000,
            6 => PayloadType::Dvi4_16000,
            7 => PayloadType::Lpc,
            8 => PayloadType::Pcma,
            9 => PayloadType::G722,
            10 => PayloadType::L16Stereo,
            11 => PayloadType::L16,
            12 => PayloadType::Qcelp,
            13 => PayloadType::Cn,
            14 => PayloadType::Mpa,
            15 => PayloadType::G728,
            16 => PayloadType::Dvi4_11025,
            17 => PayloadType::Dvi4_22050,
            18 => PayloadType::G729,
            25 => PayloadType::CelB,
            26 => PayloadType::Jpeg,
            28 => PayloadType::Nv,
            31 => PayloadType::H261,
            32 => PayloadType::Mpv,
            33 => PayloadType::Mp2t,
            34 => PayloadType::H263,
            _ => return None,
        })
    }

    /// Finds the type an SDP `a=rtpmap:<n> <name>/<rate>[/<channels>]` line describes.
    ///
    /// The name is compared case-insensitively (RFC 4855). `channels` `None` means the
    /// line had none, which SDP defines as one channel for audio. Types with a variable
    /// rate (L8, VDVI, RED) match any rate.
    pub fn from_rtpmap(name: &str, clock_rate: u32, channels: Option<u8>) -> Option<Self> {
        PayloadType::ALL.iter().copied().find(|pt| {
            pt.encoding_name().eq_ignore_ascii_case(name)
                && pt.clock_rate().is_none_or(|r| r == clock_rate)
                && match (pt.channels(), channels) {
                    (Some(want), got) => got.unwrap_or(1) == want,
                    (None, _) => true,
                }
        })
    }
}

impl fmt::Display for PayloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encoding_name())
    }
}

impl TryFrom<PayloadType> for u8 {
    type Error = Error;

    fn try_from(pt: PayloadType) -> Result<u8, Error> {
        pt.number()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_numbers_match_rfc3551_tables() {
        let expected: &[(u8, &str, u32, Option<u8>)] = &[
            (0, "PCMU", 8000, Some(1)),
            (3, "GSM", 8000, Some(1)),
            (4, "G723", 8000, Some(1)),
            (5, "DVI4", 8000, Some(1)),
            (6, "DVI4", 16000, Some(1)),
            (7, "LPC", 8000, Some(1)),
            (8, "PCMA", 8000, Some(1)),
            (9, "G722", 8000, Some(1)),
            (10, "L16", 44100, Some(2)),
            (11, "L16", 44100, Some(1)),
            (12, "QCELP", 8000, Some(1)),
            (13, "CN", 8000, Some(1)),
            (14, "MPA", 90000, None),
            (15, "G728", 8000, Some(1)),
            (16, "DVI4", 11025, Some(1)),
            (17, "DVI4", 22050, Some(1)),
            (18, "G729", 8000, Some(1)),
            (25, "CelB", 90000, None),
            (26, "JPEG", 90000, None),
            (28, "nv", 90000, None),
            (31, "H261", 90000, None),
            (32, "MPV", 90000, None),
            (33, "MP2T", 90000, None),
            (34, "H263", 90000, None),
        ];
        for &(n, name, rate, ch) in expected {
            let pt = PayloadType::from_static(n).unwrap_or_else(|| panic!("{n}"));
            assert_eq!(pt.number(), Ok(n));
            assert_eq!(u8::try_from(pt), Ok(n));
            assert_eq!(pt.to_string(), name);
            assert_eq!(pt.clock_rate(), Some(rate));
            assert_eq!(pt.channels(), ch);
        }
        let statics = PayloadType::ALL.iter().filter(|p| !p.is_dynamic()).count();
        assert_eq!(statics, expected.len());
        for n in (0..=127u8).filter(|n| !expected.iter().any(|e| e.0 == *n)) {
            assert_eq!(
                PayloadType::from_static(n),
                None,
                "{n} is reserved/unassigned/dynamic"
            );
        }
    }

    #[test]
    fn dynamic_types_have_no_number() {
        let ev = PayloadType::TelephoneEvent;
        assert!(ev.is_dynamic());
        assert_eq!(ev.number(), Err(Error::DynamicPayloadType(ev)));
        assert_eq!(ev.to_string(), "telephone-event");
        assert_eq!(ev.clock_rate(), Some(8000));
        let dynamic: Vec<_> = PayloadType::ALL.iter().filter(|p| p.is_dynamic()).collect();
        assert_eq!(dynamic.len(), 12);
        assert!(dynamic.iter().all(|p| u8::try_from(**p).is_err()));
    }

    #[test]
    fn rtpmap_lookup() {
        assert_eq!(
            PayloadType::from_rtpmap("pcmu", 8000, None),
            Some(PayloadType::Pcmu)
        );
        assert_eq!(
            PayloadType::from_rtpmap("telephone-event", 8000, None),
            Some(PayloadType::TelephoneEvent)
        );
        assert_eq!(
            PayloadType::from_rtpmap("L16", 44100, Some(2)),
            Some(PayloadType::L16Stereo)
        );
        assert_eq!(
            PayloadType::from_rtpmap("L16", 44100, None),
            Some(PayloadType::L16)
        );
        assert_eq!(
            PayloadType::from_rtpmap("DVI4", 22050, None),
            Some(PayloadType::Dvi4_22050)
        );
        assert_eq!(
            PayloadType::from_rtpmap("L8", 16000, Some(2)),
            Some(PayloadType::L8)
        );
        assert_eq!(PayloadType::from_rtpmap("PCMU", 16000, None), None);
        assert_eq!(PayloadType::from_rtpmap("opus", 48000, Some(2)), None);
    }
}
