# SPDX-License-Identifier: MIT
# elfutils' libdw (Debian: libdw-dev), which the trace layer reads DWARF line tables with: gives
# the imported target libdw::libdw. Used by heapkit's build and by find_package(heapkit).
find_path(libdw_INCLUDE_DIR elfutils/libdw.h)
find_library(libdw_LIBRARY dw)
find_library(libdw_ELF_LIBRARY elf)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(libdw REQUIRED_VARS libdw_LIBRARY libdw_ELF_LIBRARY libdw_INCLUDE_DIR)
if(libdw_FOUND AND NOT TARGET libdw::libdw)
  add_library(libdw::libdw UNKNOWN IMPORTED)
  set_target_properties(libdw::libdw PROPERTIES IMPORTED_LOCATION "${libdw_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${libdw_INCLUDE_DIR}" INTERFACE_LINK_LIBRARIES "${libdw_ELF_LIBRARY}")
endif()
mark_as_advanced(libdw_INCLUDE_DIR libdw_LIBRARY libdw_ELF_LIBRARY)
