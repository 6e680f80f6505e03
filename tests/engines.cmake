# Coverage-guided engines (issue: fuzz front end).  In the libfuzzer preset:
# the libFuzzer target, fixed seed 3 and a 300,000-execution budget, from the
# generic seed corpus (no reproducers in it), finds every historic variant
# with the class BUGS.md names; free-swap-and-cache-swapoff-uaf, the deepest,
# gets 1,000,000 and the label 'long'.  The runs repeat bit for bit in any
# checkout (engine_find.sh; docs/fuzzing.md says what that takes).  In the
# afl preset: a 60-second AFL++ run
# finds the easiest variants.
set(mmf_seeds ${PROJECT_SOURCE_DIR}/corpus/seeds/mm)
set(mmf_historic swapin-dead-entry anon-fault-double-alloc swapoff-single-pass
    lru-free-irq-double-free migrate-swapcache-anon-vma-uaf zswap-writeback-invalidate-leak
    zswap-writeback-stale-data free-swap-and-cache-swapoff-uaf)
if(MMF_ENGINE STREQUAL "libfuzzer")
  foreach(v ${mmf_historic})
    set(budget 300000)
    set(labels "fuzz-smoke;engine")
    if(v STREQUAL "free-swap-and-cache-swapoff-uaf")
      set(budget 1000000)
      set(labels "long;engine")
    endif()
    add_test(NAME libfuzzer_finds_${v}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/engine_find.sh libfuzzer $<TARGET_FILE:mmfuzz_libfuzzer>
              $<TARGET_FILE:mmfuzz> ${v} 3 ${budget} ${mmf_seeds})
    set_tests_properties(libfuzzer_finds_${v} PROPERTIES LABELS "${labels}" TIMEOUT 1200)
  endforeach()
elseif(MMF_ENGINE STREQUAL "afl")
  foreach(v anon-fault-double-alloc swapoff-single-pass)
    add_test(NAME afl_finds_${v}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/engine_find.sh afl $<TARGET_FILE:mmfuzz_afl>
              $<TARGET_FILE:mmfuzz> ${v} 60 ${mmf_seeds})
    set_tests_properties(afl_finds_${v} PROPERTIES LABELS "fuzz-smoke;engine" TIMEOUT 300)
  endforeach()
endif()

# Every crash an engine records leaves an mmfuzz reproducer, the ASan-caught
# variant's included (engine_repro_test.sh).
if(MMF_ENGINE STREQUAL "libfuzzer")
  add_test(NAME libfuzzer_writes_reproducers
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/engine_repro_test.sh libfuzzer $<TARGET_FILE:mmfuzz_libfuzzer>
            $<TARGET_FILE:mmfuzz> ${mmf_seeds})
  set_tests_properties(libfuzzer_writes_reproducers PROPERTIES LABELS "fuzz-smoke;engine" TIMEOUT 600)
elseif(MMF_ENGINE STREQUAL "afl")
  add_test(NAME afl_writes_reproducers
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/engine_repro_test.sh afl $<TARGET_FILE:mmfuzz_afl>
            $<TARGET_FILE:mmfuzz> ${mmf_seeds})
  set_tests_properties(afl_writes_reproducers PROPERTIES LABELS "fuzz-smoke;engine" TIMEOUT 600
    SKIP_RETURN_CODE 77)
endif()

# The decision-space mutators (fuzz/mutator.h): libFuzzer repeats a campaign
# for a seed with the mutator in use; the AFL++ library loads, fits its
# outputs and repeats for a seed.
if(MMF_ENGINE STREQUAL "libfuzzer")
  add_test(NAME libfuzzer_mutator_repeats
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/libfuzzer_mutator_test.sh $<TARGET_FILE:mmfuzz_libfuzzer> ${mmf_seeds})
  set_tests_properties(libfuzzer_mutator_repeats PROPERTIES LABELS "fuzz-smoke;engine" TIMEOUT 300)
elseif(MMF_ENGINE STREQUAL "afl")
  add_executable(test_afl_mutator test_afl_mutator.c)
  target_link_libraries(test_afl_mutator PRIVATE ${CMAKE_DL_LIBS})
  add_dependencies(test_afl_mutator mmfuzz_afl_mutator)
  add_test(NAME test_afl_mutator COMMAND test_afl_mutator ${CMAKE_BINARY_DIR}/fuzz/mmfuzz_afl_mutator.so)
  set_tests_properties(test_afl_mutator PROPERTIES LABELS "unit;engine")
endif()
