#!/usr/bin/env python3
"""70/30 time split as a user would do it: the day at which 70% of baskets are behind us.
   python3 cuts.py   -> prints SHOP CUT PERIOD_DAYS for each shop"""
import csv, datetime as dt, os, collections
H = os.environ.get("SHOPS_DIR") or os.path.dirname(os.path.abspath(__file__))
def split(path, key, tcol, parse, sep=",", enc="utf-8"):
    first = {}
    with open(os.path.join(H, path), newline="", encoding=enc) as f:
        for r in csv.DictReader((l for l in f if l.strip()), delimiter=sep):
            k = key(r); d = parse(r[tcol])
            if k not in first or d < first[k]: first[k] = d
    ds = sorted(first.values())
    cut = ds[int(0.7 * len(ds))]
    return cut, (ds[-1] - cut).days + 1, len(ds)
S = {
 "bakery": split("bakery.csv", lambda r: r["Transaction"], "date_time", lambda s: dt.datetime.strptime(s, "%d-%m-%Y %H:%M").date()),
 "grocer": split("grocer.csv", lambda r: (r["Member_number"], r["Date"]), "Date", lambda s: dt.datetime.strptime(s, "%d-%m-%Y").date()),
 "pricegrocer": split("pricegrocer.csv", lambda r: r["order_id"], "ts", lambda s: dt.date.fromisoformat(s[:10]), sep=";"),
 "awkward": split("awkward.csv", lambda r: r["Order ID"], "Order Date", lambda s: dt.date.fromisoformat(s[:10]), enc="utf-8-sig"),
}
for k, (c, p, n) in S.items(): print(k, c.isoformat(), p, n)
