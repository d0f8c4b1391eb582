# Sourced by scripts/bench/csv and scripts/bench/models: what machine a
# figure was measured on, printed beside it (speed ratios differ between an
# AMD and an Intel machine; issue 19).
#   cpu_model  the model name from /proc/cpuinfo ("AMD EPYC", "Intel(R) Xeon(R) ...")
#   simd_level the level bundlerun's multiversioned kernels run at here
#              (src/core/simd_dispatch.h: x86-64-v4, x86-64-v3 or baseline)
#   load_avg   the 1-minute load average (the machine may be shared)
cpu_model() {
  m=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//; s/  */ /g')
  echo "${m:-unknown CPU}"
}
simd_level() {
  f=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2-) "
  has() { case "$f" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
  if has avx512f && has avx512bw && has avx512cd && has avx512dq && has avx512vl; then echo x86-64-v4
  elif has avx2 && has fma && has bmi2 && has movbe; then echo x86-64-v3
  else echo baseline; fi
}
load_avg() { cut -d' ' -f1 /proc/loadavg; }
