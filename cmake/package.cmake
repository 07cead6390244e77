# `cmake --install`: the headers, the two libraries, a CMake package (`find_package(chatkeep)`,
# target chatkeep::chatkeep), a pkg-config file (`pkg-config --libs chatkeep`), and the programs
# `chatkeep` and `chatkeep-server`. tests/install checks all of it from a temporary prefix.
include(CMakePackageConfigHelpers)

install(TARGETS chatkeep chatkeep_model EXPORT chatkeepTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS chatkeep_cli chatkeep-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS chatkeep_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/chatkeep DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(chatkeep_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/chatkeep)
install(EXPORT chatkeepTargets NAMESPACE chatkeep:: DESTINATION ${chatkeep_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/chatkeepConfig.cmake.in
  ${PROJECT_BINARY_DIR}/chatkeepConfig.cmake INSTALL_DESTINATION ${chatkeep_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/chatkeepConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)  # before 1.0, a minor version may break the API
install(FILES ${PROJECT_BINARY_DIR}/chatkeepConfig.cmake
  ${PROJECT_BINARY_DIR}/chatkeepConfigVersion.cmake DESTINATION ${chatkeep_cmake_dir})

# The .pc file finds its prefix from where it lies, so an install with `--prefix` works too.
file(RELATIVE_PATH chatkeep_pc_to_prefix /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" chatkeep_pc_to_prefix "${chatkeep_pc_to_prefix}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/chatkeep.pc.in ${PROJECT_BINARY_DIR}/chatkeep.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/chatkeep.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
