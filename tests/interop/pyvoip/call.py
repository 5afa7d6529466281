"""pyVoIP 2.0.0a4 as a calling phone for the interop suite.

Registers to Kamailio, calls --target (a number at the server), plays a tone, records
what it hears, and after --talk seconds hangs up. Reports every step as one JSON object
per line on stdout: registered, dialing, state (each CallState change), hanging_up,
hangup_returned, result.

pyVoIP's own bugs show up here on purpose: its BYE lacks the To tag (the callee answers
481: no such dialog), and hangup() blocks until a 200 that never comes, so hangup runs on
its own thread and the script reports whether it returned."""

import argparse
import os
import threading
import time

from pyVoIP.VoIP.call import CallState
from pyVoIP.VoIP.status import PhoneStatus

from common import add_common_args, emit, make_phone, tone_u8, watchdog, write_wav_u8_as_s16

p = argparse.ArgumentParser()
add_common_args(p)
p.add_argument("--target", required=True, help="number to call through the server")
p.add_argument("--tone-hz", type=float, default=0.0)
p.add_argument("--tone-dbfs", type=float, default=-6.0)
p.add_argument("--tone-seconds", type=float, default=3.0)
p.add_argument("--record", help="WAV file for what pyVoIP hears")
p.add_argument("--answer-timeout", type=float, default=8.0)
p.add_argument("--talk", type=float, default=4.0, help="seconds in the call before hanging up")
p.add_argument("--linger", type=float, default=6.0,
               help="stay up this long after reporting (so the callee's own BYE meets a live pyVoIP)")
args = p.parse_args()
watchdog(args.lifetime)

phone = make_phone(args, None)
try:
    phone.start()
except Exception as e:
    emit("start_failed", error=repr(e))
    os._exit(2)
deadline = time.monotonic() + 10
while phone.get_status() != PhoneStatus.REGISTERED and time.monotonic() < deadline:
    time.sleep(0.05)
if phone.get_status() != PhoneStatus.REGISTERED:
    emit("not_registered", status=str(phone.get_status()))
    os._exit(2)
emit("registered")

result = {"answered": False, "states": [], "hangup_returned": False, "recorded_seconds": 0.0}
call = phone.call(args.target)
emit("dialing", call_id=call.call_id)
last = None
deadline = time.monotonic() + args.answer_timeout
while time.monotonic() < deadline:
    if call.state != last:
        last = call.state
        result["states"].append(str(last))
        emit("state", state=str(last))
    if call.state in (CallState.ANSWERED, CallState.ENDED):
        break
    time.sleep(0.02)

if call.state == CallState.ANSWERED:
    result["answered"] = True
    if args.tone_hz > 0:
        call.write_audio(tone_u8(args.tone_hz, args.tone_dbfs, args.tone_seconds))
    heard = bytearray()
    start = time.monotonic()
    next_tick = start
    while call.state == CallState.ANSWERED and time.monotonic() - start < args.talk:
        heard += call.read_audio(160, False)
        next_tick += 0.02
        time.sleep(max(0.0, next_tick - time.monotonic()))
    if args.record:
        write_wav_u8_as_s16(args.record, bytes(heard))
    result["recorded_seconds"] = len(heard) / 8000.0
    if call.state == CallState.ANSWERED:
        emit("hanging_up")

        def hang():
            try:
                call.hangup()
                result["hangup_returned"] = True
                emit("hangup_returned")
            except Exception as e:
                emit("hangup_failed", error=repr(e))

        threading.Thread(target=hang, daemon=True).start()
        time.sleep(2.0)
    else:
        result["ended_by_peer"] = True
result["final_state"] = str(call.state)
emit("result", **result)
time.sleep(args.linger)
os._exit(0)
