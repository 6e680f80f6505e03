# Soundness of the fixed model: the generic workload under the built-in
# sources must never report.  Fixed seeds and execution budgets; the
# "long" tier is excluded from the presets (run it with ctest -L long).
add_test(NAME mm_fixed_model_random_clean COMMAND mmfuzz run mm --source random --seed 1 --runs 3000 --quiet)
add_test(NAME mm_fixed_model_pct_clean COMMAND mmfuzz run mm --source pct --seed 1 --runs 3000 --quiet)
add_test(NAME mm_fixed_model_input_clean COMMAND mmfuzz run mm --source input --seed 1 --runs 3000 --quiet)
set_tests_properties(mm_fixed_model_random_clean mm_fixed_model_pct_clean mm_fixed_model_input_clean
  PROPERTIES LABELS "fuzz-smoke")
add_test(NAME mm_fixed_model_random_long COMMAND mmfuzz run mm --source random --seed 2 --runs 200000 --quiet)
add_test(NAME mm_fixed_model_pct_long COMMAND mmfuzz run mm --source pct --seed 2 --runs 200000 --quiet)
set_tests_properties(mm_fixed_model_random_long mm_fixed_model_pct_long PROPERTIES LABELS "long" TIMEOUT 3600)

# Exhaustive search over a small fixed workload that touches swapoff, zswap
# writeback and migration: every schedule within the preemption bound.
set(MMF_EXPLORE_PLAN "mms=1 frames=8 swap=1 zswap=1 thp=-1 failrate=-1 plan=write:0:0,reclaim:0:0:1,swapoff:0:0/zswap-shrink:0:0,migrate:0:0:1")
add_test(NAME mm_fixed_model_explore_bound1 COMMAND mmfuzz explore mm --params "${MMF_EXPLORE_PLAN}" --bound 1)
set_tests_properties(mm_fixed_model_explore_bound1 PROPERTIES LABELS "fuzz-smoke"
  PASS_REGULAR_EXPRESSION "complete; 0 failing")
add_test(NAME mm_fixed_model_explore_bound2 COMMAND mmfuzz explore mm --params "${MMF_EXPLORE_PLAN}" --bound 2)
set_tests_properties(mm_fixed_model_explore_bound2 PROPERTIES LABELS "long" TIMEOUT 3600
  PASS_REGULAR_EXPRESSION "complete; 0 failing")

# Protocol test of the swap-in that skips the swap cache (SWP_SYNCHRONOUS_IO):
# two faults on one swapped-out page race while a third write and reclaim
# may reuse the freed slot.  Every schedule within 2 preemptions must be
# clean; without the SWAP_HAS_CACHE claim (the code before 2024) bound 1
# already shows the lost data (20 of 3,310 schedules).  Bound 2 is 431,670
# schedules (14 s in the default build, 150 s under TSan): the sanitizer
# presets search bound 1 in the suite, and bound 2 in the long tier.
set(MMF_SKIP_SWAPCACHE_PLAN "mms=1 frames=8 swap=1 zswap=0 syncio=1 thp=1 failrate=-1 plan=write:0:0,reclaim:0:0:1,read:0:0/read:0:0,write:0:1,reclaim:0:0:2")
set(mmf_skip_bound 2)
if(NOT MMF_SANITIZER STREQUAL "none")
  set(mmf_skip_bound 1)
  add_test(NAME mm_protocol_skip_swapcache_explore_bound2
    COMMAND mmfuzz explore mm --params "${MMF_SKIP_SWAPCACHE_PLAN}" --bound 2)
  set_tests_properties(mm_protocol_skip_swapcache_explore_bound2 PROPERTIES LABELS "long"
    TIMEOUT 3600 PASS_REGULAR_EXPRESSION "complete; 0 failing")
endif()
add_test(NAME mm_protocol_skip_swapcache_explore
  COMMAND mmfuzz explore mm --params "${MMF_SKIP_SWAPCACHE_PLAN}" --bound ${mmf_skip_bound})
set_tests_properties(mm_protocol_skip_swapcache_explore PROPERTIES LABELS "fuzz-smoke"
  PASS_REGULAR_EXPRESSION "complete; 0 failing")
