# Warnings and sanitizers applied to every target of the project (not to generated protobuf code,
# which gets its own relaxed flags in AlcorProto.cmake).
add_library(alcor_compile_options INTERFACE)
target_compile_options(alcor_compile_options INTERFACE -Wall -Wextra -Wno-missing-field-initializers)
if(ALCOR_WERROR)
  target_compile_options(alcor_compile_options INTERFACE -Werror)
endif()

if(ALCOR_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(ALCOR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ALCOR_FUZZ needs clang (CXX=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# alcor_library(name SOURCES ... DEPS ...): a static library with the project's warnings.
function(alcor_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_INCLUDES" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE alcor_compile_options)
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${ARG_PUBLIC_INCLUDES})
endfunction()

# alcor_executable(name SOURCES ... DEPS ...)
function(alcor_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} alcor_compile_options)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
endfunction()

# Adds every direct subdirectory that has a CMakeLists.txt, so modules can be added without
# editing their parent. ALCOR_SKIP_DIRS (paths relative to the source root) leaves some out,
# for partial builds while a module is being written.
set(ALCOR_SKIP_DIRS "" CACHE STRING "Source directories to leave out of the build")
function(alcor_add_subdirectories)
  file(GLOB children LIST_DIRECTORIES true ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child IN LISTS children)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${child})
    if(rel IN_LIST ALCOR_SKIP_DIRS)
      continue()
    endif()
    if(IS_DIRECTORY ${child} AND EXISTS ${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()
