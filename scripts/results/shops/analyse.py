#!/usr/bin/env python3
"""Judge a run's bundles against plain counts:  python3 analyse.py SHOP CUT PERIOD_DAYS [OUTDIR]
Counts, on the training window: top-20 pairs by support, the hub item (most frequent);
for each chosen bundle: size, in top-20 pairs, holds hub, train/test basket lift, planted mission or not."""
import csv, sys, json, os, itertools, collections, datetime as dt
H = os.environ.get("SHOPS_DIR") or os.path.dirname(os.path.abspath(__file__))
shop, cut, period = sys.argv[1], dt.date.fromisoformat(sys.argv[2]), int(sys.argv[3])
out = sys.argv[4] if len(sys.argv) > 4 else "out_" + shop
end = cut + dt.timedelta(days=period)
spec = {
 "bakery": ("bakery.csv", ",", lambda r: r["Transaction"], "Item", lambda r: dt.datetime.strptime(r["date_time"], "%d-%m-%Y %H:%M").date(), None),
 "grocer": ("grocer.csv", ",", lambda r: (r["Member_number"], r["Date"]), "itemDescription", lambda r: dt.datetime.strptime(r["Date"], "%d-%m-%Y").date(), None),
 "pricegrocer": ("pricegrocer.csv", ";", lambda r: r["order_id"], "sku", lambda r: dt.date.fromisoformat(r["ts"][:10]), "qty"),
 "awkward": ("awkward.csv", ",", lambda r: r["Order ID"], "Product", lambda r: dt.date.fromisoformat(r["Order Date"][:10]), "Qty"),
}[shop]
path, sep, key, icol, tget, qcol = spec
B = {"train": collections.defaultdict(set), "test": collections.defaultdict(set)}
with open(os.path.join(H, path), newline="", encoding="utf-8-sig") as f:
    for r in csv.DictReader((l for l in f if l.strip()), delimiter=sep):
        if qcol and float(r[qcol]) <= 0: continue
        d = tget(r)
        w = "train" if d < cut else ("test" if d < end else None)
        if w: B[w][key(r)].add(r[icol])
def stats(bs):
    n = len(bs); ic = collections.Counter(); pc = collections.Counter()
    for s in bs.values():
        ic.update(s); pc.update(itertools.combinations(sorted(s), 2))
    return n, ic, pc
S = {w: stats(B[w]) for w in B}
def lift(w, items):
    n, ic, _ = S[w]; items = set(items)
    c = sum(1 for s in B[w].values() if items <= s)
    e = n
    for i in items: e *= ic[i] / n
    return c, (c / e if e else float("nan"))
n, ic, pc = S["train"]
hub, hubc = ic.most_common(1)[0]
top20 = [frozenset(p) for p, _ in pc.most_common(20)]
top10 = {i for i, _ in ic.most_common(10)}
planted = [frozenset(m) for m in json.load(open(os.path.join(H, "planted.json")))[shop]["missions"]]
rows = list(csv.DictReader(open(os.path.join(H, out, "bundles.csv"))))
print(f"== {shop}: train {n} baskets, test {S['test'][0]}; hub {hub!r} in {hubc/n:.1%} of train baskets")
sizes = collections.Counter(); nt = nh = nlow = npl = ntop10slots = slots = 0; nsub = 0
for r in rows:
    items = r["items"].split("+")
    fs = frozenset(items); sizes[len(items)] += 1
    intop = fs in top20; sub = any(p <= fs for p in top20) and not intop
    hashub = hub in fs; ctr, ltr = lift("train", items); cte, lte = lift("test", items)
    pl = any(fs == m or (fs <= m and len(fs) >= 2) or m <= fs for m in planted)
    nt += intop; nsub += sub; nh += hashub; nlow += lte < 1; npl += pl
    slots += len(items); ntop10slots += sum(i in top10 for i in items)
    print(f"{r['rank']:>3} {r['items'][:50]:50} k={len(items)} top20pair={'Y' if intop else ('contains' if sub else '-')} hub={'Y' if hashub else '-'} "
          f"train n={ctr} lift={ltr:.2f} test n={cte} lift={lte:.2f} planted={'Y' if pl else '-'} disc={float(r['discount']):.0%} test_attach={float(r['test_attach_rate']):.3f}")
print(f"SUMMARY {shop}: {len(rows)} bundles; exactly a top-20 pair: {nt}; contain a top-20 pair: {nsub}; with hub: {nh}; "
      f"test lift<1: {nlow}; planted-mission hits: {npl} of {len(planted)} missions; sizes {dict(sorted(sizes.items()))}; "
      f"item slots among train top-10 sellers: {ntop10slots}/{slots}")
found = [sorted(m) for m in planted if any(frozenset(r['items'].split('+')) >= m or (frozenset(r['items'].split('+')) <= m and len(r['items'].split('+'))>=2) for r in rows)]
print("planted missions found:", found)
print("planted missions missed:", [sorted(m) for m in planted if sorted(m) not in found])
