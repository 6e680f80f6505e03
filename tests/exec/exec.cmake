# Exec mode: our own small pthread programs (tests/exec/progs), unmodified,
# built with mmfuzz-cc and run under the controlled scheduler.  Each bug is
# found from a fixed seed, replayed identically 100 times, minimized, and
# found by PCT and explore too; the clean programs stay clean.
if(TARGET mmf_exec AND MMF_EXEC_CLANG)
  set(_cc ${PROJECT_BINARY_DIR}/exec/mmfuzz-cc)
  set(_progs ${CMAKE_CURRENT_SOURCE_DIR}/exec/progs)
  set(_case ${CMAKE_CURRENT_SOURCE_DIR}/exec/exec_case.sh)
  # name, expected classes, execution budget, params, other sources that
  # must find it too (default: pct, explore)
  set(_cases
    "lost_update|crash|2000|"
    "abba_deadlock|deadlock|2000|"
    "missed_wakeup|deadlock|2000|"
    "uaf_racing_free|crash,use-after-free|2000|"
    "double_free_check_then_act|crash,double-free|2000|"
    "order_violation|crash|2000|"
    "exit_status|exit-status|2000|exitfail=1"
    # a livelock's runs do not end until the step budget: depth-first
    # explore drowns in them, and PCT's learnt run length makes depth 2 rare
    "livelock|hang|2000|steps=5000|pct:3"
    "tls_check|clean|300|"
    "thousand_threads|clean|3|"
    "api_tour|clean|200|"
    "spin_wait_ok|clean|300|"
    "futex_event|deadlock|2000|"
    "futex_ok|clean|300|"
    "c11_missed_signal|deadlock|2000|"
    "c11_tour|clean|200|"
    # timed retries under PCT and random priorities: time may pass early
    # only so often, or a starved thread would make a correct program hang
    "clock_tour|clean|300||pct pct:3"
    # a point at the atomic read-modify-write itself, in both flavours
    "rmw_window|crash|2000|"
    # points=sync: no point between the load and the store, so no update
    # can be lost (what the option is for: a cheaper, coarser search)
    "lost_update|clean|500|points=sync")
  if(MMF_SANITIZER STREQUAL "asan")
    # The asan build runs what ASan changes: heap errors, a leak only a
    # leak check at exit sees (LeakSanitizer), and ASan with threads.
    set(_cases
      "uaf_racing_free|use-after-free|2000|"
      "double_free_check_then_act|double-free|2000|"
      "leak_on_race|leak|2000||explore"
      "rmw_window|crash|2000|"
      "tls_check|clean|300|"
      "thousand_threads|clean|3|"
      "api_tour|clean|200|")
  endif()
  foreach(c ${_cases})
    string(REPLACE "|" ";" f "${c}")
    list(GET f 0 name)
    list(GET f 1 expect)
    list(GET f 2 runs)
    list(LENGTH f n)
    set(params "")
    set(others "pct explore")
    if(n GREATER 3)
      list(GET f 3 params)
    endif()
    if(n GREATER 4)
      list(GET f 4 others)
    endif()
    string(REPLACE "," "|" expect "${expect}")
    set(tname exec_${name})
    if(params)
      string(REGEX REPLACE "[^a-z0-9]" "_" suffix "${params}")
      set(tname ${tname}_${suffix})
    endif()
    add_test(NAME ${tname} COMMAND ${_case} $<TARGET_FILE:mmfuzz> ${_cc} ${_progs}/${name}.c
             "${expect}" ${runs} "${params}" "${others}")
    set_tests_properties(${tname} PROPERTIES LABELS "exec" TIMEOUT 600)
  endforeach()
  add_test(NAME exec_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/exec/exec_cli_test.sh
           $<TARGET_FILE:mmfuzz> ${_cc} ${_progs})
  set_tests_properties(exec_cli PROPERTIES LABELS "exec" TIMEOUT 300)
endif()
