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
