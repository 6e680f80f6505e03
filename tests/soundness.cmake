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
