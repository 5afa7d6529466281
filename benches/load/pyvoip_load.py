#!/usr/bin/env python3
"""pyVoIP 2.0.0a4 through the concurrent-call measurement of `voip load` (the anchor).

Runs in a venv with pyVoIP==2.0.0a4 (Python <= 3.12):
    python3 -m venv /work/venv-pyvoip && /work/venv-pyvoip/bin/pip install pyVoIP==2.0.0a4
    /work/venv-pyvoip/bin/python benches/load/pyvoip_load.py --calls 10 --duration 10

What it does, all on 127.0.0.1:
- a pyVoIP phone answers every call (it needs a registrar: a minimal one in this script
  answers its REGISTERs 200 OK) and plays a tone into each call;
- our `voip load --target sip:py@127.0.0.1:PORT` places --calls calls to it at --rate,
  streams G.711 both ways for --duration s, hangs up, and reports what our side received
  from pyVoIP (packets, loss);
- tshark captures pyVoIP's RTP (everything sent to our callers' RTP ports); the send-time
  deviation of each stream is computed from the capture timestamps the way `voip load`
  measures ours: packet i of a stream is due at t0 + i * 20 ms, where t0 is chosen so that
  no packet is early (t0 = min over packets of t_i - i * 20 ms); deviation = t_i - due.
  Sleep-paced senders drift, so this grows over a call; the interval jitter
  |t_i - t_(i-1) - 20 ms| is reported too;
- pyVoIP's CPU is this process's getrusage (user + system) over the run; its peak RSS is
  ru_maxrss.
Prints one JSON line (or a table with --table). pyVoIP busy-polls (a core per call): keep
runs short.
"""

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time

from pyVoIP.credentials import CredentialsManager
from pyVoIP.VoIP.call import CallState, VoIPCall
from pyVoIP.VoIP.phone import VoIPPhone, VoIPPhoneParameter

ap = argparse.ArgumentParser()
ap.add_argument("--calls", type=int, default=10)
ap.add_argument("--duration", type=float, default=10.0)
ap.add_argument("--rate", type=float, default=10.0)
ap.add_argument("--voip", default=os.environ.get("VOIP", "target/release/voip"))
ap.add_argument("--sip-port", type=int, default=5300)
ap.add_argument("--registrar-port", type=int, default=5301)
ap.add_argument("--rtp-base", type=int, default=26000, help="our callers' RTP ports")
ap.add_argument("--table", action="store_true")
args = ap.parse_args()

answered = [0]
answer_errors = []
lock = threading.Lock()


def registrar(sock):
    """200 OK to every REGISTER (pyVoIP will not start without a registrar)."""
    while True:
        data, addr = sock.recvfrom(65535)
        text = data.decode(errors="replace")
        if not text.startswith("REGISTER"):
            continue
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        keep = [h for h in head[1:] if h.split(":", 1)[0].strip().lower()
                in ("via", "from", "to", "call-id", "cseq", "contact")]
        to = [i for i, h in enumerate(keep) if h.lower().startswith("to:")]
        for i in to:
            if ";tag=" not in keep[i]:
                keep[i] += ";tag=reg1"
        resp = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n"
        sock.sendto(resp.encode(), addr)


