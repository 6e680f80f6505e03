# The command-line contract, one ctest per case (label unit): each runs one
# mmfuzz command in the fixtures directory (cli_fixtures.sh) and fails if the
# exit code is wrong or, for exit 2, if stderr is not exactly one line naming
# the problem (cli_case.sh).  include()d from tests/CMakeLists.txt.
set(mmf_cli_fixdir ${CMAKE_CURRENT_BINARY_DIR}/cli-fixtures)
add_test(NAME cli_fixtures
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli_fixtures.sh $<TARGET_FILE:mmfuzz> ${mmf_cli_fixdir})
set_tests_properties(cli_fixtures PROPERTIES FIXTURES_SETUP mmf_cli LABELS "unit")

# mmf_cli_case(NAME EXIT REGEX ARGS...)
function(mmf_cli_case name want re)
  add_test(NAME cli_${name}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli_case.sh $<TARGET_FILE:mmfuzz> ${want} "${re}" ${ARGN}
    WORKING_DIRECTORY ${mmf_cli_fixdir})
  set_tests_properties(cli_${name} PROPERTIES FIXTURES_REQUIRED mmf_cli LABELS "unit" TIMEOUT 120)
endfunction()

# ---- files that are not traces or reproducers: never a raw input unasked ----
foreach(f hdr-truncated hdr-flipped hdr-nospace hdr-misspelled hdr-case cut-in-header)
  mmf_cli_case(replay_${f} 2 "not an mmfuzz trace or reproducer.*--raw" replay ${f}.trace)
endforeach()
mmf_cli_case(replay_empty_file 2 "is empty: not an mmfuzz trace" replay empty.trace)
mmf_cli_case(replay_dev_null 2 "is empty: not an mmfuzz trace" replay /dev/null)
mmf_cli_case(replay_junk 2 "not an mmfuzz trace or reproducer" replay junk.txt)
mmf_cli_case(replay_directory 2 "is a directory" replay adir)
mmf_cli_case(minimize_damaged_header 2 "not an mmfuzz trace or reproducer" minimize hdr-flipped.trace -o out.trace)
mmf_cli_case(explore_junk 2 "not an mmfuzz trace or reproducer" explore junk.txt)
mmf_cli_case(explore_empty_file 2 "is empty" explore empty.trace)
mmf_cli_case(explore_dev_null 2 "is empty" explore /dev/null)
mmf_cli_case(replay_raw_asked 0 "raw input: replayed with bugs=none" replay raw.bin --raw --quiet)
mmf_cli_case(replay_raw_empty 0 "result: clean" replay empty.trace --raw --quiet)

# ---- versions ----
mmf_cli_case(replay_version_too_large 2 "bad trace format version '99999999999'" replay hdr-huge-version.trace)
mmf_cli_case(replay_version_unknown 2 "unsupported trace format version 3" replay hdr-version3.trace)
mmf_cli_case(replay_repro_version_too_large 2 "bad reproducer format version" replay huge-version.repro)

# ---- cross-checked header fields and decision lines ----
mmf_cli_case(replay_variants_mismatch 2 "'variants zswap-writeback-stale-data' does not match the params' bugs=anon-fault-double-alloc" replay variants-mismatch.trace)
mmf_cli_case(replay_repro_variants_mismatch 2 "does not match the params' bugs=" replay variants-mismatch.repro)
mmf_cli_case(replay_task_edited 2 "replay diverged at decision 2: recorded in task T[01], now in task T[01]" replay task-edited.trace)
mmf_cli_case(replay_site_moved 2 "replay diverged at decision 2: recorded at toys.c:[0-9]+:lost_update_task:[a-z_]+, now at toys.c:[0-9]+:lost_update_task" replay site-moved.trace)
mmf_cli_case(replay_site_moved_mm 2 "replay diverged at decision [0-9]+: recorded at [a-z_]+\\.c:[0-9]+:[a-z_]+:[a-z_]+, now at " replay mm-site-moved.trace)
# --bugs (lenient replay, to check a fix) follows the schedule as far as it fits, sites unchecked
mmf_cli_case(replay_site_moved_lenient 1 "under bugs=anon-fault-double-alloc: (leak|data-corruption)" replay mm-site-moved.trace --bugs anon-fault-double-alloc --quiet)
mmf_cli_case(replay_line_too_long 2 "line 3: line too long" replay long-line.trace)
mmf_cli_case(replay_params_unknown_key 2 "unknown parameter 'frame'" replay params-unknown-key.trace)
mmf_cli_case(replay_params_duplicate 2 "parameter fixed given twice" replay params-duplicate.trace)
mmf_cli_case(replay_params_no_value 2 "parameter 'fixed' has no value" replay params-no-value.trace)

