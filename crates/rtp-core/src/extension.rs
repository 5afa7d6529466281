//! The RTP header extension (RFC 3550 §5.3.1) and its RFC 8285 element forms.
//!
//! RFC 8285 defines two ways to pack several elements into one extension:
//! the one-byte form (profile `0xBEDE`, IDs 1-14, 1-16 data bytes) and the two-byte form
//! (profile `0x100X`, IDs 1-255, 0-255 data bytes). [`Extension::elements`] walks either;
//! [`write_one_byte_elements`] and [`write_two_byte_elements`] build extension data.

use crate::Error;

/// The profile value of the RFC 8285 one-byte element form.
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// The profile value of the RFC 8285 two-byte element form, with the 4 "appbits" zero.
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// A header extension: a 16-bit profile-defined value and the data words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    profile: u16,
    data: &'a [u8],
}

/// How an extension's data is organised, judged by its profile value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionForm {
    /// RFC 8285 one-byte elements (profile `0xBEDE`).
    OneByte,
    /// RFC 8285 two-byte elements (profile `0x100X`); the value is the 4 "appbits".
    TwoByte(u8),
    /// Anything else: profile-specific, opaque data.
    Opaque,
}

impl<'a> Extension<'a> {
    /// An extension with the given profile value and data. The serializer rejects data
    /// whose length is not a multiple of 4.
    pub const fn new(profile: u16, data: &'a [u8]) -> Self {
        Extension { profile, data }
    }

    /// The 16-bit "defined by profile" value.
    pub const fn profile(&self) -> u16 {
        self.profile
    }

    /// The extension data (a whole number of 32-bit words when parsed).
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Which RFC 8285 form, if any, the profile value announces.
    pub const fn form(&self) -> ExtensionForm {
        if self.profile == ONE_BYTE_PROFILE {
            ExtensionForm::OneByte
        } else if self.profile & 0xFFF0 == TWO_BYTE_PROFILE {
            ExtensionForm::TwoByte((self.profile & 0x000F) as u8)
        } else {
            ExtensionForm::Opaque
        }
    }

    /// Iterates over the RFC 8285 elements. Padding bytes are skipped. For an opaque
    /// extension the iterator is empty. A malformed element yields one error, then the
    /// iterator ends.
    pub fn elements(&self) -> ExtensionElements<'a> {
        ExtensionElements {
            data: self.data,
            offset: 0,
            form: self.form(),
        }
    }

    /// The data of the first element with this ID, if the elements are well formed up to it.
    pub fn element(&self, id: u8) -> Option<&'a [u8]> {
        self.elements()
            .map_while(Result::ok)
            .find(|e| e.id == id)
            .map(|e| e.data)
    }
}

/// One RFC 8285 header-extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionElement<'a> {
    /// The local identifier (1-14 one-byte, 1-255 two-byte).
    pub id: u8,
    /// The element data.
    pub data: &'a [u8],
}

/// Iterator over RFC 8285 elements; see [`Extension::elements`].
#[derive(Debug, Clone)]
pub struct ExtensionElements<'a> {
    data: &'a [u8],
    offset: usize,
    form: ExtensionForm,
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = Result<ExtensionElement<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let start = self.offset;
            let &first = self.data.get(start)?;
            let (id, len, header) = match self.form {
                ExtensionForm::Opaque => return None,
                ExtensionForm::OneByte => {
                    let id = first >> 4;
                    if id == 0 {
                        // A padding byte (RFC 8285 §4.2).
                        self.offset += 1;
                        continue;
                    }
                    if id == 15 {
                        // Reserved: processing stops here (RFC 8285 §4.2).
                        self.offset = self.data.len();
                        return None;
                    }
                    (id, (first & 0x0F) as usize + 1, 1)
                }
                ExtensionForm::TwoByte(_) => {
                    if first == 0 {
                        self.offset += 1;
                        continue;
                    }
                    let Some(&len) = self.data.get(start + 1) else {
                        self.offset = self.data.len();
                        return Some(Err(Error::InvalidExtensionElement {
                            offset: start + 1,
                            expected: "the length byte of a two-byte element",
                        }));
                    };
                    (first, len as usize, 2)
                }
            };
            let data_start = start + header;
            let Some(data) = self.data.get(data_start..data_start + len) else {
                self.offset = self.data.len();
                return Some(Err(Error::InvalidExtensionElement {
                    offset: data_start,
                    expected: "element data as long as its length field says",
                }));
            };
            self.offset = data_start + len;
            return Some(Ok(ExtensionElement { id, data }));
        }
    }
}

