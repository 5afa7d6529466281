"""Shared helpers of the pyVoIP peer scripts: JSON events on stdout, test tones in pyVoIP's
8-bit unsigned format, and the phone's construction (bound to 127.0.0.1)."""

import json
import math
import os
import sys
import threading
import time
import wave

from pyVoIP.credentials import CredentialsManager
from pyVoIP.VoIP.phone import VoIPPhone, VoIPPhoneParameter

_out_lock = threading.Lock()
_t0 = time.monotonic()


def emit(event, **fields):
    """One JSON object per line on stdout (the Rust side tails the file)."""
    fields["event"] = event
    fields["t"] = round(time.monotonic() - _t0, 3)
    with _out_lock:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


def tone_u8(freq, dbfs, seconds, rate=8000):
    """A sine in pyVoIP's audio format: 8-bit unsigned linear, silence 0x80."""
    amp = 127.0 * 10 ** (dbfs / 20.0)
    n = int(seconds * rate)
    return bytes(
        max(0, min(255, int(round(128 + amp * math.sin(2 * math.pi * freq * i / rate)))))
        for i in range(n)
    )


def write_wav_u8_as_s16(path, data, rate=8000):
    """pyVoIP's 8-bit unsigned samples written as a 16-bit WAV (the suite's format)."""
    w = wave.open(path, "wb")
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    frames = bytearray()
    for b in data:
        v = (b - 128) << 8
        frames += int(v).to_bytes(2, "little", signed=True)
    w.writeframes(bytes(frames))
    w.close()


def make_phone(args, call_class):
    """A pyVoIP phone registering to the suite's Kamailio, SIP and RTP on 127.0.0.1."""
    cm = CredentialsManager()
    cm.add(args.user, args.password)
    params = VoIPPhoneParameter(
        server="127.0.0.1",
        port=args.server_port,
        user=args.user,
        credentials_manager=cm,
        bind_ip="127.0.0.1",
        bind_port=args.bind_port,
        bind_network="127.0.0.0/8",
        hostname="127.0.0.1",
        rtp_port_low=args.rtp_low,
        rtp_port_high=args.rtp_high,
        call_class=call_class,
    )
    return VoIPPhone(params)


def add_common_args(p):
    p.add_argument("--server-port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--bind-port", type=int, required=True)
    p.add_argument("--rtp-low", type=int, required=True)
    p.add_argument("--rtp-high", type=int, required=True)
    p.add_argument("--lifetime", type=float, default=60.0,
                   help="exit (os._exit) after this many seconds whatever happens")


def watchdog(seconds):
    """pyVoIP's blocking calls have no timeouts (hangup, stop): end the process hard."""
    def fire():
        emit("lifetime_over")
        os._exit(3)
    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