# ---- --params: one parser for the CLI, traces and the toys ----
mmf_cli_case(params_unknown_frame 2 "unknown parameter 'frame'" run mm --params frame=8 --runs 1)
mmf_cli_case(params_unknown_foo 2 "unknown parameter 'foo'" run mm --params foo=1 --runs 1)
mmf_cli_case(params_no_value 2 "parameter 'tasks' has no value" run mm --params tasks --runs 1)
mmf_cli_case(params_empty_value 2 "parameter tasks= has no value" run mm --params tasks= --runs 1)
mmf_cli_case(params_duplicate 2 "parameter tasks given twice" run mm "--params=tasks=2 tasks=3" --runs 1)
mmf_cli_case(params_tasks_vs_plan 2 "tasks=3 and plan= contradict: the plan has 2 tasks" run mm "--params=tasks=3 plan=read/read" --runs 1)
mmf_cli_case(params_ops_vs_plan 2 "ops= and plan= contradict" run mm "--params=ops=2 plan=read/read" --runs 1)
mmf_cli_case(params_only_vs_plan 2 "only= and plan= contradict" run mm "--params=only=read plan=read/read" --runs 1)
mmf_cli_case(params_not_a_number 2 "parameter mms=1x: expected an integer" run mm --params mms=1x --runs 1)
mmf_cli_case(params_out_of_range 2 "parameter zswap=2: expected an integer in -1..1" run mm --params zswap=2 --runs 1)
mmf_cli_case(params_only_empty_item 2 "parameter only=read,,write: an empty item" run mm --params only=read,,write --runs 1)
mmf_cli_case(params_only_unknown 2 "unknown operation 'reed'" run mm --params only=reed --runs 1)
mmf_cli_case(params_bugs_empty_item 2 "parameter bugs=.*an empty item" run mm --params bugs=swapin-dead-entry,,anon-fault-double-alloc --runs 1)
foreach(plan "1x;read:1x/read" "decimal;read:1.5/read"
             "five_fields;read:0:0:1:1/read" "empty_field;read::0/read" "empty_op;read,,write/read"
             "empty_task;read//read" "trailing_comma;read,/read" "trailing_slash;read/read/"
             "leading_zero;read:01/read" "n_zero;read:0:0:0/read" "page_range;read:0:8/read"
             "unknown_op;reed/read" "one_task;read")
  list(GET plan 0 pname)
  list(GET plan 1 pvalue)
  mmf_cli_case(params_plan_${pname} 2 "parameter plan" run mm --params plan=${pvalue} --runs 1)
endforeach()
mmf_cli_case(params_plan_good 0 "no failure in 1 executions" run mm --params plan=read:0:1:1,write:1/fork:0:0 --runs 1)
mmf_cli_case(params_toy_unknown 2 "unknown parameter 'iter' \\(this program takes: fixed tasks iters\\)" run toy-lost-update --params iter=3)
mmf_cli_case(params_toy_range 2 "parameter fixed=7: expected an integer in 0..1" run toy-lost-update --params fixed=7)
mmf_cli_case(params_toy_negative 2 "parameter tasks=-2: expected an integer in 2..8" run toy-lost-update --params tasks=-2)

