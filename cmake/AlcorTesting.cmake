include(GoogleTest)

# alcor_test(name SOURCES ... [DEPS ...] LABEL unit|integration|e2e [SERIAL] [TIMEOUT s])
# One gtest binary; each TEST becomes a ctest test carrying the label, so
# `ctest -L unit` runs the unit tier. SERIAL tests never run beside another test
# (they start daemons and traffic that must not compete for the two cores).
function(alcor_test name)
  cmake_parse_arguments(ARG "SERIAL" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    message(FATAL_ERROR "alcor_test(${name}): LABEL is required")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main alcor_compile_options)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE
    ALCOR_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ALCOR_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(props LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT})
  if(ARG_SERIAL)
    list(APPEND props RUN_SERIAL TRUE)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30 PROPERTIES ${props})
endfunction()

# alcor_fuzz_target(name SOURCES ... DEPS ... [CORPUS dir])
# `SOURCES` define LLVMFuzzerTestOneInput. Always builds `<name>_smoke`, a ctest (label unit)
# that runs the target over the seed corpus plus seeded random mutations of it, so every build
# exercises the parser with junk. With -DALCOR_FUZZ=ON (clang) also builds `<name>`, a real
# libFuzzer binary for long runs (see docs/reliability.md).
function(alcor_fuzz_target name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_CORPUS)
    set(ARG_CORPUS ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  endif()
  add_executable(${name}_smoke ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/smoke_main.cc)
  target_link_libraries(${name}_smoke PRIVATE ${ARG_DEPS} alcor_compile_options)
  target_include_directories(${name}_smoke PRIVATE ${PROJECT_SOURCE_DIR})
  add_test(NAME ${name}_smoke COMMAND ${name}_smoke ${ARG_CORPUS} 20000)
  set_tests_properties(${name}_smoke PROPERTIES LABELS unit TIMEOUT 300)
  if(ALCOR_FUZZ)
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE ${ARG_DEPS} alcor_compile_options)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  endif()
endfunction()