class Call(VoIPCall):
    # pyVoIP's receiver thread races answer() for the ACK (the interop suite's answer.py
    # found it): hold the receiver until answer() is done, and drain the connection first.
    def __init__(self, *a, **kw):
        self.answer_done = threading.Event()
        super().__init__(*a, **kw)

    def receiver(self):
        self.answer_done.wait()
        super().receiver()

    def ringing(self, invite_request):
        while True:
            try:
                self.conn.recv(8192, timeout=0.05)
            except TimeoutError:
                break
        try:
            self.answer()
        except Exception as e:  # noqa: BLE001 - report, never die silently
            with lock:
                answer_errors.append(repr(e))
            return
        finally:
            self.answer_done.set()
        with lock:
            answered[0] += 1
        # 1 kHz-ish tone for the whole call (pyVoIP's 8-bit unsigned format).
        tone = bytes(128 + (40 if (i // 4) % 2 else -40) for i in range(8000 * int(args.duration + 30)))
        self.write_audio(tone)


reg = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
reg.bind(("127.0.0.1", args.registrar_port))
threading.Thread(target=registrar, args=(reg,), daemon=True).start()

cm = CredentialsManager()
cm.add("py", "py")
params = VoIPPhoneParameter(
    server="127.0.0.1", port=args.registrar_port, user="py", credentials_manager=cm,
    bind_ip="127.0.0.1", bind_port=args.sip_port, bind_network="127.0.0.0/8",
    hostname="127.0.0.1", rtp_port_low=40000, rtp_port_high=40000 + 4 * args.calls + 100,
    call_class=Call,
)
phone = VoIPPhone(params)
phone.start()

# Our callers' RTP range is rtp_base .. rtp_base + per_phone (see `voip load --rtp-base`):
# capture everything pyVoIP sends there.
per_phone = (args.calls * 2 + 64)
pcap = f"/tmp/pyvoip_load_{os.getpid()}.pcap"
cap = subprocess.Popen(
    ["tshark", "-q", "-i", "lo", "-w", pcap, "-f",
     f"udp and dst portrange {args.rtp_base}-{args.rtp_base + 2 * per_phone}"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)

r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.monotonic()
# --rtp-base: our caller is phone 1 of the pair (the callee's range, unused, is phone 0).
ours = subprocess.run(
    [args.voip, "load", "--json", "--calls", str(args.calls), "--duration", str(args.duration),
     "--rate", str(args.rate), "--target", f"sip:py@127.0.0.1:{args.sip_port}",
     "--rtp-base", str(args.rtp_base - per_phone)],
    capture_output=True, text=True, timeout=args.duration + args.calls / args.rate + 120)
wall = time.monotonic() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cap.terminate()
cap.wait(timeout=10)

report = next((json.loads(l) for l in ours.stdout.splitlines() if l.startswith("{")), {})

# Per-stream send times of pyVoIP's packets, from the capture.
fields = subprocess.run(
    ["tshark", "-r", pcap, "-T", "fields", "-e", "frame.time_epoch", "-e", "udp.dstport"],
    capture_output=True, text=True).stdout
streams = {}
for line in fields.splitlines():
    parts = line.split("\t")
    if len(parts) == 2 and parts[1]:
        streams.setdefault(int(parts[1]), []).append(float(parts[0]))
devs, gaps = [], []
for times in streams.values():
    times.sort()
    base = min(t - i * 0.02 for i, t in enumerate(times))
    devs += [(t - (base + i * 0.02)) * 1000 for i, t in enumerate(times)]
    gaps += [abs(b - a - 0.02) * 1000 for a, b in zip(times, times[1:])]
os.unlink(pcap)


def pct(v, q):
    if not v:
        return None
    v = sorted(v)
    return round(v[min(len(v) - 1, max(0, int(q * len(v) + 0.999999) - 1))], 3)


media = report.get("media", {})
out = {
    "impl": "pyVoIP 2.0.0a4",
    "calls": args.calls,
    "answered": answered[0],
    "answer_errors": answer_errors[:3],
    "our_exit": ours.returncode,
    "our_stderr": ours.stderr.strip()[-300:],
    "streams_captured": len(streams),
    "packets_captured": sum(len(t) for t in streams.values()),
    "packets_received_by_us": media.get("callers", {}).get("received_total"),
    "packets_lost": media.get("packets_lost_total"),
    "send_deviation_ms": {"p50": pct(devs, 0.5), "p99": pct(devs, 0.99), "p999": pct(devs, 0.999),
                          "max": pct(devs, 1.0)},
    "interval_error_ms": {"p50": pct(gaps, 0.5), "p99": pct(gaps, 0.99)},
    "cpu_seconds": round(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, 2),
    "cores": round((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / wall, 2),
    "seconds": round(wall, 1),
    "peak_rss_mib": round(r1.ru_maxrss / 1024, 1),
}
if args.table:
    d, g = out["send_deviation_ms"], out["interval_error_ms"]
    print(f"pyVoIP {args.calls} calls: answered {out['answered']}, streams {out['streams_captured']}, "
          f"lost {out['packets_lost']}, deviation p50 {d['p50']} p99 {d['p99']} max {d['max']} ms, "
          f"interval error p99 {g['p99']} ms, CPU {out['cores']} cores, peak RSS {out['peak_rss_mib']} MiB")
else:
    print(json.dumps(out))
sys.stdout.flush()
# pyVoIP's stop() can hang and its threads keep polling: end hard.
os._exit(0)