/// Writes one-byte-form elements into `out`, zero-padded to a 32-bit boundary; returns the
/// number of bytes written. Use the result with `Extension::new(ONE_BYTE_PROFILE, ..)`.
///
/// IDs must be 1-14 and data 1-16 bytes long.
pub fn write_one_byte_elements(
    elements: &[ExtensionElement<'_>],
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut at = 0;
    for e in elements {
        if !(1..=14).contains(&e.id) || !(1..=16).contains(&e.data.len()) {
            return Err(Error::InvalidField {
                field: "one-byte extension element",
                reason: "ID must be 1-14 and data 1-16 bytes",
            });
        }
        let end = at + 1 + e.data.len();
        if end > out.len() {
            return Err(Error::BufferTooSmall {
                needed: end,
                available: out.len(),
            });
        }
        out[at] = (e.id << 4) | (e.data.len() as u8 - 1);
        out[at + 1..end].copy_from_slice(e.data);
        at = end;
    }
    pad_to_word(out, at)
}

/// Writes two-byte-form elements into `out`, zero-padded to a 32-bit boundary; returns the
/// number of bytes written. Use the result with `Extension::new(TWO_BYTE_PROFILE, ..)`.
///
/// IDs must be 1-255 and data at most 255 bytes long.
pub fn write_two_byte_elements(
    elements: &[ExtensionElement<'_>],
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut at = 0;
    for e in elements {
        if e.id == 0 || e.data.len() > 255 {
            return Err(Error::InvalidField {
                field: "two-byte extension element",
                reason: "ID must be 1-255 and data at most 255 bytes",
            });
        }
        let end = at + 2 + e.data.len();
        if end > out.len() {
            return Err(Error::BufferTooSmall {
                needed: end,
                available: out.len(),
            });
        }
        out[at] = e.id;
        out[at + 1] = e.data.len() as u8;
        out[at + 2..end].copy_from_slice(e.data);
        at = end;
    }
    pad_to_word(out, at)
}

fn pad_to_word(out: &mut [u8], at: usize) -> Result<usize, Error> {
    let end = at.next_multiple_of(4);
    if end > out.len() {
        return Err(Error::BufferTooSmall {
            needed: end,
            available: out.len(),
        });
    }
    out[at..end].fill(0);
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_elements_with_padding_and_reserved_id() {
        // id 1 len 1 [AA], padding, id 2 len 2 [BB CC DD], id 15 stops.
        let data = [
            0x10, 0xAA, 0x00, 0x22, 0xBB, 0xCC, 0xDD, 0xF0, 0x30, 0x01, 0, 0,
        ];
        let ext = Extension::new(ONE_BYTE_PROFILE, &data);
        assert_eq!(ext.form(), ExtensionForm::OneByte);
        let els: Vec<_> = ext.elements().collect::<Result<_, _>>().unwrap();
        assert_eq!(
            els,
            vec![
                ExtensionElement {
                    id: 1,
                    data: &[0xAA]
                },
                ExtensionElement {
                    id: 2,
                    data: &[0xBB, 0xCC, 0xDD]
                },
            ]
        );
        assert_eq!(ext.element(2), Some(&[0xBB, 0xCC, 0xDD][..]));
        assert_eq!(ext.element(3), None);
    }

    #[test]
    fn two_byte_elements_allow_empty_data() {
        let data = [0x05, 0x00, 0x00, 0x07, 0x02, 0x01, 0x02, 0x00];
        let ext = Extension::new(0x1003, &data);
        assert_eq!(ext.form(), ExtensionForm::TwoByte(3));
        let els: Vec<_> = ext.elements().collect::<Result<_, _>>().unwrap();
        assert_eq!(
            els,
            vec![
                ExtensionElement { id: 5, data: &[] },
                ExtensionElement {
                    id: 7,
                    data: &[1, 2]
                },
            ]
        );
    }

    #[test]
    fn overlong_elements_are_errors_with_offsets() {
        let data = [0x13, 0xAA, 0x00, 0x00];
        let err = Extension::new(ONE_BYTE_PROFILE, &data).elements().next();
        assert_eq!(
            err,
            Some(Err(Error::InvalidExtensionElement {
                offset: 1,
                expected: "element data as long as its length field says"
            }))
        );
        let data = [0x00, 0x00, 0x00, 0x09];
        let mut it = Extension::new(TWO_BYTE_PROFILE, &data).elements();
        assert!(matches!(
            it.next(),
            Some(Err(Error::InvalidExtensionElement { offset: 4, .. }))
        ));
        assert_eq!(it.next(), None);
    }

    #[test]
    fn opaque_profiles_have_no_elements() {
        let ext = Extension::new(0x1234, &[1, 2, 3, 4]);
        assert_eq!(ext.form(), ExtensionForm::Opaque);
        assert_eq!(ext.elements().count(), 0);
    }

    #[test]
    fn writers_round_trip() {
        let els = [
            ExtensionElement { id: 1, data: &[9] },
            ExtensionElement {
                id: 14,
                data: &[1; 16],
            },
        ];
        let mut buf = [0xFFu8; 32];
        let n = write_one_byte_elements(&els, &mut buf).unwrap();
        assert_eq!(n, 20);
        let ext = Extension::new(ONE_BYTE_PROFILE, &buf[..n]);
        let back: Vec<_> = ext.elements().collect::<Result<_, _>>().unwrap();
        assert_eq!(back, els);

        let els2 = [ExtensionElement {
            id: 200,
            data: &[5; 20],
        }];
        let n = write_two_byte_elements(&els2, &mut buf).unwrap();
        assert_eq!(n, 24);
        let ext = Extension::new(TWO_BYTE_PROFILE, &buf[..n]);
        let back: Vec<_> = ext.elements().collect::<Result<_, _>>().unwrap();
        assert_eq!(back, els2);

        assert!(
            write_one_byte_elements(&[ExtensionElement { id: 15, data: &[1] }], &mut buf).is_err()
        );
        assert!(matches!(
            write_two_byte_elements(&els2, &mut buf[..10]),
            Err(Error::BufferTooSmall { .. })
        ));
    }
}
