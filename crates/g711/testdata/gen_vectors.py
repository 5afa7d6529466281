#!/usr/bin/env python3
"""Generates the G.711 reference vectors in this folder with Python's `audioop`.

Run once with Python 3.11 or 3.12 (`audioop` was removed in 3.13) from any directory:

    python3 crates/g711/testdata/gen_vectors.py

The files are committed; the tests in `crates/g711/tests/` read them and never run Python.
Every multi-byte value is little-endian. Inputs are implicit (all of them, in order):

| file                  | input                                      | output                                          |
|-----------------------|--------------------------------------------|-------------------------------------------------|
| ulaw_encode.bin       | every i16, -32768 ..= 32767                | 65,536 u8: `audioop.lin2ulaw(x, 2)`             |
| alaw_encode.bin       | every i16, -32768 ..= 32767                | 65,536 u8: `audioop.lin2alaw(x, 2)`             |
| ulaw_decode.bin       | every code, 0 ..= 255                      | 256 i16: `audioop.ulaw2lin(c, 2)`               |
| alaw_decode.bin       | every code, 0 ..= 255                      | 256 i16: `audioop.alaw2lin(c, 2)`               |
| linear8_to_i16.bin    | every unsigned 8-bit sample, 0 ..= 255     | 256 i16: `lin2lin(bias(u, 1, -128), 1, 2)`      |
| linear8_from_i16.bin  | every i16, -32768 ..= 32767                | 65,536 u8: `bias(lin2lin(x, 2, 1), 1, 128)`     |
| linear8_to_ulaw.bin   | every unsigned 8-bit sample, 0 ..= 255     | 256 u8: `lin2ulaw(bias(u, 1, -128), 1)` (pyVoIP)|
| linear8_to_alaw.bin   | every unsigned 8-bit sample, 0 ..= 255     | 256 u8: `lin2alaw(bias(u, 1, -128), 1)` (pyVoIP)|
| linear8_from_ulaw.bin | every code, 0 ..= 255                      | 256 u8: `bias(ulaw2lin(c, 1), 1, 128)` (pyVoIP) |
| linear8_from_alaw.bin | every code, 0 ..= 255                      | 256 u8: `bias(alaw2lin(c, 1), 1, 128)` (pyVoIP) |

The linear8 rows are exactly the calls pyVoIP 2.0 makes (RTP.py: `encode_pcmu`,
`encode_pcma`, `decode_pcmu`, `decode_pcma`) on its 8-bit unsigned audio.
"""

import audioop  # noqa: the deprecated module is the point: it is what pyVoIP uses
import hashlib
import pathlib
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent

ALL_I16 = struct.pack("<65536h", *range(-32768, 32768))
ALL_BYTES = bytes(range(256))


def vectors():
    u8_signed = audioop.bias(ALL_BYTES, 1, -128)
    return {
        "ulaw_encode.bin": audioop.lin2ulaw(ALL_I16, 2),
        "alaw_encode.bin": audioop.lin2alaw(ALL_I16, 2),
        "ulaw_decode.bin": audioop.ulaw2lin(ALL_BYTES, 2),
        "alaw_decode.bin": audioop.alaw2lin(ALL_BYTES, 2),
        "linear8_to_i16.bin": audioop.lin2lin(u8_signed, 1, 2),
        "linear8_from_i16.bin": audioop.bias(audioop.lin2lin(ALL_I16, 2, 1), 1, 128),
        "linear8_to_ulaw.bin": audioop.lin2ulaw(u8_signed, 1),
        "linear8_to_alaw.bin": audioop.lin2alaw(u8_signed, 1),
        "linear8_from_ulaw.bin": audioop.bias(audioop.ulaw2lin(ALL_BYTES, 1), 1, 128),
        "linear8_from_alaw.bin": audioop.bias(audioop.alaw2lin(ALL_BYTES, 1), 1, 128),
    }


def main():
    if sys.byteorder != "little":
        sys.exit("run on a little-endian machine: audioop writes native-endian samples")
    for name, data in vectors().items():
        (HERE / name).write_bytes(data)
        print(f"{hashlib.sha256(data).hexdigest()}  {name}")


if __name__ == "__main__":
    main()
