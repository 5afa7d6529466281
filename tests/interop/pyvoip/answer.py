"""pyVoIP 2.0.0a4 as an answering phone for the interop suite.

Registers to Kamailio, answers the first call, plays a tone (8-bit unsigned, its API),
records what it hears to a 16-bit WAV, collects get_dtmf(), and reports every step as one
JSON object per line on stdout: registered, ringing, answered, dtmf, ended, result.
The call ends when the caller hangs up (its BYE) or after --hangup-after seconds (then
pyVoIP sends its own BYE, which lacks the To tag: pyVoIP's bug, on purpose here)."""

import argparse
import os
import threading
import time

from pyVoIP.VoIP.call import CallState, VoIPCall
from pyVoIP.VoIP.status import PhoneStatus

from common import add_common_args, emit, make_phone, tone_u8, watchdog, write_wav_u8_as_s16

p = argparse.ArgumentParser()
add_common_args(p)
p.add_argument("--tone-hz", type=float, default=0.0, help="play this tone once answered")
p.add_argument("--tone-dbfs", type=float, default=-6.0)
p.add_argument("--tone-seconds", type=float, default=3.0)
p.add_argument("--record", help="WAV file for what pyVoIP hears")
p.add_argument("--hangup-after", type=float, default=0.0,
               help="pyVoIP hangs up itself after this many seconds (0: wait for BYE)")
p.add_argument("--max-call", type=float, default=20.0)
args = p.parse_args()
watchdog(args.lifetime)

done = threading.Event()
result = {"answered": False, "dtmf": "", "remote_bye": False, "hangup_returned": None}


class Call(VoIPCall):
    def __init__(self, *a, **kw):
        # pyVoIP starts a receiver thread for every call that reads the same message queue
        # as answer(), which takes the first queued message as the ACK. Whichever thread
        # gets the INVITE (queued too) and the ACK decides whether answer() returns: when
        # the receiver takes the ACK, answer() blocks forever (pyVoIP's bug; here it hit
        # calls arriving within ~2 s of registering). Work-around: the receiver starts only
        # once answer() returned, and ringing() drains the queue (the INVITE) first.
        self.answer_done = threading.Event()
        super().__init__(*a, **kw)

    def receiver(self):
        self.answer_done.wait()
        super().receiver()

    def ringing(self, invite_request):
        emit("ringing", call_id=self.call_id)
        while True:
            try:
                self.conn.recv(8192, timeout=0.05)
            except TimeoutError:
                break
        try:
            self.answer()
        except Exception as e:  # report, do not die silently
            emit("answer_failed", error=repr(e))
            done.set()
            return
        finally:
            self.answer_done.set()
        result["answered"] = True
        emit("answered")
        threading.Thread(target=self.work, daemon=True).start()

    def work(self):
        if args.tone_hz > 0:
            self.write_audio(tone_u8(args.tone_hz, args.tone_dbfs, args.tone_seconds))
        heard = bytearray()
        start = time.monotonic()
        next_tick = start
        hung_up = False
        while self.state == CallState.ANSWERED:
            now = time.monotonic()
            if now - start > args.max_call:
                break
            if args.hangup_after > 0 and now - start >= args.hangup_after and not hung_up:
                hung_up = True
                emit("hanging_up")
                # hangup() blocks until the BYE's 200 arrives (pyVoIP has no timeout):
                # run it on its own thread and report whether it ever returned.
                threading.Thread(target=self.do_hangup, daemon=True).start()
            try:
                heard += self.read_audio(160, False)
            except Exception:
                break
            d = self.get_dtmf(16)
            for k in d:
                result["dtmf"] += k
                emit("dtmf", digit=k)
            next_tick += 0.02
            time.sleep(max(0.0, next_tick - time.monotonic()))
        d = self.get_dtmf(16)
        for k in d:
            result["dtmf"] += k
            emit("dtmf", digit=k)
        if not hung_up:
            result["remote_bye"] = self.state == CallState.ENDED
        if args.record:
            write_wav_u8_as_s16(args.record, bytes(heard))
        result["recorded_seconds"] = len(heard) / 8000.0
        emit("ended", state=str(self.state))
        done.set()

    def do_hangup(self):
        try:
            self.hangup()
            result["hangup_returned"] = True
            emit("hangup_returned")
        except Exception as e:
            emit("hangup_failed", error=repr(e))


phone = make_phone(args, Call)
try:
    phone.start()
except Exception as e:
    emit("start_failed", error=repr(e))
    os._exit(2)
deadline = time.monotonic() + 10
while phone.get_status() != PhoneStatus.REGISTERED and time.monotonic() < deadline:
    time.sleep(0.05)
emit("registered" if phone.get_status() == PhoneStatus.REGISTERED else "not_registered",
     status=str(phone.get_status()))
done.wait()
# Give a hangup() that is still blocked a moment, then report.
time.sleep(1.0 if args.hangup_after > 0 else 0.0)
emit("result", **result)
os._exit(0)