# ---- options that do not apply, or are empty ----
mmf_cli_case(opt_depth_with_random 2 "--depth applies to --source pct, not random" run toy-lost-update --source random --depth 3)
mmf_cli_case(opt_bound_with_random 2 "--bound applies to --source explore, not random" run toy-lost-update --bound 2)
mmf_cli_case(opt_bound_with_pct 2 "--bound applies to --source explore, not pct" run toy-lost-update --source pct --bound 2)
mmf_cli_case(opt_seed_with_explore 2 "--seed does not apply to --source explore" run toy-lost-update --source explore --seed 3)
mmf_cli_case(opt_input_with_random 2 "--input needs --source input" run toy-lost-update --input raw.bin)
mmf_cli_case(opt_seed_with_input_file 2 "--seed does not apply with --input" run toy-lost-update --source input --input raw.bin --seed 2)
mmf_cli_case(opt_want_empty 2 "--want: empty value" run toy-lost-update --want=)
mmf_cli_case(opt_want_empty_item 2 "--want: 'leak,,bug' has an empty item" run toy-lost-update --want leak,,bug)
mmf_cli_case(opt_want_unknown 2 "--want: 'leek' is not a failure class" run toy-lost-update --want leek)
mmf_cli_case(opt_bugs_empty 2 "--bugs: empty value" replay good.trace --bugs=)
mmf_cli_case(opt_bugs_empty_item 2 "--bugs: '.*' has an empty item" replay mm.trace --bugs none,,none)
mmf_cli_case(opt_twice 2 "option '--runs' given twice" run toy-lost-update --runs 3 --runs 4)
mmf_cli_case(opt_explore_seed 2 "option '--seed' does not apply here" explore toy-lost-update --seed 3)
mmf_cli_case(opt_hunt_bugs_on_toy 2 "--bugs applies to the mm program, not toy-crash" hunt toy-crash --bugs none --execs 1)
mmf_cli_case(opt_timeout_bad 2 "--timeout-ms: 'x' is not a number" run toy-lost-update --timeout-ms x)
# --access-points (sched/access.h): the mm program's points=all, nothing else
mmf_cli_case(opt_access_points_on_toy 2 "--access-points applies to the mm program, not toy-lost-update" run toy-lost-update --access-points)
mmf_cli_case(opt_access_points_hunt_toy 2 "--access-points applies to the mm program, not toy-crash" hunt toy-crash --access-points --execs 1)
mmf_cli_case(opt_access_points_contradict 2 "--access-points and --params points=sync contradict" run mm --access-points --params points=sync)
mmf_cli_case(opt_access_points_replay 2 "option '--access-points' does not apply here" replay mm.trace --access-points)
mmf_cli_case(opt_access_points_minimize 2 "option '--access-points' does not apply here" minimize mm.trace -o out.trace --access-points)
mmf_cli_case(params_points_bad 2 "parameter points=most: expected sync or all" run mm --params points=most --runs 1)
mmf_cli_case(params_points_on_threads 2 "points=all: plain-access points need the controlled scheduler" stress mm --params points=all --runs 1)

# ---- outputs are checked before any execution, with exit 2 everywhere ----
mmf_cli_case(out_hunt_dir_missing_parent 2 "--out '/nonexistent/d': cannot create it" hunt --out /nonexistent/d --execs 1)
mmf_cli_case(out_hunt_dir_is_file 2 "--out 'readonly-file': not a directory" hunt --out readonly-file --execs 1)
mmf_cli_case(out_hunt_json 2 "--json '/nonexistent/h.json': cannot be written" hunt --json /nonexistent/h.json --execs 1)
mmf_cli_case(out_hunt_json_dir 2 "--json 'adir': is a directory" hunt --json adir --execs 1)
mmf_cli_case(out_run_trace 2 "--trace '/nonexistent/t.trace': cannot be written" run toy-lost-update --trace /nonexistent/t.trace)
mmf_cli_case(out_explore_trace 2 "--trace '/nonexistent/t.trace': cannot be written" explore toy-lost-update --trace /nonexistent/t.trace)
mmf_cli_case(out_replay_trace 2 "--trace '/nonexistent/t.trace': cannot be written" replay good.trace --trace /nonexistent/t.trace)
mmf_cli_case(out_minimize 2 "--out '/nonexistent/m.trace': cannot be written" minimize good.trace -o /nonexistent/m.trace)
mmf_cli_case(out_demo 2 "--trace '/nonexistent/d': cannot create it" demo --trace /nonexistent/d)
mmf_cli_case(out_empty_path 2 "--trace: empty path" run toy-lost-update --trace=)
