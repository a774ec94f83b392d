# python.cmake: the Python interpreter for the binding (python/commons) and its install rules.
#
# COMMONS_PYTHON: an interpreter that imports numpy and cffi (Debian: python3-numpy,
# python3-cffi); /usr/bin/python3 is tried first, since another python3 earlier on PATH (pyenv, a
# virtualenv) may lack Debian's packages. Set -DCOMMONS_PYTHON=... to choose another.
if(NOT COMMONS_PYTHON)
  find_program(_commons_py_usr python3 PATHS /usr/bin NO_DEFAULT_PATH)
  find_program(_commons_py_path python3)
  foreach(candidate ${_commons_py_usr} ${_commons_py_path})
    execute_process(COMMAND ${candidate} -c "import numpy, cffi"
      RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
    if(_rc EQUAL 0)
      set(COMMONS_PYTHON ${candidate} CACHE FILEPATH "Python for the commons binding" FORCE)
      break()
    endif()
  endforeach()
endif()
if(COMMONS_PYTHON)
  execute_process(COMMAND ${COMMONS_PYTHON} -c
    "import sys; print('python%d.%d' % sys.version_info[:2])"
    OUTPUT_VARIABLE COMMONS_PYTHON_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${COMMONS_PYTHON} -c "import pytest"
    RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  set(COMMONS_PYTEST OFF)
  if(_rc EQUAL 0)
    set(COMMONS_PYTEST ON)
  endif()
  message(STATUS "commons: Python binding with ${COMMONS_PYTHON} (${COMMONS_PYTHON_VERSION})")
else()
  set(COMMONS_PYTHON_VERSION python3)
  message(STATUS "commons: no python3 with numpy and cffi found: install python3-numpy "
                 "python3-cffi (scripts/install-deps.sh) for the Python binding and its tests")
endif()

# the package beside the library: PREFIX/lib/pythonX.Y/site-packages/commons
set(COMMONS_PYTHON_SITE lib/${COMMONS_PYTHON_VERSION}/site-packages)
install(DIRECTORY python/commons DESTINATION ${COMMONS_PYTHON_SITE}
  FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
install(FILES sim/commons.h DESTINATION ${COMMONS_PYTHON_SITE}/commons)
