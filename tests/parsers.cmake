# Parser tests: the reproducer and trace text formats (round trips, the
# promised rejections, and a deterministic mutation fuzzer over both
# parsers).  Label "unit": in-process and a few seconds at most.
mmf_test(test_repro)
set_tests_properties(test_repro PROPERTIES LABELS "unit" TIMEOUT 120)
