# Package test: cmake -DSOURCE_DIR=.. -DBUILD_DIR=.. -DWORK_DIR=.. -DMODE=find_package|add_subdirectory
#               -DCOMPILER=.. -P check.cmake
# find_package: installs the configured build tree into WORK_DIR/prefix, then builds and runs a
# consumer that finds it there. add_subdirectory: builds the consumer with ctnn as a subdirectory.
file(REMOVE_RECURSE ${WORK_DIR})
set(consumer ${CMAKE_CURRENT_LIST_DIR}/consumer)
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE failed OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(failed)
    message(FATAL_ERROR "failed: ${ARGV}\n${out}\n${err}")
  endif()
endfunction()

if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
  if(NOT EXISTS ${WORK_DIR}/prefix/include/ctnn/dsl/network.hpp OR NOT EXISTS ${WORK_DIR}/prefix/include/ctnn/ctnn.hpp)
    message(FATAL_ERROR "the install tree lacks the front-end or back-end headers")
  endif()
  set(configure -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  set(configure -DCTNN_SOURCE_DIR=${SOURCE_DIR})
endif()
run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/build -DCMAKE_CXX_COMPILER=${COMPILER} ${configure})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message(STATUS "${MODE} consumer built and ran")
