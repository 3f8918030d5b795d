# SPDX-License-Identifier: MIT
# Install rules: headers, the library, the command, and a package so that
# find_package(heapkit) gives heapkit::heapkit (and its layers heapkit::offset, heapkit::heap,
# heapkit::trace).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY include/heapkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/heapkit/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/heapkit)
install(TARGETS heapkit heapkit_offset heapkit_heap heapkit_trace EXPORT heapkitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(HEAPKIT_BUILD_CLI)
  install(TARGETS heapkit_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(TARGET heapkit_malloc)  # beside bin/, where `heapkit run` looks for it
  install(TARGETS heapkit_malloc LIBRARY DESTINATION lib)
endif()

set(HEAPKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/heapkit)
install(EXPORT heapkitTargets NAMESPACE heapkit:: DESTINATION ${HEAPKIT_CMAKE_DIR})
configure_package_config_file(cmake/heapkitConfig.cmake.in ${PROJECT_BINARY_DIR}/heapkitConfig.cmake
  INSTALL_DESTINATION ${HEAPKIT_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/heapkitConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/heapkitConfig.cmake ${PROJECT_BINARY_DIR}/heapkitConfigVersion.cmake
  cmake/Findlibdw.cmake DESTINATION ${HEAPKIT_CMAKE_DIR})
