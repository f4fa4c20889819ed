#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare a scan's Probe records (tlsmap dump --type probe, JSON Lines)
with the lab's ground truth (truth.tsv). Prints every disagreement and a
summary line; exit 0 only when there is no false positive (INTERCEPTED where
the truth says otherwise), no false negative (the reverse) and no other
mismatch. Truth lines of hosts that produced no record must be NO_TLS (a
host that never answers the sweep gets no record, as in ZMap).

usage: tls_truth_compare.py TRUTH.tsv PROBES.jsonl CERTS.jsonl
"""
import base64
import json
import sys


def main():
    truth_path, probes_path, certs_path = sys.argv[1:4]
    truth = {}
    kinds = {}
    with open(truth_path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rec = dict(zip(header, line.rstrip("\n").split("\t")))
            truth[(rec["ip"], rec["sni"])] = rec
            kinds[rec["ip"]] = rec["kind"]
    issuer_of = {}
    with open(certs_path) as f:
        for line in f:
            c = json.loads(line).get("certificate")
            if c:
                issuer_of[c["sha256"]] = c.get("issuer", "")
    got = {}
    dup = 0
    with open(probes_path) as f:
        for line in f:
            o = json.loads(line)
            p = o["probe"]
            ip = o.get("ipText") or ".".join(str(b) for b in base64.b64decode(p["ip"]))
            sni = "@control" if p.get("isControl") else p.get("sni", "")
            key = (ip, sni)
            if key in got:
                dup += 1
            got[key] = p
    fp = fn = other = missing = extra = ok = 0
    for key, t in truth.items():
        want = t["verdict"]
        p = got.get(key)
        have = p["verdict"].replace("VERDICT_", "") if p else None
        if p is None:
            # no record: only acceptable for hosts that never got a control probe
            if want == "NO_TLS" and (key[0], "@control") not in got:
                ok += 1
                continue
            missing += 1
            print(f"MISSING {key[0]} {key[1]} want {want} ({t['kind']})")
            continue
        if have == want:
            if want == "INTERCEPTED" and t["forging_issuer"] != "-":
                leaf = (p.get("chain") or [None])[0]
                iss = issuer_of.get(leaf, "?")
                if iss != t["forging_issuer"]:
                    other += 1
                    print(f"ISSUER {key[0]} {key[1]}: leaf issuer '{iss}' want '{t['forging_issuer']}'")
                    continue
            ok += 1
            continue
        if have == "INTERCEPTED":
            fp += 1
            tag = "FP"
        elif want == "INTERCEPTED":
            fn += 1
            tag = "FN"
        else:
            other += 1
            tag = "MISMATCH"
        print(f"{tag} {key[0]} {key[1]}: got {have} want {want} ({t['kind']}; tcp={p.get('tcp')} "
              f"tls={p.get('tls')} reasons={p.get('reasons')})")
    for key, p in got.items():
        if key not in truth:
            extra += 1
            if extra <= 20:
                print(f"EXTRA {key[0]} {key[1]}: {p.get('verdict')} (not in truth)")
    print(f"truth={len(truth)} records={len(got)} ok={ok} fp={fp} fn={fn} mismatch={other} "
          f"missing={missing} extra={extra} duplicate={dup}")
    return 0 if fp == fn == other == missing == extra == dup == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
