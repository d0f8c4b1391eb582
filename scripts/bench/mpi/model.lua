-- The scaling model for 8-256 ranks, from the figures scripts/bench/mpi/run
-- measured: `lua5.4 model.lua T1 T2 DICT1 AR2 AR3 AR4 COLLECTIVES` with
--   T1, T2     the median seconds of the count at 1 and 2 ranks,
--   DICT1      the seconds of mpi.baskets' label union of 20,000 labels at 1 rank,
--   AR2..AR4   the median seconds of one allreduce of 20,001 values at 2..4 ranks,
--   COLLECTIVES how many collectives one count makes.
-- Model: T(P) = W/P + S + U*P + K*(a + b*log2 P), where
--   W/P          the work that divides among ranks (reading, baskets, the
--                local counts and each rank's share of the PFP groups);
--   S            what every rank does whatever P (sorting the gathered
--                itemsets; fixed start-up);
--   U*P          the label union: every rank sorts every rank's labels (DICT1
--                per rank's worth: the worst case, no two ranks sharing an item);
--   K*(a+b log2 P) the collectives, tree/ring latency fitted to AR2..AR4.
-- W + S = T1 - DICT1 (one rank has no collective to wait for), and T2 fixes S.
local T1, T2, D1, A2, A3, A4, K = table.unpack(arg)
T1, T2, D1, A2, A3, A4, K = tonumber(T1), tonumber(T2), tonumber(D1), tonumber(A2), tonumber(A3), tonumber(A4), tonumber(K)
assert(T1 and T2 and D1 and A2 and A3 and A4 and K, "usage: model.lua T1 T2 DICT1 AR2 AR3 AR4 COLLECTIVES")
local log2 = function(x) return math.log(x, 2) end
-- least squares of ar(P) = a + b log2 P on P = 2, 3, 4
local xs, ys = { log2(2), log2(3), log2(4) }, { A2, A3, A4 }
local mx, my = (xs[1] + xs[2] + xs[3]) / 3, (ys[1] + ys[2] + ys[3]) / 3
local sxy, sxx = 0, 0
for i = 1, 3 do
  sxy = sxy + (xs[i] - mx) * (ys[i] - my)
  sxx = sxx + (xs[i] - mx) ^ 2
end
local b = sxy / sxx
local a = my - b * mx
if b < 0 then b, a = 0, my end -- noise: no growth seen, keep the mean
local function comm(P) return P == 1 and 0 or K * (a + b * log2(P)) end
-- T1 = W + S + U; T2 = W/2 + S + 2U + comm(2), U = D1
local U = D1
local WS = T1 - U
local W = 2 * (WS - (T2 - 2 * U - comm(2)))
if W > WS then W = WS end
if W < 0 then W = 0 end
local S = WS - W
local function T(P) return W / P + S + U * P + comm(P) end
print(("fitted: W = %.3f s (divides), S = %.3f s (fixed), U = %.4f s per rank (label union), allreduce = %.2e + %.2e log2 P s x %d"):format(W, S, U, a, b, K))
-- strong scaling: the same lines over P ranks; weak: as many lines per rank
-- as the 1-rank run (the shop that outgrows a server), W not divided
local function Tw(P) return W + S + U * P + comm(P) end
print(("%6s | %10s %9s %11s | %12s %11s"):format("ranks", "strong s", "speed-up", "efficiency", "weak s", "efficiency"))
for _, P in ipairs{ 1, 2, 4, 8, 16, 32, 64, 128, 256 } do
  local t = T(P)
  print(("%6d | %10.3f %9.1f %10.0f%% | %12.3f %10.0f%%"):format(P, t, T1 / t, 100 * T1 / t / P, Tw(P), 100 * T1 / Tw(P)))
end
