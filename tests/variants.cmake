# Historic bug variants (docs/bugs.md).
#  regress:     every reproducer in corpus/regressions/ replays to its class,
#               twice identically, and clean on the fixed model.
#  fuzz-smoke:  the built-in random source finds every variant from the
#               generic workload (seed 1, budget 100,000 executions), and the
#               exhaustive source finds it in its focused scenario at a small
#               preemption bound, where the fixed model is clean.
#  long:        the fixed model over the bound-2 spaces of the largest
#               focused scenarios.
set(MMF_CORPUS ${PROJECT_SOURCE_DIR}/corpus)
file(GLOB mmf_regressions CONFIGURE_DEPENDS ${MMF_CORPUS}/regressions/*.trace)
foreach(trace ${mmf_regressions})
  get_filename_component(name ${trace} NAME_WE)
  add_test(NAME regress_${name}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/regress.sh $<TARGET_FILE:mmfuzz> ${trace})
  set_tests_properties(regress_${name} PROPERTIES LABELS "regress")
endforeach()

# variant -> the preemption bound its focused scenario needs
set(mmf_variant_bounds
  swapin-dead-entry:1 anon-fault-double-alloc:1 swapoff-single-pass:1
  lru-free-irq-double-free:1 migrate-swapcache-anon-vma-uaf:1
  zswap-writeback-invalidate-leak:1 zswap-writeback-stale-data:2
  free-swap-and-cache-swapoff-uaf:2 zswap-cas-state:1)
set(mmf_find ${CMAKE_CURRENT_SOURCE_DIR}/variant_find.sh)
foreach(vb ${mmf_variant_bounds})
  string(REPLACE ":" ";" vb ${vb})
  list(GET vb 0 v)
  list(GET vb 1 bound)
  # Budget: 100,000 executions, 700,000 for free-swap-and-cache-swapoff-uaf,
  # whose window (one task between dropping a count and reading the map
  # again, while another zaps, reclaims and swapoff finishes) needs more
  # runs since the scheduling-point rule made every path longer (median of
  # seeds 1-7 about 106,000; docs/model.md, "Time to bug").  With anon_vma
  # from a type-safe cache (no rcu_gp task at exit, other points) seeds 1-7
  # took 613,173, 103,336, 158,479, 2,879, 154,998, 21,501 and 151,910
  # executions: median 151,910, seed 1 the slowest.  With large folios and
  # the lockless lookup: median 104,422 over the bench's seeds 1-10, 9 of
  # 10 within a minute (docs/model.md, "Time to bug").  With exec in the
  # workload: seeds 1-10 all found, median 78,038, seed 1 124,785, the
  # slowest 220,539 (bench/find_variants.sh, docs/bugs.md).
  set(budget 100000)
  if(v STREQUAL "free-swap-and-cache-swapoff-uaf")
    set(budget 700000)
  endif()
  add_test(NAME find_${v}_generic_random
    COMMAND ${mmf_find} $<TARGET_FILE:mmfuzz> run ${v} random 1 ${budget})
  add_test(NAME find_${v}_focused_explore
    COMMAND ${mmf_find} $<TARGET_FILE:mmfuzz> explore ${v} ${bound} ${MMF_CORPUS}/focused)
  add_test(NAME fixed_${v}_focused_explore
    COMMAND ${mmf_find} $<TARGET_FILE:mmfuzz> explore-fixed ${v} ${bound} ${MMF_CORPUS}/focused)
  set_tests_properties(find_${v}_generic_random find_${v}_focused_explore
    PROPERTIES LABELS "fuzz-smoke")
  if(bound EQUAL 1)
    set_tests_properties(fixed_${v}_focused_explore PROPERTIES LABELS "fuzz-smoke")
  else()
    set_tests_properties(fixed_${v}_focused_explore PROPERTIES LABELS "long" TIMEOUT 1800)
  endif()
endforeach()
