#!/usr/bin/env python3
"""H27: four synthetic shop files shaped unlike Online Retail / Instacart.

    python3 gen.py            # writes bakery.csv, grocer.csv, pricegrocer.csv, awkward.csv here

Each shop: Zipf-like item popularity, repeat customers, weekly seasonality,
a few planted 'missions' (real complements that are NOT the most popular
pairs), and where there are prices, weekly promotions (price drops that lift
demand, so an elasticity exists in the data). Seeded, deterministic.
The planted complements are listed in planted.json so the lead can check
whether the pipeline finds them.
"""
import bisect, datetime as dt, json, math, os, random

HERE = os.environ.get("SHOPS_DIR") or os.path.dirname(os.path.abspath(__file__))
R = random.Random(27)


def zipf_weights(n, s=1.05):
    return [1.0 / (i + 1) ** s for i in range(n)]


def cum(ws):
    out, t = [], 0.0
    for w in ws:
        t += w
        out.append(t)
    return out


def pick(cw, r=R):
    return bisect.bisect_left(cw, r.random() * cw[-1])


def day_weight(d):  # weekly seasonality: Sat/Sun busy, Mon/Tue quiet
    return [0.8, 0.75, 0.9, 0.95, 1.1, 1.6, 1.5][d.weekday()]


def days_with_visits(start, ndays, total):
    days = [start + dt.timedelta(days=i) for i in range(ndays)]
    w = [day_weight(d) * (1 + 0.15 * math.sin(i / 58.0)) for i, d in enumerate(days)]
    cw = cum(w)
    counts = [0] * ndays
    for _ in range(total):
        counts[pick(cw)] += 1
    return days, counts


# ---------------------------------------------------------------- bakery
BAKERY = ["Coffee", "Bread", "Tea", "Cake", "Pastry", "Sandwich", "Medialuna", "Hot chocolate", "Cookies",
          "Brownie", "Farm House", "Muffin", "Alfajores", "Juice", "Soup", "Scone", "Toast", "Scandinavian",
          "Truffles", "Coke", "Spanish Brunch", "Baguette", "Tiffin", "Fudge", "Mineral water", "Jam",
          "Chicken Stew", "Hearty & Seasonal", "Salad", "Frittata", "Smoothies", "Keeping It Local", "The Nomad",
          "Focaccia", "Vegan mincepie", "Bakewell", "Tartine", "Art Tray", "Extra Salami or Feta", "Eggs",
          "Granola", "Tshirt", "Ella's Kitchen Pouches", "Vegan Feast", "Crisps", "Dulce de Leche",
          "Kids biscuit", "Mighty Protein", "Pick and Mix Bowls", "Honey", "Chimichurri Oil", "Duck egg",
          "Caramel bites", "Christmas common", "Brioche and salami", "Lemon and coconut", "Crepes",
          "Empanadas", "Victorian Sponge", "Hack the stack", "Bread Pudding", "Panatone", "Muesli",
          "Valentine's card", "Spread", "Cherry me Dried fruit", "Coffee granules", "Chocolates",
          "Nomad bag", "Postcard", "Mortimer", "Siblings", "Bacon", "Pintxos", "Gift voucher",
          "Half slice Monster", "Raw bars", "Fairy Doors", "Argentina Night", "Olum & polenta", "Polenta",
          "Gingerbread syrup", "Bowl Nic Pitt", "Adjustment", "Basket", "Drinking chocolate spoons",
          "Afternoon with the baker", "Raspberry shortbread sandwich", "My-5 Fruit Shoot", "Baby-food"]
BAKERY_MISSIONS = [  # (items, share of baskets that run this mission)
    (["Soup", "Baguette"], 0.012), (["Hot chocolate", "Cookies"], 0.015), (["Tea", "Scone", "Jam"], 0.008),
    (["Sandwich", "Crisps", "Juice"], 0.006), (["Spanish Brunch", "Juice"], 0.006), (["Brownie", "Smoothies"], 0.004),
]


