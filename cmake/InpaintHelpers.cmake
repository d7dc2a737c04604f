# Shared CMake helpers for Inpaint Studio.

# inpaint_use_torch(<target> [PCH])
# Links LibTorch with its compile flags; PCH precompiles the torch headers for
# the target, which is what keeps a clean 2-core build short.
function(inpaint_use_torch tgt)
  cmake_parse_arguments(A "PCH" "" "" ${ARGN})
  target_link_libraries(${tgt} PUBLIC ${TORCH_LIBRARIES})
  target_include_directories(${tgt} SYSTEM PUBLIC ${TORCH_INCLUDE_DIRS})
  if(A_PCH)
    target_precompile_headers(${tgt} PRIVATE <torch/torch.h>)
  endif()
endfunction()

# inpaint_unity_build(<target>): compiles the target's sources eight to a file. Every file that
# includes the torch headers pays ~8 s of CPU for them even with the PCH (gcc instantiates their
# templates again in each file); merged, inpaint_models took 368 s of CPU instead of 746 on the
# 2-core CI machine's kind. INPAINT_UNITY=OFF builds file by file (for editing one file).
option(INPAINT_UNITY "Unity builds of the torch-heavy engine libraries" ON)
function(inpaint_unity_build tgt)
  if(INPAINT_UNITY)
    set_target_properties(${tgt} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
endfunction()

# inpaint_add_test(NAME <name> SOURCES <files...> LIBS <libs...> LABELS <labels...> [TIMEOUT s])
# One executable per unit, registered with ctest. Qt tests run offscreen. The target
# `inpaint_tests` builds every registered test. With INPAINT_TEST_LABELS set (a sanitizer build),
# a test with none of those labels is left out of `all` and of ctest (its target still exists).
if(NOT TARGET inpaint_tests)
  add_custom_target(inpaint_tests)
endif()
function(inpaint_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  set(selected TRUE)
  if(INPAINT_TEST_LABELS)
    set(selected FALSE)
    foreach(l ${T_LABELS})
      if(l IN_LIST INPAINT_TEST_LABELS)
        set(selected TRUE)
      endif()
    endforeach()
  endif()
  if(selected)
    add_executable(${T_NAME} ${T_SOURCES})
    add_dependencies(inpaint_tests ${T_NAME})
  else()
    add_executable(${T_NAME} EXCLUDE_FROM_ALL ${T_SOURCES})
  endif()
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS})
  # The tests' own code needs no -O3 (the engine they call is optimised in its libraries): -O1
  # halves their compile time, the larger part of CI's build.
  target_compile_options(${T_NAME} PRIVATE $<$<CONFIG:Release>:-O1>)
  # A test without Qt needs no moc/uic/rcc scanning.
  if(NOT T_LIBS MATCHES "Qt6::|inpaint_core|inpaint_ui")
    inpaint_no_qt_autogen(${T_NAME})
  endif()
  # Every test of the engine reuses inpaint_models' precompiled torch.h: parsing the torch headers
  # once per test costs ~30 s of CPU each, the largest share of CI's build. The PCH is built
  # -fPIC; compilers refuse it in -fPIE, so these tests are compiled -fPIC too.
  if("inpaint_models" IN_LIST T_LIBS OR "inpaint_diffusion" IN_LIST T_LIBS)
    set_target_properties(${T_NAME} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${T_NAME} PRIVATE -fPIC)
    target_precompile_headers(${T_NAME} REUSE_FROM inpaint_models)
  endif()
  target_compile_definitions(${T_NAME} PRIVATE
    INPAINT_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    INPAINT_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    INPAINT_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT selected)
    return()
  endif()
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  # ctest -j N runs N tests at once on N cores: one thread each. More threads than free cores
  # spin in OpenMP and OpenBLAS (sched_yield) and made a golden test 5x slower on 2 cores.
  set(env "QT_QPA_PLATFORM=offscreen" "INPAINT_TEST_DATA_DIR=${PROJECT_SOURCE_DIR}/tests/data"
      "INPAINT_THREADS=1" "OMP_NUM_THREADS=1" "OPENBLAS_NUM_THREADS=1" "INPAINT_AUTO_DTYPE=fp32"
      ${INPAINT_SANITIZER_ENV})
  set_tests_properties(${T_NAME} PROPERTIES
    LABELS "${T_LABELS}"
    TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "${env}")
endfunction()

# inpaint_glob_sources(<var> <dir>...) : the .cpp/.h files of a folder, so a new
# file needs no CMake edit.
function(inpaint_glob_sources var)
  set(files)
  foreach(d ${ARGN})
    file(GLOB_RECURSE f CONFIGURE_DEPENDS
      ${CMAKE_CURRENT_SOURCE_DIR}/${d}/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/${d}/*.h)
    list(APPEND files ${f})
  endforeach()
  set(${var} ${files} PARENT_SCOPE)
endfunction()

# Torch targets have no Qt sources: keep moc/uic/rcc scanning off them (it costs time and the
# engine-only build has no Qt at all).
function(inpaint_no_qt_autogen tgt)
  set_target_properties(${tgt} PROPERTIES AUTOMOC OFF AUTOUIC OFF AUTORCC OFF)
endfunction()
