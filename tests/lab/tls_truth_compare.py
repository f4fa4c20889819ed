#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare a scan's Probe records (tlsmap dump --type probe, JSON Lines)
with the lab's ground truth (truth.tsv). Prints every disagreement and a
summary line; exit 0 only when there is no false positive (INTERCEPTED where
the truth says otherwise), no false negative (the reverse) and no other
mismatch. Truth lines of hosts that produced no record must be NO_TLS (a
host that never answers the sweep gets no record, as in ZMap).

With HOPS.tsv (lab.sh: what the topology implies per country), every
localised probe must report it: an INTERCEPTED one the middlebox's hop and
the router before it, a served-by-host or unstable one the server's own hop
and the router before the server, with that router's country and ASN when
HOPS.tsv has them; and every middlebox with INTERCEPTED rows must have at
least one localised probe.

usage: tls_truth_compare.py TRUTH.tsv PROBES.jsonl CERTS.jsonl [HOPS.tsv]
"""
import base64
import json
import sys


def main():
    truth_path, probes_path, certs_path = sys.argv[1:4]
    hops = {}
    if len(sys.argv) > 4 and sys.argv[4]:
        with open(sys.argv[4]) as f:
            header = f.readline().rstrip("\n").split("\t")
            for line in f:
                rec = dict(zip(header, line.rstrip("\n").split("\t")))
                hops[rec["country"]] = rec
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
    dup = ctrl2 = bad_ctrl2 = bare_ctrl = 0
    with open(probes_path) as f:
        for line in f:
            o = json.loads(line)
            p = o["probe"]
            ip = o.get("ipText") or ".".join(str(b) for b in base64.b64decode(p["ip"]))
            # the second control, and the control asked again without SNI
            # after the random name drew an alert or a reply that is not
            # TLS: the host's own chain (or the same refusal), whatever it
            # is; never a verdict about interception
            extra_ctrl = ("CONTROL2" if p.get("secondControl") else
                          "CONTROL-NO-SNI" if p.get("controlWithoutSni") else None)
            if extra_ctrl:
                if p.get("verdict") not in ("VERDICT_HOST_OWN_CERT", "VERDICT_NO_TLS",
                                            "VERDICT_TLS_ERROR"):
                    bad_ctrl2 += 1
                    print(f"{extra_ctrl} {ip}: {p.get('verdict')} {p.get('reasons')}")
                if extra_ctrl == "CONTROL2":
                    ctrl2 += 1
                else:
                    bare_ctrl += 1
                continue
            sni = "@control" if p.get("isControl") else p.get("sni", "")
            key = (ip, sni)
            if key in got:
                dup += 1
            got[key] = p
    fp = fn = other = missing = extra = ok = 0
    for key, t in truth.items():
        want = t["verdict"]
        wants = want.split("|")  # "A|B": either is right (an unstable host)
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
        why = t.get("reason", "-")
        if have in wants and why != "-":
            reasons = p.get("reasons") or []
            if not any(r == w for r in reasons for w in why.split("|")):
                other += 1
                print(f"REASON {key[0]} {key[1]}: {have} reasons {reasons} lack '{why}' ({t['kind']})")
                continue
        if have in wants:
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
        elif "INTERCEPTED" in wants:
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
    loc_ok = loc_bad = loc_geo = 0
    loc_groups = set()
    want_groups = set()
    for key, t in truth.items():
        p = got.get(key)
        if t["verdict"] == "INTERCEPTED":
            want_groups.add((t["country"], t["forging_issuer"]))
        if not hops or not p or not p.get("localized"):
            continue
        h = hops.get(t["country"])
        if h is None:
            continue
        if t["verdict"] == "INTERCEPTED":
            want = (int(h["mbox_hop"]) if h["mbox_hop"] != "-" else -1, h["before_mbox"],
                    int(h["server_hop"]))
            loc_groups.add((t["country"], t["forging_issuer"]))
        else:
            want = (int(h["server_hop"]), h["before_server"], int(h["server_hop"]))
        hb = p.get("hopBeforeInterceptor")
        hb = ".".join(str(b) for b in base64.b64decode(hb)) if hb else "-"
        have = (p.get("interceptorHop", 0), hb, p.get("serverHop", 0))
        if hb != "-" and h.get("router_cc"):
            # the router before is geolocated (its country and ASN)
            want += (h["router_cc"], int(h["router_asn"]))
            have += (p.get("hopCountry", ""), int(p.get("hopAsn", 0)))
            loc_geo += 1
        if have == want:
            loc_ok += 1
        else:
            loc_bad += 1
            print(f"HOPS {key[0]} {key[1]}: interceptor_hop, hop_before, server_hop[, hop_country, hop_asn] = {have} "
                  f"want {want} ({t['kind']})")
    unlocalised = sorted(want_groups - loc_groups) if hops else []
    for g in unlocalised:
        print(f"UNLOCALISED no probe of {g} was localised")
    print(f"localised={loc_ok + loc_bad} localised_ok={loc_ok} localised_bad={loc_bad} "
          f"router_geo_checked={loc_geo} groups_unlocalised={len(unlocalised)}")
    print(f"truth={len(truth)} records={len(got)} ok={ok} fp={fp} fn={fn} mismatch={other} "
          f"missing={missing} extra={extra} duplicate={dup} control2={ctrl2} control2_bad={bad_ctrl2} control_no_sni={bare_ctrl}")
    return 0 if fp == fn == other == missing == extra == dup == bad_ctrl2 == loc_bad == len(unlocalised) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