def bakery():
    n_tx, hub = 20000, "Coffee"
    others = [x for x in BAKERY if x != hub]
    cw = cum(zipf_weights(len(others), 1.1))
    start = dt.date(2016, 10, 30)
    days, counts = days_with_visits(start, 160, n_tx)
    rows, tx = [], 0
    for d, c in zip(days, counts):
        for _ in range(c):
            tx += 1
            h = min(17, max(7, int(R.gauss(11.5, 2.3))))
            ts = dt.datetime(d.year, d.month, d.day, h, R.randrange(60))
            period = "morning" if h < 12 else ("afternoon" if h < 17 else "evening")
            items = []
            if R.random() < 0.40:
                items.append(hub)
            r = R.random()
            acc = 0
            for m, p in BAKERY_MISSIONS:
                acc += p
                if r < acc:
                    items += m
                    break
            n = max(1 if not items else 0, int(R.expovariate(1 / 1.1)))
            for _ in range(n):
                items.append(others[pick(cw)])
            # real bakery file: a line per unit, duplicates are quantity
            for it in items:
                rows.append((tx, it, ts.strftime("%d-%m-%Y %H:%M"), period))
    with open(os.path.join(HERE, "bakery.csv"), "w") as f:
        f.write("Transaction,Item,date_time,period_day\n")
        for r in rows:
            f.write("%d,%s,%s,%s\n" % r)
    return {"hub": hub, "missions": [m for m, _ in BAKERY_MISSIONS]}


# ---------------------------------------------------------------- grocer (member + day)
GROCER_BASE = ["whole milk", "other vegetables", "rolls/buns", "soda", "yogurt", "bottled water", "root vegetables",
               "tropical fruit", "shopping bags", "sausage", "pastry", "citrus fruit", "bottled beer", "newspapers",
               "canned beer", "pip fruit", "fruit/vegetable juice", "whipped/sour cream", "brown bread",
               "domestic eggs", "frankfurter", "margarine", "coffee", "pork", "butter", "curd", "beef", "napkins",
               "chocolate", "frozen vegetables", "chicken", "white bread", "cream cheese ", "waffles",
               "salty snack", "long life bakery product", "dessert", "sugar", "UHT-milk", "hamburger meat",
               "berries", "hygiene articles", "onions", "specialty chocolate", "candy", "misc. beverages",
               "frozen meals", "oil", "butter milk", "specialty bar", "ham", "meat", "ice cream", "sliced cheese",
               "hard cheese", "cat food", "grapes", "chewing gum", "detergent", "red/blush wine", "white wine",
               "pickled vegetables", "baking powder", "semi-finished bread", "dishes", "flour", "pot plants",
               "soft cheese", "processed cheese", "herbs", "canned fish", "pasta", "seasonal products",
               "cling film/bags", "packaged fruit/vegetables", "specialty cheese", "frozen fish", "dog food",
               "mustard", "spread cheese", "pet care", "frozen dessert", "ketchup", "condensed milk", "beverages",
               "liquor", "zwieback", "Instant food products", "salt", "mayonnaise", "photo/film", "rice",
               "vinegar", "frozen potato products", "spices", "sweet spreads", "kitchen towels", "roll products ",
               "liquor (appetizer)", "meat spreads", "turkey", "canned vegetables", "finished products", "soups",
               "female sanitary products", "dish cleaner", "cereals", "mushrooms", "sparkling wine", "jam",
               "house keeping products", "nuts/prunes", "instant coffee", "candles", "specialty fat",
               "flower (seeds)", "frozen chicken", "tea", "cake bar", "skin care", "bathroom cleaner",
               "canned fruit", "dental care", "cooking chocolate", "frozen fruits", "organic sausage",
               "cleaner", "light bulbs", "rum", "prosecco", "soap", "liver loaf", "cookware", "whisky",
               "popcorn", "nut snack", "rubbing alcohol", "tidbits", "decalcifier", "honey", "brandy",
               "male cosmetics", "artif. sweetener", "potato products", "ready soups", "hair spray", "sauces",
               "organic products", "fish", "cocoa drinks", "toilet cleaner", "flower soil/fertilizer",
               "frozen bread", "abrasive cleaner", "bags", "make up remover", "specialty vegetables",
               "kitchen utensil", "preservation products", "baby cosmetics", "sound storage medium"]
