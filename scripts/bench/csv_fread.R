# data.table side of scripts/bench/csv: fread of the file on THREADS
# threads. Prints "load - - - load_cpu" (seconds; fread does no group or
# join here), in the other sides' columns.
suppressMessages(library(data.table))
a <- commandArgs(TRUE)
setDTthreads(as.integer(a[2]))
t0 <- Sys.time()
t <- system.time(d <- fread(a[1]))
load <- as.numeric(Sys.time() - t0, units = "secs")
stopifnot(nrow(d) == 541909)
cat(sprintf("%.4f - - - %.4f\n", load, t[["user.self"]] + t[["sys.self"]]))
