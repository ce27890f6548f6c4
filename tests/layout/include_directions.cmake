# The include directions of ctnn's headers (README, "Layout"): a header in folder X may include
# ctnn headers only from the folders X may see. Run as
#   cmake -DROOT=<source dir> [-DCOMPILER=<c++>] -P include_directions.cmake
# Fails, listing every offending include, when a header breaks the rule. With COMPILER it also
# checks that ctnn/ctnn.hpp pulls in no process spawning and no optional add-on.
#
# Forwarding headers (a comment, #pragma once and one #include, kept so that old include paths
# keep working) are exempt.
cmake_minimum_required(VERSION 3.20)

# folder -> the folders its headers may include (itself included)
set(allowed_core core)
set(allowed_kernels core kernels)
set(allowed_dsl core dsl)
set(allowed_layers core kernels layers)
set(allowed_runtime core kernels layers dsl runtime)
set(allowed_io core io)
set(allowed_data core io data)
set(allowed_train core kernels layers dsl runtime io data train)
set(allowed_interop core kernels layers dsl runtime io interop)
set(allowed_plot core io plot train/report.hpp) # plotting reads the training report only

file(GLOB_RECURSE headers RELATIVE ${ROOT} ${ROOT}/include/ctnn/*.hpp ${ROOT}/dsl/ctnn/*.hpp)
set(violations "")
set(checked 0)
foreach(header ${headers})
  file(READ ${ROOT}/${header} text)
  string(REGEX MATCHALL "#include <ctnn/[^>]+>" includes "${text}")
  # a forwarding header: one include and nothing else but comments and #pragma once
  string(REGEX REPLACE "//[^\n]*" "" code "${text}")
  string(REGEX REPLACE "#pragma once|#include <[^>]+>|[ \t\r\n]" "" code "${code}")
  list(LENGTH includes n)
  if(code STREQUAL "" AND n EQUAL 1)
    continue()
  endif()
  string(REGEX REPLACE "^(include|dsl)/ctnn/" "" inside ${header})
  if(NOT inside MATCHES "/")
    continue() # ctnn/ctnn.hpp, the umbrella: checked below
  endif()
  string(REGEX REPLACE "/.*$" "" folder ${inside})
  if(NOT DEFINED allowed_${folder})
    list(APPEND violations "${header}: folder '${folder}' has no rule (add one to ${CMAKE_CURRENT_LIST_FILE} and the README)")
    continue()
  endif()
  math(EXPR checked "${checked} + 1")
  foreach(inc ${includes})
    string(REGEX REPLACE "#include <ctnn/([^>]+)>" "\\1" target ${inc})
    string(REGEX REPLACE "/.*$" "" target_folder ${target})
    if(NOT target_folder IN_LIST allowed_${folder} AND NOT target IN_LIST allowed_${folder})
      list(APPEND violations "${header} includes <ctnn/${target}>: ${folder}/ may include only ${allowed_${folder}}")
    endif()
  endforeach()
endforeach()

if(NOT DEFINED MIN_HEADERS)
  set(MIN_HEADERS 20)
endif()
if(checked LESS MIN_HEADERS)
  message(FATAL_ERROR "include directions: only ${checked} headers found under ${ROOT}; is ROOT right?")
endif()

# ctnn/ctnn.hpp: no process spawning, no optional add-on, whatever it includes on the way
if(DEFINED COMPILER)
  execute_process(
    COMMAND ${COMPILER} -std=c++20 -M -I${ROOT}/include -I${ROOT}/dsl -x c++ ${ROOT}/include/ctnn/ctnn.hpp
    OUTPUT_VARIABLE deps ERROR_VARIABLE errors RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "include directions: ${COMPILER} -M ctnn/ctnn.hpp failed:\n${errors}")
  endif()
  foreach(forbidden "sys/wait.h" "spawn.h" "cairo.h" "nlohmann/json.hpp" "png.h" "ctnn/data/debian.hpp"
          "ctnn/runtime/dispatch.hpp")
    string(FIND "${deps}" "/${forbidden}" at)
    if(NOT at EQUAL -1)
      list(APPEND violations "include/ctnn/ctnn.hpp pulls in ${forbidden} (process spawning or an optional add-on)")
    endif()
  endforeach()
endif()

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "include directions broken:\n  ${text}")
endif()
message(STATUS "include directions: ${checked} headers follow the rule")
