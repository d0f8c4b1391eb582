# pandas side of scripts/bench/csv. Prints "load group join peak_kb load_cpu".
import resource, sys, time
import pandas as pd
path, items_path, dates = sys.argv[1], sys.argv[2], sys.argv[3] == "dates"
t0, c0 = time.perf_counter(), time.process_time()
df = pd.read_csv(path, parse_dates=["InvoiceDate"] if dates else False)
load, load_cpu = time.perf_counter() - t0, time.process_time() - c0
items = pd.read_csv(items_path)
df["amount"] = df.Quantity * df.UnitPrice
t0 = time.perf_counter()
g = df.groupby("InvoiceNo", sort=False)["amount"].sum()
group = time.perf_counter() - t0
t0 = time.perf_counter()
j = df.merge(items, on="StockCode", how="left")
join = time.perf_counter() - t0
assert len(g) == 25900 and len(j) == len(df)
print("%.4f %.4f %.4f %d %.4f" % (load, group, join, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, load_cpu))
