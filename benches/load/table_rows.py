#!/usr/bin/env python3
"""Markdown rows for benches/load/run-table from the JSON reports.

    table_rows.py row IMPL N JSON     one row of the concurrent-call table
    table_rows.py sipp JSON           one line for the SIPp setup rate
"""
import json
import sys


def fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def row(impl, n, text):
    try:
        r = json.loads(text)
    except ValueError:
        return f"| {impl} | {n} | no report ({text[-100:]!r}) | | | | | | |"
    if impl.startswith("voip-rs"):
        m = r["media"]
        d = m["send_deviation_ms"]
        return (f"| {impl} | {n} | {r['calls_up']}/{n} | "
                f"{d['p50']:.2f} / {d['p99']:.2f} / {d['p999']:.2f} / {d['max']:.1f} | "
                f"{m['packets_lost_total']} of {m['packets_sent_total']} | {m['cores']:.2f} | "
                f"{r['rss_per_call_kib']} | {r['setup']['calls_per_second']:.0f} | "
                f"{fmt(m.get('host_steal_seconds'), 2)} |")
    d = r["send_deviation_ms"]
    return (f"| {impl} | {n} | {r['answered']}/{n} | "
            f"{fmt(d['p50'])} / {fmt(d['p99'])} / {fmt(d.get('p999'))} / {fmt(d['max'])} | "
            f"{r['packets_lost']} of {r['packets_captured']} (what we received) | "
            f"{r['cores']:.2f} | - | - | - |")


def sipp(text):
    try:
        r = json.loads(text)
    except ValueError:
        return f"- SIPp run failed ({text[-100:]!r})"
    return (f"- {r['mode']}: {r['successful']} successful, {r['failed']} failed of {r['calls']} "
            f"offered at {r['rate_target']:.0f} calls/s; {r['achieved_cps']} successful calls/s "
            f"over {r['seconds']} s; our UAS CPU {r['uas'].get('cpu_seconds')} s")


if __name__ == "__main__":
    if sys.argv[1] == "row":
        print(row(sys.argv[2], sys.argv[3], sys.argv[4]))
    else:
        print(sipp(sys.argv[2]))
