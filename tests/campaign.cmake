# Campaign scripts (fuzz/campaign/) and the ClusterFuzzLite build
# (.clusterfuzzlite/), include()d at the end of tests/CMakeLists.txt.
# Label fuzz-smoke.
#  campaign_scripts       every script's --help and bad-usage exits; triage.sh
#                         over three generated raw inputs (two failing the
#                         same way under anon-fault-double-alloc, one clean):
#                         one group of 2, one clean, JSON, campaign.env.
#  campaign_libfuzzer     (libfuzzer preset) a 12 s libfuzzer.sh campaign
#                         under anon-fault-double-alloc, then triage.sh.
#  campaign_afl           (afl preset) the same with afl.sh, 2 instances;
#                         skipped (77) without afl-fuzz.
#  clusterfuzzlite_build  (asan preset only, so it runs once per .ci/run)
#                         .clusterfuzzlite/build.sh with OSS-Fuzz's
#                         libFuzzer and AFL++ variables; the binaries run.
set(mmf_campaign_test ${CMAKE_CURRENT_SOURCE_DIR}/campaign_test.sh)
# (the scripts' behaviour: the gcc and ASan builds check it; under TSan every
# one of its thousands of replays is a slow process start)
if(NOT MMF_SANITIZER STREQUAL "tsan")
  add_test(NAME campaign_scripts COMMAND ${mmf_campaign_test} scripts $<TARGET_FILE:mmfuzz>)
  set_tests_properties(campaign_scripts PROPERTIES LABELS "fuzz-smoke" TIMEOUT 300)
endif()

if(MMF_ENGINE STREQUAL "libfuzzer")
  add_test(NAME campaign_libfuzzer
    COMMAND ${mmf_campaign_test} libfuzzer $<TARGET_FILE:mmfuzz> $<TARGET_FILE:mmfuzz_libfuzzer>)
  set_tests_properties(campaign_libfuzzer PROPERTIES LABELS "fuzz-smoke;engine" TIMEOUT 180
    SKIP_RETURN_CODE 77)
elseif(MMF_ENGINE STREQUAL "afl")
  add_test(NAME campaign_afl
    COMMAND ${mmf_campaign_test} afl $<TARGET_FILE:mmfuzz> $<TARGET_FILE:mmfuzz_afl>)
  set_tests_properties(campaign_afl PROPERTIES LABELS "fuzz-smoke;engine" TIMEOUT 180
    SKIP_RETURN_CODE 77)
endif()

if(MMF_SANITIZER STREQUAL "asan" AND MMF_ENGINE STREQUAL "none")
  add_test(NAME clusterfuzzlite_build COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/clusterfuzzlite_build.sh)
  set_tests_properties(clusterfuzzlite_build PROPERTIES LABELS "fuzz-smoke" TIMEOUT 600
    SKIP_RETURN_CODE 77)
endif()