GROCER_MISSIONS = [(["pasta", "sauces", "hard cheese"], 0.010), (["hamburger meat", "ketchup", "rolls/buns"], 0.008),
                   (["flour", "sugar", "baking powder"], 0.008), (["red/blush wine", "specialty cheese"], 0.006),
                   (["cat food", "pet care"], 0.006), (["tea", "honey"], 0.005)]


def grocer():
    items = GROCER_BASE[:160]
    cw = cum(zipf_weights(len(items), 0.95))
    members = list(range(1000, 4900))
    mcw = cum(zipf_weights(len(members), 0.6))  # repeat customers: a core of regulars
    # each member has a few favourite items bought on most visits
    fav = {m: [items[pick(cw)] for _ in range(3)] for m in members}
    start = dt.date(2014, 1, 1)
    days, counts = days_with_visits(start, 730, 15000)
    seen, rows = set(), []
    for d, c in zip(days, counts):
        for _ in range(c):
            m = members[pick(mcw)]
            if (m, d) in seen:
                continue
            seen.add((m, d))
            b = [x for x in fav[m] if R.random() < 0.35]
            r, acc = R.random(), 0
            for ms, p in GROCER_MISSIONS:
                acc += p
                if r < acc:
                    b += ms
                    break
            n = max(0 if b else 2, int(R.expovariate(1 / 1.6)))
            b += [items[pick(cw)] for _ in range(n)]
            if len(b) < 2:
                b.append(items[pick(cw)])
            for it in b:
                rows.append((m, d.strftime("%d-%m-%Y"), it))
    R.shuffle(rows)  # the public file is not in time order
    with open(os.path.join(HERE, "grocer.csv"), "w") as f:
        f.write("Member_number,Date,itemDescription\n")
        for r in rows:
            f.write("%d,%s,%s\n" % r)
    return {"hub": "whole milk", "missions": [m for m, _ in GROCER_MISSIONS], "baskets": len(seen)}


