# Runs one compile-fail test: cmake -DCOMPILER=.. -DSOURCE=.. -DINCLUDES=a;b -P check.cmake
# The source's first line is "// expect: <regex>". The file must fail to compile with exactly one
# error matching the regex, and its passing twin (-DCTNN_PASSING_TWIN) must compile.
file(STRINGS ${SOURCE} first_line LIMIT_COUNT 1)
string(REGEX REPLACE "^// expect: " "" expected "${first_line}")
set(flags -std=c++20 -fsyntax-only)
foreach(dir ${INCLUDES})
  list(APPEND flags -I${dir})
endforeach()

execute_process(COMMAND ${COMPILER} ${flags} ${SOURCE} RESULT_VARIABLE failed ERROR_VARIABLE out OUTPUT_VARIABLE out2)
string(APPEND out "${out2}")
if(NOT failed)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
string(REGEX MATCHALL "error:" errors "${out}")
list(LENGTH errors count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected exactly one error, got ${count}:\n${out}")
endif()
string(REGEX REPLACE "[\n ]+" " " flat "${out}") # compilers wrap and indent differently
if(NOT flat MATCHES "${expected}")
  message(FATAL_ERROR "the error does not match '${expected}':\n${out}")
endif()

execute_process(COMMAND ${COMPILER} ${flags} -DCTNN_PASSING_TWIN ${SOURCE} RESULT_VARIABLE twin_failed ERROR_VARIABLE twin_out)
if(twin_failed)
  message(FATAL_ERROR "the passing twin (-DCTNN_PASSING_TWIN) does not compile:\n${twin_out}")
endif()
message(STATUS "one error, matching '${expected}'; passing twin compiles")
