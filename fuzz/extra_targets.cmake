# Extra libFuzzer targets, include()d at the end of fuzz/CMakeLists.txt.
#
# mmfuzz_parse_libfuzzer (target_parse.c) fuzzes the reproducer and trace
# parsers: no crash, leak or overread on any input, a 'line N:' error on
# rejection, and an exact write -> parse round trip on acceptance.
#
# ctest parse_fuzz_smoke (label fuzz-smoke): a fixed budget of 200000 runs
# with seed 1.  libFuzzer writes what it finds into the first corpus
# directory, a scratch directory in the build tree that the test empties
# before each run (so every run starts from the same state); the committed
# seeds in corpus/parsers/ (a reproducer, one with an empty input and
# a trace with every kind of decision) are only read.  A finding is saved
# as parse-crash-* in the build directory: replay it with
#   build/libfuzzer/fuzz/mmfuzz_parse_libfuzzer <file>
if(MMF_ENGINE STREQUAL "libfuzzer")
  # The parsers are compiled into the target itself, with coverage: a
  # coverage ignore list (-fsanitize-coverage-ignorelist, for the mm
  # harness's sake) may exclude sched/ and fuzz/, and libFuzzer needs edges
  # in the code under test.  The parsers keep no state between inputs.
  # Their copies in the static libraries are then never pulled in (every
  # symbol of repro.o and trace.o is already defined).
  add_executable(mmfuzz_parse_libfuzzer target_parse.c repro.c ${PROJECT_SOURCE_DIR}/sched/trace.c)
  get_target_property(mmf_parse_opts mmfuzz_parse_libfuzzer COMPILE_OPTIONS)
  if(mmf_parse_opts)
    list(FILTER mmf_parse_opts EXCLUDE REGEX "^-fsanitize-coverage-(ignore|allow)list=")
    set_property(TARGET mmfuzz_parse_libfuzzer PROPERTY COMPILE_OPTIONS ${mmf_parse_opts})
  endif()
  target_link_libraries(mmfuzz_parse_libfuzzer PRIVATE mmf_fuzz)
  target_link_options(mmfuzz_parse_libfuzzer PRIVATE -fsanitize=fuzzer)

  set(MMF_PARSE_CORPUS ${CMAKE_CURRENT_BINARY_DIR}/parse_corpus)
  set(MMF_PARSE_SEEDS ${PROJECT_SOURCE_DIR}/corpus/parsers)
  file(MAKE_DIRECTORY ${MMF_PARSE_CORPUS})
  add_test(NAME parse_fuzz_smoke
    COMMAND sh -c "find \"$1\" -mindepth 1 -delete && exec \"$0\" -runs=200000 -seed=1 -max_len=8192 -artifact_prefix=\"$3\"/parse- -print_final_stats=1 \"$1\" \"$2\""
            $<TARGET_FILE:mmfuzz_parse_libfuzzer> ${MMF_PARSE_CORPUS} ${MMF_PARSE_SEEDS}
            ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(parse_fuzz_smoke PROPERTIES LABELS "fuzz-smoke;engine" TIMEOUT 600)
endif()