# ---------------------------------------------------------------- grocer with prices (semicolon, decimal comma)
def pricegrocer():
    n_items = 300
    skus = ["SKU%05d" % (10007 * i % 99991) for i in range(1, n_items + 1)]
    base = [round(math.exp(R.gauss(1.1, 0.7)), 2) for _ in skus]
    pop = zipf_weights(n_items, 1.0)
    hub = skus[0]  # bananas-like hub
    missions = [([skus[40], skus[55]], 0.012), ([skus[70], skus[90], skus[120]], 0.008),
                ([skus[33], skus[150]], 0.008), ([skus[200], skus[210]], 0.005)]
    start = dt.date(2023, 1, 2)
    ndays = 364
    # weekly promotions: ~8% of items on 20-30% off in a given week; price rises mid-year for 30%
    promo = {}
    for w in range(ndays // 7 + 1):
        for i in R.sample(range(n_items), 24):
            promo[(w, i)] = R.uniform(0.7, 0.8)
    rise = set(R.sample(range(n_items), 90))
    elast = 2.0
    customers = list(range(50001, 58001))
    ccw = cum(zipf_weights(len(customers), 0.7))
    days, counts = days_with_visits(start, ndays, 30000)
    rows, oid = [], 700000
    for di, (d, c) in enumerate(zip(days, counts)):
        w = di // 7
        def price(i):
            p = base[i] * (1.08 if (i in rise and di > 180) else 1.0) * promo.get((w, i), 1.0)
            return round(p, 2)
        wts = [pop[i] * (price(i) / base[i]) ** (-elast) for i in range(n_items)]
        wts[0] = 0
        cw = cum(wts)
        for _ in range(c):
            oid += 1
            cust = customers[pick(ccw)]
            ts = dt.datetime(d.year, d.month, d.day, min(21, max(7, int(R.gauss(15, 3)))), R.randrange(60),
                             R.randrange(60))
            b = {}
            if R.random() < 0.30:
                b[0] = 1 + (R.random() < 0.3)
            r, acc = R.random(), 0
            for ms, p in missions:
                acc += p
                if r < acc:
                    for s in ms:
                        b[skus.index(s)] = 1
                    break
            for _ in range(max(1, int(R.expovariate(1 / 4.0)))):
                i = pick(cw)
                b[i] = b.get(i, 0) + (1 if R.random() < 0.8 else 2)
            for i, q in b.items():
                rows.append((oid, cust, ts.strftime("%Y-%m-%d %H:%M:%S"), skus[i], q,
                             ("%.2f" % price(i)).replace(".", ",")))
    with open(os.path.join(HERE, "pricegrocer.csv"), "w") as f:
        f.write("order_id;customer;ts;sku;qty;unit_price\n")
        for r in rows:
            f.write("%d;%d;%s;%s;%d;%s\n" % r)
    return {"hub": hub, "missions": [m for m, _ in missions]}


# ---------------------------------------------------------------- awkward: BOM, CRLF, quoted commas, blanks, returns
def awkward():
    names = ["Candle, vanilla", "Candle, cedar", "Matches", "Wick trimmer", "Soap bar", "Soap dish",
             "Linen spray", "Tea towel", "Mug \"Good morning\"", "Coaster set", "Notebook A5", "Pen, black",
             "Pen, blue", "Washi tape", "Gift wrap", "Gift card", "Plant pot", "Succulent", "Watering can",
             "Hand cream", "Lip balm", "Tote bag"] + ["Card design %d" % i for i in range(1, 39)]
    prices = {n: round(math.exp(R.gauss(2.0, 0.6)), 2) for n in names}
    cw = cum(zipf_weights(len(names), 1.0))
    missions = [(["Candle, vanilla", "Matches"], 0.03), (["Soap bar", "Soap dish"], 0.02),
                (["Plant pot", "Succulent", "Watering can"], 0.015)]
    start = dt.date(2024, 1, 1)
    days, counts = days_with_visits(start, 240, 6000)
    lines, oid = [], 1000
    sold = []
    for d, c in zip(days, counts):
        for _ in range(c):
            oid += 1
            cust = "C%04d" % (1 + int(R.paretovariate(1.2)) % 2500)
            ts = "%s %02d:%02d" % (d.isoformat(), R.randrange(9, 19), R.randrange(60))
            b = {}
            r, acc = R.random(), 0
            for ms, p in missions:
                acc += p
                if r < acc:
                    for s in ms:
                        b[s] = 1
                    break
            for _ in range(max(1, int(R.expovariate(1 / 2.0)))):
                n = names[pick(cw)]
                b[n] = b.get(n, 0) + 1
            for n, q in b.items():
                p = "%.2f" % prices[n]
                if R.random() < 0.004:
                    p = ""  # missing price
                lines.append('%d,%s,%s,"%s",%d,%s' % (oid, cust, ts, n.replace('"', '""'), q, p))
                sold.append((oid, cust, d, n, q))
            if R.random() < 0.01:
                lines.append("")
    # returns: a later line, new order id, negative quantity, 3% of lines
    for (o, cust, d, n, q) in R.sample(sold, int(0.03 * len(sold))):
        rd = d + dt.timedelta(days=R.randrange(1, 20))
        lines.append('R%d,%s,%s 12:00,"%s",%d,%.2f' % (o, cust, rd.isoformat(), n.replace('"', '""'), -q, prices[n]))
    with open(os.path.join(HERE, "awkward.csv"), "wb") as f:
        f.write(b"\xef\xbb\xbf")
        f.write("Order ID,Customer,Order Date,Product,Qty,Price\r\n".encode())
        for ln in lines:
            f.write((ln + "\r\n").encode("utf-8"))
    return {"hub": None, "missions": [m for m, _ in missions]}


if __name__ == "__main__":
    planted = {"bakery": bakery(), "grocer": grocer(), "pricegrocer": pricegrocer(), "awkward": awkward()}
    with open(os.path.join(HERE, "planted.json"), "w") as f:
        json.dump(planted, f, indent=1)
    print(json.dumps({k: {"hub": v["hub"], "n_missions": len(v["missions"])} for k, v in planted.items()}))
