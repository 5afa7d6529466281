//! The audio codecs the sender and receiver speak: G.711 mu-law and A-law (via `g711`).

use crate::PayloadType;

/// A G.711 audio codec: one byte per sample at 8 kHz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// mu-law, static payload type 0.
    Pcmu,
    /// A-law, static payload type 8.
    Pcma,
}

impl AudioCodec {
    /// The codec for a payload type, if it is PCMU or PCMA.
    pub fn from_payload_type(pt: PayloadType) -> Option<Self> {
        match pt {
            PayloadType::Pcmu => Some(AudioCodec::Pcmu),
            PayloadType::Pcma => Some(AudioCodec::Pcma),
            _ => None,
        }
    }

    /// The payload type.
    pub const fn payload_type(self) -> PayloadType {
        match self {
            AudioCodec::Pcmu => PayloadType::Pcmu,
            AudioCodec::Pcma => PayloadType::Pcma,
        }
    }

    /// The static payload type number (0 or 8).
    pub const fn number(self) -> u8 {
        match self {
            AudioCodec::Pcmu => 0,
            AudioCodec::Pcma => 8,
        }
    }

    /// The RTP clock rate (8000 Hz for both).
    pub const fn clock_rate(self) -> u32 {
        8000
    }

    /// The code of a zero sample: `0xFF` for mu-law, `0xD5` for A-law.
    pub fn silence(self) -> u8 {
        self.encode_sample(0)
    }

    /// Encodes one linear sample.
    #[inline]
    pub fn encode_sample(self, sample: i16) -> u8 {
        match self {
            AudioCodec::Pcmu => g711::ulaw::encode(sample),
            AudioCodec::Pcma => g711::alaw::encode(sample),
        }
    }

    /// Encodes `input` into `output`; encodes `min(len)` samples and returns that count.
    pub fn encode(self, input: &[i16], output: &mut [u8]) -> usize {
        let n = input.len().min(output.len());
        match self {
            AudioCodec::Pcmu => g711::ulaw::encode_slice(&input[..n], &mut output[..n]),
            AudioCodec::Pcma => g711::alaw::encode_slice(&input[..n], &mut output[..n]),
        }
        n
    }

    /// Decodes `input` into `output`; decodes `min(len)` codes and returns that count.
    pub fn decode(self, input: &[u8], output: &mut [i16]) -> usize {
        let n = input.len().min(output.len());
        match self {
            AudioCodec::Pcmu => g711::ulaw::decode_slice(&input[..n], &mut output[..n]),
            AudioCodec::Pcma => g711::alaw::decode_slice(&input[..n], &mut output[..n]),
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_codes_and_numbers() {
        assert_eq!(AudioCodec::Pcmu.silence(), 0xFF);
        assert_eq!(AudioCodec::Pcma.silence(), 0xD5);
        assert_eq!(AudioCodec::Pcmu.number(), 0);
        assert_eq!(AudioCodec::Pcma.payload_type().static_number(), Some(8));
        assert_eq!(AudioCodec::from_payload_type(PayloadType::Gsm), None);
    }

    #[test]
    fn encode_decode_uneven_lengths() {
        let pcm = [0i16, 1000, -1000, 32000];
        let mut coded = [0u8; 3];
        assert_eq!(AudioCodec::Pcma.encode(&pcm, &mut coded), 3);
        let mut back = [0i16; 8];
        assert_eq!(AudioCodec::Pcma.decode(&coded, &mut back), 3);
        assert!((back[1] - 1000).abs() < 64 && (back[2] + 1000).abs() < 64);
        assert_eq!(back[3], 0);
    }
}
